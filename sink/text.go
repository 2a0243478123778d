package sink

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
	"github.com/tcpflow/tcpflow/state"
)

// TextMode chooses what the text report shows for each connection.
type TextMode int

// Text modes.
const (
	Timelines TextMode = iota // facts and the annotated timeline (the default)
	Summary                   // facts only (--summary)
	Explained                 // the walk-through in words and the ladder (--explain)
)

// Text writes the text report: the capture header, then (but when
// explaining) the connection table and the expert summary, then each
// connection in id order. Connections are rendered as they finish and
// spooled; the report is written by End.
//
// A live Text (NewLiveText) writes each connection's section as soon as it
// finishes, and at the end the header, the table and the expert summary of
// everything seen.
type Text struct {
	w      io.Writer
	live   *bufio.Writer // over w, for a live Text
	stats  *capture.Stats
	opts   report.Options
	mode   TextMode
	o      *ordered
	widths []int
	expert report.Expert
	sec    bytes.Buffer
	bw     *bufio.Writer
	row    []byte
	// glossary collects the terms the explanations use (Explained mode),
	// written once at End before the connections.
	glossary report.Glossary
}

// NewText returns a text report writing to w at the end of the run. stats
// is the reader's (for the time of the first frame, which relative times
// count from); tempDir is where the spool goes ("" for the system's).
func NewText(w io.Writer, stats *capture.Stats, opts report.Options, mode TextMode, tempDir string) *Text {
	t := &Text{w: w, stats: stats, opts: opts, mode: mode, o: newOrdered(tempDir, opts.Triage), widths: make([]int, report.NumTableCells(opts))}
	t.bw = bufio.NewWriter(&t.sec)
	return t
}

// NewLiveText returns a text report for a live capture: it writes each
// connection when it finishes (Flush sends it on), in the order they finish,
// and the header, the table and the expert summary at the end.
func NewLiveText(w io.Writer, stats *capture.Stats, opts report.Options, mode TextMode, tempDir string) *Text {
	t := NewText(w, stats, opts, mode, tempDir)
	t.live = bufio.NewWriterSize(w, 64<<10)
	return t
}

// Flush implements pipeline.Flusher: a live Text writes out the sections
// written so far.
func (t *Text) Flush() error {
	if t.live == nil {
		return nil
	}
	return t.live.Flush()
}

// NeedsRecords implements pipeline.RecordSink.
func (t *Text) NeedsRecords() bool { return t.mode != Summary }

// Finished implements pipeline.Sink: it renders the connection's row and
// section.
func (t *Text) Finished(c *pipeline.Connection) error {
	base := t.stats.FirstTime
	t.row = t.row[:0]
	if t.mode != Explained {
		t.expert.Add(c)
	}
	key, ok := t.o.admit(c, base)
	if !ok {
		return recordsErr(c) // hidden by --problems
	}
	if t.mode != Explained {
		for i, cell := range report.TableCells(c, t.opts) {
			t.widths[i] = max(t.widths[i], report.CellWidth(cell))
			if i > 0 {
				t.row = append(t.row, 0)
			}
			t.row = append(t.row, cell...)
		}
	}
	t.sec.Reset()
	switch t.mode {
	case Explained:
		report.Explain(t.bw, base, c, t.opts, &t.glossary)
	default:
		report.ConnFacts(t.bw, base, c, t.opts)
		if t.mode == Timelines {
			t.bw.WriteByte('\n')
			report.Timeline(t.bw, base, c, t.opts)
		}
	}
	t.bw.Flush()
	if t.live != nil {
		t.live.Write(t.sec.Bytes())
		t.live.WriteByte('\n')
		t.o.addKey(c.ID, c.Part, key, 0, t.row, nil)
	} else {
		t.o.addKey(c.ID, c.Part, key, 0, t.row, t.sec.Bytes())
	}
	return recordsErr(c)
}

func recordsErr(c *state.Connection) error {
	if err := c.Data.Records.Err(); err != nil {
		return fmt.Errorf("connection %d: reading back its segments: %w", c.ID, err)
	}
	return nil
}

// End implements pipeline.Sink: it writes the report.
func (t *Text) End(sum *pipeline.Summary) error {
	defer t.o.close()
	t.o.sort()
	bw := t.live
	if bw == nil {
		bw = bufio.NewWriterSize(t.w, 64<<10)
	}
	if t.mode == Explained {
		report.ExplainHeader(bw, sum, t.opts)
	} else {
		report.Header(bw, sum, t.opts)
	}
	if t.o.len() == 0 && t.o.seen == 0 {
		bw.WriteString("\n" + report.NoConnections(sum) + "\n")
		return flush(bw, t.o.err)
	}
	if s := t.o.shown(t.stats.FirstTime); s != "" {
		bw.WriteString("\n" + s + "\n")
	}
	if t.mode != Explained && t.o.len() > 0 {
		bw.WriteByte('\n')
		switch {
		case t.opts.Width > 0:
			d := report.NewShortTable(bw, t.widths, t.opts.Width)
			d.Begin()
			var cells []string
			for _, e := range t.o.all() {
				row, _ := t.o.read(e)
				cells = splitCells(cells, row)
				d.Row(cells)
			}
		case t.o.len() < report.BigTable:
			rows := make([][]string, t.o.len())
			for i, e := range t.o.all() {
				row, _ := t.o.read(e)
				rows[i] = strings.Split(string(row), "\x00")
			}
			if err := report.Table(bw, report.TableHeader, rows); err != nil {
				return err
			}
		default:
			// Every column (--wide): tablewriter's table, drawn row by row
			// when it is big.
			for i, h := range report.TableHeader {
				t.widths[i] = max(t.widths[i], len(h))
			}
			d := report.TableDrawer{W: bw, Widths: t.widths}
			d.Begin(report.TableHeader)
			var cells []string
			for _, e := range t.o.all() {
				row, _ := t.o.read(e)
				cells = splitCells(cells, row)
				d.Row(cells)
			}
			d.End()
		}
	}
	if t.mode != Explained {
		bw.WriteByte('\n')
		t.expert.WriteText(bw, t.opts)
	} else {
		report.WriteGlossary(bw, &t.glossary)
	}
	for _, e := range t.o.all() {
		if t.live != nil {
			break // written as they finished
		}
		_, sec := t.o.read(e)
		bw.WriteByte('\n')
		bw.Write(sec)
	}
	return flush(bw, t.o.err)
}

// splitCells splits a row kept in the spool (cells joined by NUL) into
// cells, reusing dst: one string for the row, cut into its cells.
func splitCells(dst []string, row []byte) []string {
	s := string(row)
	dst = dst[:0]
	for {
		i := strings.IndexByte(s, 0)
		if i < 0 {
			return append(dst, s)
		}
		dst = append(dst, s[:i])
		s = s[i+1:]
	}
}

// flush flushes bw and returns err, or the flush's error.
func flush(bw *bufio.Writer, err error) error {
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}
