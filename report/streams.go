package report

import (
	"bufio"
	"container/list"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
)

// StreamFileName is the file --write-streams writes direction d of connection
// id to: the id zero-padded to 8 digits, so names sort by connection, then
// c2s (bytes the client sent) or s2c.
func StreamFileName(id int, d flow.Dir) string {
	return fmt.Sprintf("%08d-%s.bin", id, d)
}

// ManifestName is the manifest --write-streams writes next to the streams.
const ManifestName = "streams.json"

// StreamWriter writes each direction of each connection to its own file in a
// directory, and a manifest. It never overwrites a file unless Force: every
// file is created exclusively. Open files are capped (an LRU list), so a
// capture with many concurrent connections does not run out of descriptors.
// Bytes are gathered in 256 KB buffers per file and written by a goroutine
// of its own, so the writes (mostly kernel time) overlap with the analysis.
type StreamWriter struct {
	dir     string
	force   bool
	open    map[string]*list.Element
	lru     *list.List // of *openFile, most recent first
	created map[string]bool
	entries []manifestEntry
	err     error // the first error met here
	jobs    chan writeJob
	done    chan struct{}
	werr    error // the writer goroutine's first error, read after done
	bufs    sync.Pool
}

type openFile struct {
	name string
	f    *os.File
	buf  []byte
}

// writeJob is a buffer to write to f, then, if close, the end of f.
type writeJob struct {
	f     *os.File
	buf   []byte
	close bool
}

const (
	maxOpenStreams = 128
	streamBuf      = 256 << 10
)

// NewStreamWriter prepares writing into dir, creating it if needed. It fails
// when the manifest already exists and force is off, before anything is
// written.
func NewStreamWriter(dir string, force bool) (*StreamWriter, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if !force {
		if _, err := os.Stat(filepath.Join(dir, ManifestName)); err == nil {
			return nil, fmt.Errorf("%s already holds %s: not overwriting (use --force)", dir, ManifestName)
		}
	}
	sw := &StreamWriter{dir: dir, force: force, open: map[string]*list.Element{}, lru: list.New(), created: map[string]bool{},
		jobs: make(chan writeJob, 8), done: make(chan struct{})}
	sw.bufs.New = func() any { return make([]byte, 0, streamBuf) }
	go sw.writer()
	return sw, nil
}

func (sw *StreamWriter) writer() {
	defer close(sw.done)
	for j := range sw.jobs {
		if len(j.buf) > 0 {
			if _, err := j.f.Write(j.buf); err != nil && sw.werr == nil {
				sw.werr = err
			}
			sw.bufs.Put(j.buf[:0])
		}
		if j.close {
			if err := j.f.Close(); err != nil && sw.werr == nil {
				sw.werr = err
			}
		}
	}
}

// Data implements flow.StreamSink.
func (sw *StreamWriter) Data(id int, d flow.Dir, _ int64, b []byte, _ uint64, _ int64) {
	if sw.err != nil {
		return
	}
	of, err := sw.file(StreamFileName(id, d))
	if err != nil {
		sw.err = err
		return
	}
	for len(b) > 0 {
		n := min(len(b), streamBuf-len(of.buf))
		of.buf = append(of.buf, b[:n]...)
		b = b[n:]
		if len(of.buf) == streamBuf {
			sw.jobs <- writeJob{f: of.f, buf: of.buf}
			of.buf = sw.bufs.Get().([]byte)
		}
	}
}

// Gap implements flow.StreamSink: gaps are not written into the files (they
// would be indistinguishable from data); the manifest lists them.
func (sw *StreamWriter) Gap(int, flow.Dir, int64, int64, uint64) {}

func (sw *StreamWriter) file(name string) (*openFile, error) {
	if e, ok := sw.open[name]; ok {
		sw.lru.MoveToFront(e)
		return e.Value.(*openFile), nil
	}
	flags := os.O_WRONLY | os.O_APPEND
	if !sw.created[name] {
		flags = os.O_WRONLY | os.O_CREATE | os.O_EXCL
		if sw.force {
			flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		}
	}
	f, err := os.OpenFile(filepath.Join(sw.dir, name), flags, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("%s: not overwriting an existing file (use --force)", filepath.Join(sw.dir, name))
		}
		return nil, err
	}
	sw.created[name] = true
	of := &openFile{name: name, f: f, buf: sw.bufs.Get().([]byte)}
	sw.open[name] = sw.lru.PushFront(of)
	if sw.lru.Len() > maxOpenStreams {
		sw.closeFile(sw.lru.Back())
	}
	return of, nil
}

// closeFile hands what is left of a file's buffer and its closing to the
// writer.
func (sw *StreamWriter) closeFile(e *list.Element) {
	of := e.Value.(*openFile)
	sw.lru.Remove(e)
	delete(sw.open, of.name)
	sw.jobs <- writeJob{f: of.f, buf: of.buf, close: true}
}

