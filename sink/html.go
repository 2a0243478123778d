package sink

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
	"github.com/tcpflow/tcpflow/state"
)

// HTMLOptions configure the HTML report and the SVG files.
type HTMLOptions struct {
	// W receives the HTML report; nil writes none.
	W io.Writer
	// SVGDir receives the pictures as SVG files; "" writes none.
	SVGDir string
	// Force lets SVG files replace files of the same names.
	Force bool
	// Max is how many connections are picked for detail by their
	// severity (report.Severity); 0 means DefaultHTMLMax.
	Max int
	// Pinned connections are always shown in detail (those named with
	// --conn).
	Pinned func(c *pipeline.Connection) bool
	// Report are the text pieces' options (absolute numbers).
	Report report.Options
	// TempDir is where the spool goes ("" for the system's).
	TempDir string
}

// DefaultHTMLMax is how many of the worst connections get a section.
const DefaultHTMLMax = 30

// Limits of a connection's section: its timeline shows the first and the
// last segments of a long connection, and only connections of up to
// htmlMaxExplain segments are explained in words.
const (
	htmlTimelineHead = 400
	htmlTimelineTail = 100
	htmlMaxExplain   = 20000
)

// HTML writes the HTML report (--html) and the pictures as SVG files
// (--svg). Every connection gets a row of the table; only some are shown in
// detail, with facts, graphs, the ladder, the timeline and the
// explanation: the worst by severity (up to Max), the worst of each kind of
// finding the expert summary names, and the pinned ones. Which they are is
// known only at the end, so each connection that is among them when it
// finishes is drawn then, and its section spooled with its row; one that
// drops out later only cost the drawing. Memory thus holds the spool's index
// and the few ranks, never records.
type HTML struct {
	opts     HTMLOptions
	stats    *capture.Stats
	o        *ordered
	expert   report.Expert
	pick     chooser
	problems int
	sec      bytes.Buffer
	bw       *bufio.Writer
	row      []byte
}

// pictureFile matches the names of the SVG files HTML writes.
var pictureFile = regexp.MustCompile(`^[0-9]{8,}(\.[0-9]+)?-[a-z0-9-]+\.svg$`)

// NewHTML prepares the HTML report and the SVG files. stats is the reader's
// (times count from its first frame). With SVGDir it creates the directory
// if needed and, without Force, fails before anything is written when the
// directory already holds a picture file.
func NewHTML(stats *capture.Stats, opts HTMLOptions) (*HTML, error) {
	if opts.Max <= 0 {
		opts.Max = DefaultHTMLMax
	}
	if opts.SVGDir != "" {
		if err := os.MkdirAll(opts.SVGDir, 0o755); err != nil {
			return nil, err
		}
		if !opts.Force {
			ents, err := os.ReadDir(opts.SVGDir)
			if err != nil {
				return nil, err
			}
			for _, e := range ents {
				if pictureFile.MatchString(e.Name()) {
					return nil, fmt.Errorf("%s already holds %s: not overwriting (use --force)", opts.SVGDir, filepath.Join(opts.SVGDir, e.Name()))
				}
			}
		}
	}
	h := &HTML{opts: opts, stats: stats, o: newOrdered(opts.TempDir, report.Triage{}), pick: newChooser(opts.Max)}
	h.bw = bufio.NewWriter(&h.sec)
	return h, nil
}

// problemFlag marks, in a connection's entry, a verdict that is a problem.
const problemFlag = 1

// NeedsRecords implements pipeline.RecordSink: the pictures and timelines
// are drawn from the records.
func (h *HTML) NeedsRecords() bool { return true }

// Finished implements pipeline.Sink: it keeps the connection's row, and
// draws its section when it is among those to show in detail so far.
func (h *HTML) Finished(c *pipeline.Connection) error {
	h.expert.Add(c)
	cells := report.TableRow(c)
	var flags uint8
	if report.Problem(c) {
		h.problems++
		flags = problemFlag
	}
	h.row = h.row[:0]
	for i, cell := range cells {
		if i > 0 {
			h.row = append(h.row, 0)
		}
		h.row = append(h.row, cell...)
	}
	pinned := h.opts.Pinned != nil && h.opts.Pinned(c)
	var bundle []byte
	if h.pick.offer(c, report.Severity(c), pinned) {
		bundle = h.render(c)
	}
	h.o.addKey(c.ID, c.Part, 0, flags, h.row, bundle)
	return recordsErr(c)
}

