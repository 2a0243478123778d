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
type Text struct {
	w      io.Writer
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
	t := &Text{w: w, stats: stats, opts: opts, mode: mode, o: newOrdered(tempDir), widths: make([]int, len(report.TableHeader))}
	for i, h := range report.TableHeader {
		t.widths[i] = len(h)
	}
	t.bw = bufio.NewWriter(&t.sec)
	return t
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
		for i, cell := range report.TableRow(c) {
			t.widths[i] = max(t.widths[i], len(cell))
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
		report.ConnFacts(t.bw, base, c)
		if t.mode == Timelines {
			t.bw.WriteByte('\n')
			report.Timeline(t.bw, base, c, t.opts)
		}
	}
	t.bw.Flush()
	t.o.add(c.ID, c.Part, t.row, t.sec.Bytes())
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
	bw := bufio.NewWriterSize(t.w, 64<<10)
	if t.mode == Explained {
		report.ExplainHeader(bw, sum)
	} else {
		report.Header(bw, sum)
	}
	if len(t.o.index) == 0 {
		bw.WriteString("\n" + report.NoConnections(sum) + "\n")
		return flush(bw, t.o.err)
	}
	if t.mode != Explained {
		bw.WriteByte('\n')
		if len(t.o.index) < report.BigTable {
			rows := make([][]string, len(t.o.index))
			for i, e := range t.o.index {
				row, _ := t.o.read(e)
				rows[i] = strings.Split(string(row), "\x00")
			}
			if err := report.Table(bw, report.TableHeader, rows); err != nil {
				return err
			}
		} else {
			d := report.TableDrawer{W: bw, Widths: t.widths}
			d.Begin(report.TableHeader)
			for _, e := range t.o.index {
				row, _ := t.o.read(e)
				d.Row(strings.Split(string(row), "\x00"))
			}
			d.End()
		}
		bw.WriteByte('\n')
		t.expert.WriteText(bw)
	} else {
		report.WriteGlossary(bw, &t.glossary)
	}
	for _, e := range t.o.index {
		_, sec := t.o.read(e)
		bw.WriteByte('\n')
		bw.Write(sec)
	}
	return flush(bw, t.o.err)
}

// flush flushes bw and returns err, or the flush's error.
func flush(bw *bufio.Writer, err error) error {
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}
