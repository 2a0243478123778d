package gen_test

import (
	"bytes"
	"crypto/sha256"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/internal/gen"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/state"
)

// TestDeterministic: the same options give the same bytes, another seed others.
func TestDeterministic(t *testing.T) {
	o := gen.Options{Profile: gen.Lossy, Packets: 5000, Seed: 3}
	sum := func(o gen.Options) [32]byte {
		var b bytes.Buffer
		if _, err := gen.Write(&b, o); err != nil {
			t.Fatal(err)
		}
		return sha256.Sum256(b.Bytes())
	}
	if sum(o) != sum(o) {
		t.Error("two runs with the same options differ")
	}
	o2 := o
	o2.Seed = 4
	if sum(o) == sum(o2) {
		t.Error("another seed gives the same capture")
	}
}

// TestProfiles checks that each profile holds the traffic it promises, as
// tcpflow's own analysis sees it.
func TestProfiles(t *testing.T) {
	analyze := func(o gen.Options) ([]*pipeline.Connection, [state.NumAnalysis]int, map[string]int) {
		var b bytes.Buffer
		n, err := gen.Write(&b, o)
		if err != nil {
			t.Fatal(err)
		}
		if n < o.Packets || n > o.Packets+o.Packets/10+100 {
			t.Errorf("%s: %d packets written, asked for %d", o.Profile, n, o.Packets)
		}
		r := capture.NewReader("-")
		r.Stdin = &b
		_, conns, err := pipeline.RunAll(r, pipeline.Options{}, false)
		if err != nil {
			t.Fatal(err)
		}
		var counts [state.NumAnalysis]int
		ends := map[string]int{}
		for _, c := range conns {
			for d := range c.Data.Count {
				for i, v := range c.Data.Count[d] {
					counts[i] += int(v)
				}
			}
			ends[c.Data.Zeek.ConnState()]++
		}
		return conns, counts, ends
	}
	res, counts, ends := analyze(gen.Options{Profile: gen.Many, Packets: 20000, Seed: 1})
	if len(res) < 500 {
		t.Errorf("many: %d connections", len(res))
	}
	for _, st := range []string{"SF", "REJ", "RSTO", "RSTR"} {
		if ends[st] == 0 {
			t.Errorf("many: no connection ends as %s (%v)", st, ends)
		}
	}
	if counts[state.ReusedPorts.Index()] == 0 {
		t.Errorf("many: no port reuse")
	}
	if n := counts[state.Retransmission.Index()]; n != 0 {
		t.Errorf("many: %d retransmissions on a clean path", n)
	}

	res, _, _ = analyze(gen.Options{Profile: gen.Bulk, Packets: 5000, Seed: 1})
	if len(res) > 8 {
		t.Errorf("bulk: %d connections, want a few", len(res))
	}

	_, counts, _ = analyze(gen.Options{Profile: gen.Lossy, Packets: 20000, Seed: 1})
	for _, a := range []state.Analysis{state.Retransmission, state.FastRetransmission, state.DuplicateAck, state.OutOfOrder, state.LostSegment} {
		if counts[a.Index()] == 0 {
			t.Errorf("lossy: no %s", a.Name())
		}
	}
}
