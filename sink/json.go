package sink

import (
	"bufio"
	"io"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
)

// JSON writes the report as one JSON document (docs/json-schema.md):
// connections are encoded as they finish and spooled; End writes the
// document with the capture and the expert summary first.
type JSON struct {
	w      io.Writer
	stats  *capture.Stats
	opts   report.Options
	o      *ordered
	expert report.Expert
	buf    []byte
}

// NewJSON returns a JSON report writing to w at the end of the run; stats
// is the reader's, tempDir where the spool goes.
func NewJSON(w io.Writer, stats *capture.Stats, opts report.Options, tempDir string) *JSON {
	return &JSON{w: w, stats: stats, opts: opts, o: newOrdered(tempDir, opts.Triage)}
}

// NeedsRecords implements pipeline.RecordSink.
func (j *JSON) NeedsRecords() bool { return !j.opts.Summary }

// Finished implements pipeline.Sink.
func (j *JSON) Finished(c *pipeline.Connection) error {
	j.expert.Add(c)
	key, ok := j.o.admit(c, j.stats.FirstTime)
	if !ok {
		return nil // hidden by --problems
	}
	var err error
	j.buf, err = report.AppendConnJSON(j.buf[:0], j.stats.FirstTime, c, j.opts)
	if err != nil {
		return err
	}
	j.o.addKey(c.ID, c.Part, key, 0, nil, j.buf)
	return nil
}

// End implements pipeline.Sink: it writes the document.
func (j *JSON) End(sum *pipeline.Summary) error {
	defer j.o.close()
	j.o.sort()
	bw := bufio.NewWriterSize(j.w, 64<<10)
	if err := report.JSONStart(bw, sum, &j.expert); err != nil {
		return err
	}
	for i, e := range j.o.all() {
		_, sec := j.o.read(e)
		bw.WriteString(report.JSONConnSep(i))
		bw.Write(sec)
	}
	if err := report.JSONEnd(bw, j.o.len()); err != nil {
		return err
	}
	return flush(bw, j.o.err)
}
