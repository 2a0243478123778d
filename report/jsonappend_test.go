package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/state"
)

// jsonlSeg is a segment line as encoding/json would write it: the reference
// appendSegmentLine must match.
type jsonlSeg struct {
	Type string `json:"type"`
	Conn int    `json:"conn"`
	jsonSeg
}

// TestSegmentAppendMatchesEncodingJSON checks the hand-written segment line
// against encoding/json on every segment of the golden captures.
func TestSegmentAppendMatchesEncodingJSON(t *testing.T) {
	for _, gc := range goldenCases(t) {
		r := capture.NewReader(gc.path)
		n := 0
		var first []byte
		res := state.Run(r, state.Options{Segment: func(c *state.Connection, rec *state.Record, trans []state.Transition) {
			got := appendSegmentLine(nil, c.ID, r.Stats.FirstTime, rec, trans)
			// encoding/json over the same record, through the types the JSON
			// report uses.
			conn := &state.Connection{ID: c.ID, Data: &state.Conn{Records: []state.Record{*rec}, Transitions: trans}}
			js := (*connJSONAt(r.Stats.FirstTime, conn, Options{}).Segments)[0]
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			if err := enc.Encode(jsonlSeg{"segment", c.ID, js}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.Bytes()) && first == nil {
				first = []byte("got  " + string(got) + "want " + want.String())
			}
			n++
		}}, nil)
		r.Close()
		_ = res
		if first != nil {
			t.Errorf("%s: segment line differs from encoding/json:\n%s", gc.name, first)
		}
		if n == 0 && gc.name != "corrupt.pcap" {
			t.Logf("%s: no segments", gc.name)
		}
	}
}