type manifestEntry struct {
	File     *string       `json:"file"` // null when no byte was delivered
	Conn     int           `json:"conn"`
	Dir      string        `json:"dir"`
	From     string        `json:"from"`
	To       string        `json:"to"`
	Bytes    int64         `json:"bytes"`
	SHA256   string        `json:"sha256"`
	GapBytes int64         `json:"gap_bytes"`
	Gaps     []jsonGap     `json:"gaps"`
	Overlaps []jsonOverlap `json:"differing_overlaps"`
	Proto    string        `json:"proto,omitempty"`
}

// Finished records a connection's streams in the manifest; call it for each
// connection once its reassembly is closed.
func (sw *StreamWriter) Finished(c *state.Connection) {
	st := c.Data.Streams
	if st == nil {
		return
	}
	for d := flow.C2S; d <= flow.S2C; d++ {
		f := &st.Facts[d]
		name := StreamFileName(c.ID, d)
		if e, ok := sw.open[name]; ok {
			sw.closeFile(e)
		}
		e := manifestEntry{Conn: c.ID, Dir: d.String(), From: c.Endpoint(d).String(), To: c.Endpoint(d.Reverse()).String(),
			Bytes: f.Bytes, SHA256: hex.EncodeToString(f.SHA256[:]), GapBytes: f.GapBytes,
			Gaps: gapsJSON(f), Overlaps: overlapsJSON(f), Proto: f.Proto}
		if sw.created[name] {
			e.File = &name
		}
		sw.entries = append(sw.entries, e)
	}
}

// Close flushes every file and writes the manifest, sorted by connection and
// direction.
func (sw *StreamWriter) Close() error {
	for sw.lru.Len() > 0 {
		sw.closeFile(sw.lru.Front())
	}
	close(sw.jobs)
	<-sw.done
	if sw.err == nil {
		sw.err = sw.werr
	}
	if sw.err != nil {
		return sw.err
	}
	slices.SortFunc(sw.entries, func(a, b manifestEntry) int {
		if a.Conn != b.Conn {
			return a.Conn - b.Conn
		}
		return strings.Compare(a.Dir, b.Dir)
	})
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if sw.force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(filepath.Join(sw.dir, ManifestName), flags, 0o644)
	if err != nil {
		return err
	}
	type manifest struct {
		Streams []manifestEntry `json:"streams"`
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", " ")
	if err := enc.Encode(manifest{Streams: append([]manifestEntry{}, sw.entries...)}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type jsonGap struct {
	Offset int64  `json:"offset"`
	Size   int64  `json:"size"`
	Frame  uint64 `json:"frame,omitempty"`
}

type jsonOverlap struct {
	Offset    int64  `json:"offset"`
	Size      int    `json:"size"`
	Frame     uint64 `json:"frame"`
	FirstSeen uint64 `json:"first_seen_frame"`
}

func gapsJSON(f *flow.StreamFacts) []jsonGap {
	out := []jsonGap{}
	for _, g := range f.Gaps {
		out = append(out, jsonGap{g.Offset, g.Size, g.Frame})
	}
	return out
}

func overlapsJSON(f *flow.StreamFacts) []jsonOverlap {
	out := []jsonOverlap{}
	for _, o := range f.Overlaps {
		out = append(out, jsonOverlap{o.Offset, o.Size, o.Frame, o.FirstSeen})
	}
	return out
}

// FollowMode chooses how --follow prints bytes.
type FollowMode int

// Follow modes.
const (
	FollowText FollowMode = iota // printable text, other bytes escaped
	FollowHex                    // hex dump with stream offsets
)

// Follower collects one connection's conversation for --follow, in the order
// the bytes were delivered, like Wireshark's "Follow TCP Stream".
type Follower struct {
	ID     int
	chunks []followChunk
}

type followChunk struct {
	dir   flow.Dir
	off   int64
	data  []byte
	gap   int64
	frame uint64
}

// Data implements flow.StreamSink.
func (f *Follower) Data(id int, d flow.Dir, off int64, b []byte, frame uint64, _ int64) {
	if id != f.ID {
		return
	}
	if n := len(f.chunks); n > 0 {
		if last := &f.chunks[n-1]; last.dir == d && last.gap == 0 && last.off+int64(len(last.data)) == off {
			last.data = append(last.data, b...) // one side talking on: one chunk
			return
		}
	}
	f.chunks = append(f.chunks, followChunk{dir: d, off: off, data: append([]byte(nil), b...), frame: frame})
}

// Gap implements flow.StreamSink.
func (f *Follower) Gap(id int, d flow.Dir, off, n int64, frame uint64) {
	if id == f.ID {
		f.chunks = append(f.chunks, followChunk{dir: d, off: off, gap: n, frame: frame})
	}
}

// Write prints the conversation: a header with both sides' totals, then
// each chunk under a line naming its side, stream offset, size and first frame.
func (f *Follower) Write(w io.Writer, c *state.Connection, mode FollowMode) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "Follow TCP stream %d: client %s, server %s\n", c.ID, c.Client, c.Server)
	if st := c.Data.Streams; st != nil {
		for d := flow.C2S; d <= flow.S2C; d++ {
			fmt.Fprintf(bw, "%s: %s\n", d.Side(), streamSummary(&st.Facts[d]))
		}
	}
	for _, ch := range f.chunks {
		side := "client >"
		if ch.dir == flow.S2C {
			side = "server <"
		}
		if ch.gap > 0 {
			fmt.Fprintf(bw, "==== %s offset %d: %d bytes NOT CAPTURED (gap) ====\n", side, ch.off, ch.gap)
			continue
		}
		fmt.Fprintf(bw, "==== %s offset %d, %d bytes, from frame %d ====\n", side, ch.off, len(ch.data), ch.frame)
		if mode == FollowHex {
			hexDump(bw, ch.off, ch.data)
		} else {
			bw.WriteString(followText(ch.data))
			if len(ch.data) > 0 && ch.data[len(ch.data)-1] != '\n' {
				bw.WriteString("\n")
			}
		}
	}
	fmt.Fprintln(bw, "==== end ====")
	return bw.Flush()
}

// followText shows bytes as text: printable ASCII, newlines and tabs as they
// are, every other byte (terminal controls included) escaped.
func followText(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		switch {
		case c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f && c != '\\'):
			sb.WriteByte(c)
		case c == '\\':
			sb.WriteString(`\\`)
		case c == '\r':
			sb.WriteString(`\r`)
		default:
			fmt.Fprintf(&sb, `\x%02x`, c)
		}
	}
	return sb.String()
}

