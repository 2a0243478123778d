package report

import (
	"bufio"
	"encoding/json"
	"io"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/state"
)

// JSONL writes the report as JSON Lines, one object per line, for pipelines and
// big captures. It is fed while the capture is read: Segment for each segment
// as it is analyzed (a "segment" line), Conn for each connection as it
// finishes (a "connection" line), and Close at the end (a "capture" line with
// the frame counts, errors and the expert summary). Lines carry a "type" field; the other
// fields are those of the JSON report (docs/json-schema.md). Connections come
// in the order they finish, so a consumer should key them by "id".
type JSONL struct {
	w      *bufio.Writer
	enc    *json.Encoder
	stats  *capture.Stats // the reader's, for the capture's first frame time
	opts   Options
	expert expertAcc
	err    error
	line   []byte // the segment line being encoded, reused
}

// NewJSONL returns a JSONL writer; stats is the capture reader's statistics,
// read when each connection is written.
func NewJSONL(w io.Writer, stats *capture.Stats, opts Options) *JSONL {
	bw := bufio.NewWriterSize(w, 64<<10)
	return &JSONL{w: bw, enc: json.NewEncoder(bw), stats: stats, opts: opts}
}

type jsonlConn struct {
	Type string `json:"type"`
	jsonConn
}

type jsonlCapture struct {
	Type string `json:"type"`
	jsonCapture
	Connections int          `json:"connections"`
	Expert      []jsonExpert `json:"expert"`
}

// Segment writes one segment line as the segment is analyzed (wire it to
// state.Options.Segment); with it, no Records need to be kept.
func (j *JSONL) Segment(c *state.Connection, r *state.Record, trans []state.Transition) {
	if j.err != nil {
		return
	}
	j.line = appendSegmentLine(j.line[:0], c.ID, j.stats.FirstTime, r, trans)
	_, j.err = j.w.Write(j.line)
}

// Conn writes one finished connection's line (its segments went out through
// Segment as they were analyzed).
func (j *JSONL) Conn(c *state.Connection) {
	if j.err != nil {
		return
	}
	j.expert.add(c)
	summary := j.opts
	summary.Summary = true // no segments in the connection line
	j.put(jsonlConn{"connection", connJSONAt(j.stats.FirstTime, c, summary)})
}

func (j *JSONL) put(v any) {
	if j.err == nil {
		j.err = j.enc.Encode(v)
	}
}

// Close writes the capture line with everything counted over the run and
// flushes. res is the finished run (its Conns are empty when streamed).
func (j *JSONL) Close(res *state.Result, conns int) error {
	jc := jsonlCapture{Type: "capture", jsonCapture: captureJSON(res), Connections: conns, Expert: []jsonExpert{}}
	for _, r := range j.expert.list() {
		jc.Expert = append(jc.Expert, expertJSON(r))
	}
	j.put(jc)
	if j.err != nil {
		return j.err
	}
	return j.w.Flush()
}
