package sink

import (
	"bufio"
	"io"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
	"github.com/tcpflow/tcpflow/state"
)

// JSONL writes the report as JSON Lines, one object per line, for pipelines
// and big captures, as things happen: a "segment" line for each segment as
// it is analyzed (unless opts.Summary), a "connection" line for each
// connection as it finishes, and a "capture" line at the end with the frame
// counts, faults and the expert summary. Connections come in the order they
// finish, so a consumer should key them by "id" (and "part").
type JSONL struct {
	w      *bufio.Writer
	stats  *capture.Stats
	opts   report.Options
	expert report.Expert
	conns  int
	line   []byte   // the line being encoded, reused
	o      *ordered // with --sort or --top: the admitted lines, spooled (jsonl_triage.go)
}

// NewJSONL returns a JSONL report writing to w; stats is the reader's. With
// opts.Summary it writes no segment lines (and is no SegmentSink, so the run
// does not hand it segments).
func NewJSONL(w io.Writer, stats *capture.Stats, opts report.Options) pipeline.Sink {
	j := &JSONL{w: bufio.NewWriterSize(w, 64<<10), stats: stats, opts: opts}
	j.o = triageSpool(opts.Triage)
	if opts.Summary {
		return jsonlSummary{j}
	}
	return j
}

// jsonlSummary is a JSONL report without segment lines.
type jsonlSummary struct{ j *JSONL }

func (s jsonlSummary) Finished(c *pipeline.Connection) error { return s.j.Finished(c) }
func (s jsonlSummary) End(sum *pipeline.Summary) error       { return s.j.End(sum) }
func (s jsonlSummary) Flush() error                          { return s.j.Flush() }

// Flush implements pipeline.Flusher: on a live capture the lines written
// so far go out at every tick.
func (j *JSONL) Flush() error { return j.w.Flush() }

// Segment implements pipeline.SegmentSink: one line per segment.
func (j *JSONL) Segment(c *pipeline.Connection, r *state.Record, trans []state.Transition) error {
	j.line = report.AppendSegmentLine(j.line[:0], c, j.stats.FirstTime, r, trans)
	_, err := j.w.Write(j.line)
	return err
}

// Finished implements pipeline.Sink: the connection's line.
func (j *JSONL) Finished(c *pipeline.Connection) error {
	j.expert.Add(c)
	j.conns++
	key, ok := j.opts.Triage.Admit(c, j.stats.FirstTime)
	if !ok {
		return nil // left out by --problems or the time window
	}
	var err error
	if j.line, err = report.AppendConnLine(j.line[:0], j.stats.FirstTime, c, j.opts); err != nil {
		return err
	}
	if j.o != nil {
		j.o.addKey(c.ID, c.Part, key, 0, nil, j.line)
		return j.o.err
	}
	_, err = j.w.Write(j.line)
	return err
}

// End implements pipeline.Sink: the capture line.
func (j *JSONL) End(sum *pipeline.Summary) error {
	if err := j.writeSorted(); err != nil {
		return err
	}
	var err error
	if j.line, err = report.AppendCaptureLine(j.line[:0], sum, j.conns, &j.expert); err != nil {
		return err
	}
	if _, err := j.w.Write(j.line); err != nil {
		return err
	}
	return j.w.Flush()
}
