package report

import (
	"encoding/json"

	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/state"
)

// The lines of --format jsonl: a "segment" line per segment as it is
// analyzed, a "connection" line per connection as it finishes, and a
// "capture" line at the end. Lines carry a "type" field; the other fields
// are those of the JSON report (docs/json-schema.md).

type jsonlCapture struct {
	Type string `json:"type"`
	jsonCapture
	Connections int          `json:"connections"`
	Expert      []jsonExpert `json:"expert"`
}

// AppendSegmentLine appends a segment's line, newline included; relative
// times count from base (ns).
func AppendSegmentLine(b []byte, c *state.Connection, base int64, r *state.Record, trans []state.Transition) []byte {
	return appendSegmentLine(b, c, base, r, trans)
}

// AppendConnLine appends a finished connection's line (without segments:
// they had their own lines), newline included. It is written by hand
// (jsonconn.go); its bytes are json.Marshal's of a jsonlConn.
func AppendConnLine(b []byte, base int64, c *state.Connection, opts Options) ([]byte, error) {
	w := jsonWriter{b: b}
	w.open('{')
	w.str("type", "connection")
	appendConnFields(&w, base, c)
	w.close('}')
	if w.err != nil {
		return b, w.err
	}
	return append(w.b, '\n'), nil
}

// AppendCaptureLine appends the last line: the capture's counts and faults,
// the number of connections and the expert summary.
func AppendCaptureLine(b []byte, sum *pipeline.Summary, conns int, e *Expert) ([]byte, error) {
	jc := jsonlCapture{Type: "capture", jsonCapture: captureJSON(sum), Connections: conns, Expert: []jsonExpert{}}
	for _, r := range e.list() {
		jc.Expert = append(jc.Expert, expertJSON(r))
	}
	return appendJSONLine(b, jc)
}

func appendJSONLine(b []byte, v any) ([]byte, error) {
	line, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(append(b, line...), '\n'), nil
}