// render draws a connection's section and pictures. The bundle is the
// section's length (4 bytes), the section, then, when SVG files are
// written, each picture as its name's length (2 bytes), name, length (4
// bytes) and standalone SVG.
func (h *HTML) render(c *pipeline.Connection) []byte {
	base := h.stats.FirstTime
	pics := report.ConnPictures(base, c)
	h.sec.Reset()
	h.sec.Write([]byte{0, 0, 0, 0})
	report.HTMLConn(h.bw, base, c, pics, report.HTMLConnOptions{Options: h.opts.Report,
		TimelineHead: htmlTimelineHead, TimelineTail: htmlTimelineTail, MaxExplain: htmlMaxExplain})
	h.bw.Flush()
	b := h.sec.Bytes()
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	if h.opts.SVGDir != "" {
		for _, p := range pics {
			svg := report.StandaloneSVG(p)
			b = binary.BigEndian.AppendUint16(b, uint16(len(p.Name)))
			b = append(b, p.Name...)
			b = binary.BigEndian.AppendUint32(b, uint32(len(svg)))
			b = append(b, svg...)
		}
	}
	return b
}

// bundleSection returns a bundle's HTML section.
func bundleSection(b []byte) []byte {
	n := binary.BigEndian.Uint32(b)
	return b[4 : 4+n]
}

// bundlePictures calls f with each picture of a bundle.
func bundlePictures(b []byte, f func(name string, svg []byte) error) error {
	b = b[4+binary.BigEndian.Uint32(b):]
	for len(b) > 0 {
		n := int(binary.BigEndian.Uint16(b))
		name := string(b[2 : 2+n])
		b = b[2+n:]
		m := binary.BigEndian.Uint32(b)
		if err := f(name, b[4:4+m]); err != nil {
			return err
		}
		b = b[4+m:]
	}
	return nil
}

// End implements pipeline.Sink: it writes the report and the SVG files.
func (h *HTML) End(sum *pipeline.Summary) error {
	defer h.o.close()
	h.o.sort()
	chosen := h.pick.chosen()
	detailed := func(e entry) bool { return chosen[rankKey{e.id, e.part}] && e.secLen > 0 }
	var err error
	if h.opts.W != nil {
		err = h.writeHTML(sum, detailed)
	}
	if h.opts.SVGDir != "" && err == nil {
		err = h.writeSVG(detailed)
	}
	if err == nil {
		err = h.o.err
	}
	return err
}

func (h *HTML) writeHTML(sum *pipeline.Summary, detailed func(entry) bool) error {
	bw := bufio.NewWriterSize(h.opts.W, 64<<10)
	nDetailed := 0
	ids := map[int]bool{}
	for _, e := range h.o.all() {
		if detailed(e) {
			nDetailed++
			ids[int(e.id)] = true
		}
	}
	report.HTMLStart(bw, sum, report.HTMLFigures{Conns: h.o.len(), Problems: h.problems, Detailed: nDetailed})
	report.HTMLTableStart(bw, h.o.len())
	for i, e := range h.o.all() {
		if i == report.HTMLPageRows {
			break
		}
		report.HTMLTableRow(bw, strings.Split(string(h.o.readRow(e)), "\x00"), detailed(e), e.flags&problemFlag != 0)
	}
	report.HTMLTableEnd(bw)
	h.expert.WriteHTML(bw, func(id int) bool { return ids[id] })
	report.HTMLDetailsStart(bw, h.detailNote(nDetailed))
	for _, e := range h.o.all() {
		if detailed(e) {
			_, b := h.o.read(e)
			bw.Write(bundleSection(b))
		}
	}
	report.HTMLDetailsEnd(bw)
	var data report.HTMLData
	data.Start(bw)
	for _, e := range h.o.all() {
		data.Row(bw, strings.Split(string(h.o.readRow(e)), "\x00"), detailed(e), e.flags&problemFlag != 0)
	}
	data.End(bw)
	return flush(bw, h.o.err)
}

