package main

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/state"
	"github.com/tcpflow/tcpflow/stream"
)

// streamBytes collects what the reassembly delivers, per connection and side.
type streamBytes map[int]*[2]bytes.Buffer

func (s streamBytes) Finished(*pipeline.Connection) error { return nil }
func (s streamBytes) End(*pipeline.Summary) error         { return nil }

func (s streamBytes) Data(c *pipeline.Connection, d flow.Dir, _ int64, b []byte, _ uint64, _ int64) {
	id := c.ID
	if s[id] == nil {
		s[id] = new([2]bytes.Buffer)
	}
	s[id][d].Write(b)
}

func (s streamBytes) Gap(*pipeline.Connection, flow.Dir, int64, int64, uint64, stream.GapKind) {}

// TestReassembly runs tcpflow's reassembly over reassembly.pcap and checks
// every connection's bytes, gaps and overlaps against the table the capture
// was made from.
func TestReassembly(t *testing.T) {
	data, err := ethernet.pcap(reassembly)()
	if err != nil {
		t.Fatal(err)
	}
	r := capture.NewReader("-")
	r.Stdin = bytes.NewReader(data)
	got := streamBytes{}
	all := &pipeline.Collect{}
	sum, err := pipeline.Run(r, pipeline.Options{}, all, got)
	if err != nil || len(sum.Errors) > 0 {
		t.Fatal(err, sum.Errors)
	}
	byPort := map[uint16]*state.Connection{}
	for _, c := range all.Conns {
		byPort[c.Client.Port()] = c
	}
	check := func(i int, what, client, server string, gap int64, differing bool) {
		c := byPort[uint16(41000+i)]
		if c == nil {
			t.Errorf("%s: no connection from port %d", what, 41000+i)
			return
		}
		var cl, sv string
		if b := got[c.ID]; b != nil {
			cl, sv = b[0].String(), b[1].String()
		}
		f := &c.Data.Streams.Facts
		if cl != client || sv != server {
			t.Errorf("%s: delivered client %q server %q, want %q and %q", what, cl, sv, client, server)
		}
		if f[0].GapBytes != gap {
			t.Errorf("%s: %d client bytes not captured, want %d", what, f[0].GapBytes, gap)
		}
		if (f[0].OverlapCount > 0) != differing {
			t.Errorf("%s: %d differing overlaps, want some: %v", what, f[0].OverlapCount, differing)
		}
	}
	for i, rc := range reassemblyCases {
		check(i, rc.what, rc.client, rc.server, rc.gapBytes, rc.differingOverlap)
	}
	for i, want := range reassemblyTail {
		check(len(reassemblyCases)+i, fmt.Sprintf("tail case %d", i), want, "", 0, false)
	}
}
