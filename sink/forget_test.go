package sink

import (
	"bytes"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/internal/gen"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
	"github.com/tcpflow/tcpflow/state"
)

// keeping hides that a JSONL sink is a pipeline.Forgetter, as a sink that
// keeps connections would be: the run then reuses nothing.
type keeping struct{ j *JSONL }

func (k keeping) Finished(c *pipeline.Connection) error { return k.j.Finished(c) }
func (k keeping) End(sum *pipeline.Summary) error       { return k.j.End(sum) }
func (k keeping) Segment(c *pipeline.Connection, r *state.Record, trans []state.Transition) error {
	return k.j.Segment(c, r, trans)
}

// TestReuseChangesNothing: reusing finished connections' analysis state
// (every sink a Forgetter) gives the same bytes as not reusing it, on a
// capture of more connections than the tracker keeps for continuations
// (4,096), so that states are reused many times over, under a cap that
// evicts and continues connections too.
func TestReuseChangesNothing(t *testing.T) {
	data, err := gen.Bytes(gen.Options{Profile: gen.Many, Packets: 200_000})
	if err != nil {
		t.Fatal(err)
	}
	for _, maxConns := range []int{0, 40} {
		var out [2]bytes.Buffer
		for i := range out {
			before := state.Reused()
			r := capture.NewReader("-")
			r.Stdin = bytes.NewReader(data)
			var s pipeline.Sink = NewJSONL(&out[i], &r.Stats, report.Options{})
			if i == 0 {
				s = keeping{s.(*JSONL)}
			}
			// A linger shorter than the capture finishes connections as it
			// goes, as on a long capture (not all at its end).
			sum, err := pipeline.Run(r, pipeline.Options{MaxConns: maxConns, Reassemble: true, Linger: 100e6}, s)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Conns < 4096+1000 {
				t.Fatalf("only %d connections", sum.Conns)
			}
			if n := state.Reused() - before; i == 1 && n < int64(sum.Conns/8) {
				t.Errorf("--max-conns %d: only %d of %d connections reused", maxConns, n, sum.Conns)
			}
		}
		if !bytes.Equal(out[0].Bytes(), out[1].Bytes()) {
			t.Errorf("--max-conns %d: output differs with reuse (%d and %d bytes)", maxConns, out[0].Len(), out[1].Len())
		}
	}
}
