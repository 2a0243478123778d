package report

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
	"github.com/tcpflow/tcpflow/stream"
)

// StreamFileName is the file --write-streams writes direction d of
// connection c to: the id zero-padded to 8 digits, so names sort by
// connection, then c2s (bytes the client sent) or s2c; a continuation's part
// follows the id ("00000012.2-c2s.bin").
func StreamFileName(c *state.Connection, d flow.Dir) string {
	if c.Part > 0 {
		return fmt.Sprintf("%08d.%d-%s.bin", c.ID, c.Part+1, d)
	}
	return fmt.Sprintf("%08d-%s.bin", c.ID, d)
}

// ManifestName is the manifest --write-streams writes next to the streams.
const ManifestName = "streams.json"

type manifestEntry struct {
	File     *string       `json:"file"` // null when no byte was delivered
	Conn     int           `json:"conn"`
	Part     int           `json:"part,omitempty"`
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

// The manifest is {"streams": [entry, ...]}, indented as json.Encoder with
// SetIndent("", " ") writes it, in pieces: ManifestStart, each entry behind
// JSONConnSep, then JSONEnd... with the manifest's own closing.

// ManifestStart opens the manifest.
const ManifestStart = "{\n \"streams\": ["

// ManifestEnd closes the manifest after n entries.
func ManifestEnd(n int) string {
	if n == 0 {
		return "]\n}\n"
	}
	return "\n ]\n}\n"
}

// AppendManifestEntry appends the manifest entry of direction d of c, at its
// depth in the manifest; written says whether its file exists (a direction
// that delivered no byte has none).
func AppendManifestEntry(b []byte, c *state.Connection, d flow.Dir, written bool) ([]byte, error) {
	f := &c.Data.Streams.Facts[d]
	e := manifestEntry{Conn: c.ID, Part: c.Part, Dir: d.String(), From: c.Endpoint(d).String(), To: c.Endpoint(d.Reverse()).String(),
		Bytes: f.Bytes, SHA256: hex.EncodeToString(f.SHA256[:]), GapBytes: f.GapBytes,
		Gaps: gapsJSON(f), Overlaps: overlapsJSON(f), Proto: f.Proto}
	if written {
		name := StreamFileName(c, d)
		e.File = &name
	}
	j, err := json.MarshalIndent(e, connIndent, " ")
	return append(b, j...), err
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

func gapsJSON(f *stream.Facts) []jsonGap {
	out := []jsonGap{}
	for _, g := range f.Gaps {
		out = append(out, jsonGap{g.Offset, g.Size, g.Frame})
	}
	return out
}

func overlapsJSON(f *stream.Facts) []jsonOverlap {
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

// streamSummary says what the reassembly found in one direction.
func streamSummary(f *stream.Facts) string {
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

// FollowChunk is one piece of a followed conversation: Len bytes (Data) that
// one side sent from stream offset Off, first delivered by Frame, or a gap of
// Gap bytes the capture never showed.
type FollowChunk struct {
	Dir   flow.Dir
	Off   int64
	Len   int64
	Data  []byte
	Gap   int64
	Frame uint64
}

// FollowHeader writes the first lines of --follow: the connection and both
// sides' stream facts.
func FollowHeader(w *bufio.Writer, c *state.Connection) {
	fmt.Fprintf(w, "Follow TCP stream %s: client %s, server %s\n", connID(c), c.Client, c.Server)
	if st := c.Data.Streams; st != nil {
		for d := flow.C2S; d <= flow.S2C; d++ {
			fmt.Fprintf(w, "%s: %s\n", d.Side(), streamSummary(&st.Facts[d]))
		}
	}
}

// FollowChunkText writes one chunk under a line naming its side, stream
// offset, size and first frame; the bytes as escaped text or a hex dump.
func FollowChunkText(w *bufio.Writer, ch FollowChunk, mode FollowMode) {
	side := "client >"
	if ch.Dir == flow.S2C {
		side = "server <"
	}
	if ch.Gap > 0 {
		fmt.Fprintf(w, "==== %s offset %d: %d bytes NOT CAPTURED (gap) ====\n", side, ch.Off, ch.Gap)
		return
	}
	fmt.Fprintf(w, "==== %s offset %d, %d bytes, from frame %d ====\n", side, ch.Off, len(ch.Data), ch.Frame)
	if mode == FollowHex {
		hexDump(w, ch.Off, ch.Data)
		return
	}
	w.WriteString(followText(ch.Data))
	if len(ch.Data) > 0 && ch.Data[len(ch.Data)-1] != '\n' {
		w.WriteString("\n")
	}
}

// FollowEnd writes the last line of --follow.
func FollowEnd(w *bufio.Writer) { w.WriteString("==== end ====\n") }