// detailNote says which connections are shown in detail.
func (h *HTML) detailNote(n int) string {
	switch {
	case h.o.len() == 0:
		return "No connection to show."
	case n == h.o.len():
		return "Every connection is shown in detail."
	}
	return fmt.Sprintf("%d of the %d connections are shown in detail: the %d worst by their problems "+
		"(resets, unanswered SYNs, retransmissions, segments not captured, reordering, zero windows), "+
		"those the expert summary names, and those named with --conn. "+
		"To see another one: tcpflow --html FILE --conn ID CAPTURE.", n, h.o.len(), h.opts.Max)
}

// writeSVG writes each detailed connection's pictures into SVGDir: new
// files are created exclusively (never through a symbolic link); with
// Force, an existing file is replaced by renaming a new one over it.
func (h *HTML) writeSVG(detailed func(entry) bool) error {
	for _, e := range h.o.all() {
		if !detailed(e) {
			continue
		}
		_, b := h.o.read(e)
		err := bundlePictures(b, func(name string, svg []byte) error {
			return writeNewFile(h.opts.SVGDir, report.PictureFileName(int(e.id), int(e.part), name), svg, h.opts.Force)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// writeNewFile writes data to dir/name, refusing to replace a file unless
// force, and never following a symbolic link.
func writeNewFile(dir, name string, data []byte, force bool) error {
	dst := filepath.Join(dir, name)
	if !force {
		f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s: not overwriting an existing file (use --force)", dst)
		}
		if err != nil {
			return err
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	f, err := os.CreateTemp(dir, ".tcpflow-*.svg")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), dst)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// rank orders connections for detail: a higher score first, then the lower
// id and part.
type rank struct {
	score int64
	key   rankKey
}

type rankKey struct {
	id   int32
	part uint16
}

func byRank(a, b rank) int {
	return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.key.id, b.key.id), cmp.Compare(a.key.part, b.key.part))
}

// top keeps the k first ranks offered.
type top struct {
	k     int
	items []rank
}

// offer adds r if it is among the k first so far.
func (t *top) offer(r rank) bool {
	i, _ := slices.BinarySearchFunc(t.items, r, byRank)
	if i >= t.k {
		return false
	}
	t.items = slices.Insert(t.items, i, r)
	if len(t.items) > t.k {
		t.items = t.items[:t.k]
	}
	return true
}

// chooser decides which connections are shown in detail: the Max worst by
// severity, for each finding the three the expert summary names (the most
// of it, ties to the lower id, as report.Expert), and the pinned ones.
type chooser struct {
	worst  top
	kinds  [state.NumAnalysis]top
	pinned []rankKey
}

func newChooser(n int) chooser {
	c := chooser{worst: top{k: n}}
	for i := range c.kinds {
		c.kinds[i].k = 3
	}
	return c
}

// offer ranks a finished connection and reports whether it is among those
// to show so far.
func (ch *chooser) offer(c *pipeline.Connection, severity int64, pinned bool) bool {
	key := rankKey{int32(c.ID), uint16(c.Part)}
	in := ch.worst.offer(rank{severity, key})
	for i, an := range state.AllAnalysis() {
		n := int64(c.Data.Count[0][an.Index()]) + int64(c.Data.Count[1][an.Index()])
		if n > 0 && ch.kinds[i].offer(rank{n, key}) {
			in = true
		}
	}
	if pinned {
		ch.pinned = append(ch.pinned, key)
		in = true
	}
	return in
}

// chosen returns the connections to show.
func (ch *chooser) chosen() map[rankKey]bool {
	out := map[rankKey]bool{}
	for _, r := range ch.worst.items {
		out[r.key] = true
	}
	for _, t := range ch.kinds {
		for _, r := range t.items {
			out[r.key] = true
		}
	}
	for _, k := range ch.pinned {
		out[k] = true
	}
	return out
}