// hexDump writes 16 bytes per line: stream offset, hex, printable characters.
func hexDump(w *bufio.Writer, off int64, b []byte) {
	for i := 0; i < len(b); i += 16 {
		line := b[i:min(i+16, len(b))]
		fmt.Fprintf(w, "%08x  ", off+int64(i))
		for j := 0; j < 16; j++ {
			if j < len(line) {
				fmt.Fprintf(w, "%02x ", line[j])
			} else {
				w.WriteString("   ")
			}
			if j == 7 {
				w.WriteByte(' ')
			}
		}
		w.WriteString(" |")
		for _, c := range line {
			if c >= 0x20 && c < 0x7f {
				w.WriteByte(c)
			} else {
				w.WriteByte('.')
			}
		}
		w.WriteString("|\n")
	}
}

// RawSink writes the bytes of one side of one connection as they are
// delivered, for piping (--follow ID --side client --raw).
type RawSink struct {
	ID  int
	Dir flow.Dir
	W   io.Writer
	Err error
}

// Data implements flow.StreamSink.
func (r *RawSink) Data(id int, d flow.Dir, _ int64, b []byte, _ uint64, _ int64) {
	if id == r.ID && d == r.Dir && r.Err == nil {
		_, r.Err = r.W.Write(b)
	}
}

// Gap implements flow.StreamSink.
func (r *RawSink) Gap(int, flow.Dir, int64, int64, uint64) {}

// Sinks fans stream bytes out to several sinks.
type Sinks []flow.StreamSink

// Data implements flow.StreamSink.
func (s Sinks) Data(id int, d flow.Dir, off int64, b []byte, frame uint64, t int64) {
	for _, k := range s {
		k.Data(id, d, off, b, frame, t)
	}
}

// Gap implements flow.StreamSink.
func (s Sinks) Gap(id int, d flow.Dir, off, n int64, frame uint64) {
	for _, k := range s {
		k.Gap(id, d, off, n, frame)
	}
}

// streamSummary says what the reassembly found in one direction.
func streamSummary(f *flow.StreamFacts) string {
	parts := []string{plural(f.Bytes, "byte", "bytes") + " delivered"}
	switch {
	case f.GapBytes > 0:
		parts = append(parts, fmt.Sprintf("%s missing in %s", plural(f.GapBytes, "byte", "bytes"), plural(int64(len(f.Gaps)), "gap", "gaps")))
	default:
		parts = append(parts, "no gaps")
	}
	if f.OverlapCount > 0 {
		parts = append(parts, fmt.Sprintf("%s with bytes DIFFERENT from those delivered (first: frame %d vs frame %d at offset %d)",
			plural(int64(f.OverlapCount), "retransmission", "retransmissions"), f.Overlaps[0].Frame, f.Overlaps[0].FirstSeen, f.Overlaps[0].Offset))
	}
	if f.Retransmitted > 0 {
		parts = append(parts, plural(f.Retransmitted, "byte", "bytes")+" retransmitted")
	}
	parts = append(parts, "sha256 "+hex.EncodeToString(f.SHA256[:]))
	if f.Proto != "" {
		parts = append(parts, escape([]byte(f.Proto)))
	}
	return strings.Join(parts, "; ")
}
