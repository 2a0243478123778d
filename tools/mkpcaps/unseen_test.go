package main

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/state"
)

// connFacts are what tcpflow must report on one connection of the captures
// in unseen.go. Zero values are not checked, except where noted.
type connFacts struct {
	client, server  state.State
	ended           string
	zeek            string // conn_state and history, e.g. "SF ShADdFf"
	clientISN       uint32 // the ISN the peer acknowledged (0: not checked)
	serverISN       uint32
	clientBytes     int64 // delivered by the reassembly, with no gap (-1: not checked)
	serverBytes     int64
	serverGapBytes  int64 // sequence space of the server never captured
	flagged         map[string][]uint64
	unflaggedFrames map[string][]uint64 // frames that must not carry the name
}

// TestUnseenKinds runs tcpflow over each capture made for a kind of
// difference that unseen public captures showed (tools/mkpcaps/unseen.go)
// and checks its facts; the harness compares the same captures with tshark
// frame by frame (go test ./internal/wsdiff).
func TestUnseenKinds(t *testing.T) {
	tests := []struct {
		gen   func() ([]byte, error)
		file  string
		conns []connFacts
	}{
		{ethernet.pcap(ackUnseen), "ack-unseen.pcap", []connFacts{{
			client: state.TimeWait, server: state.Closed, ended: "fin", zeek: "SF ShADadgFf",
			clientBytes: -1, serverBytes: -1,
			serverGapBytes: 4*seg + 300, // s2, s4, s5, s6 and the 300-byte answer were never captured
			flagged: map[string][]uint64{
				"ack_lost_segment": {8, 10, 15, 16, 18},
				"duplicate_ack":    {9}, // the span port's copy of frame 8
			},
			unflaggedFrames: map[string][]uint64{"ack_lost_segment": {9, 11, 12}},
		}}},
		{ethernet.pcap(synackISNs), "synack-isns.pcap", []connFacts{{
			// The stray second SYN-ACK (frame 6) is not the connection's.
			client: state.TimeWait, server: state.Closed, ended: "fin",
			serverISN: 0x60708090, clientBytes: 49, serverBytes: seg + 700,
			flagged: map[string][]uint64{"reused_ports": {6}},
		}, {
			// The client took the second SYN-ACK (frame 18): the data counts from its ISN.
			client: state.TimeWait, server: state.Closed, ended: "fin",
			serverISN: 0xf0e0d0c0, clientBytes: 49, serverBytes: seg + 900,
			flagged: map[string][]uint64{"reused_ports": {18}},
		}}},
		{ethernet.pcap(refusedRetry), "refused-retry.pcap", []connFacts{{
			client: state.TimeWait, server: state.Closed, ended: "fin", zeek: "SF ShADdFf",
			clientBytes: 48, serverBytes: 11 * 1024,
		}, {
			client: state.TimeWait, server: state.Closed, ended: "fin",
			clientBytes: 39, serverBytes: 27,
		}}},
		{ethernet.pcap(ackNonzero), "ack-nonzero.pcap", []connFacts{
			{ended: "rst", clientBytes: -1, serverBytes: -1, flagged: map[string][]uint64{"ack_nonzero": {1, 3}}},
			{ended: "refused", zeek: "REJ Sr", clientBytes: -1, serverBytes: -1, flagged: map[string][]uint64{"ack_nonzero": {4}}},
			{ended: "rst", clientBytes: -1, serverBytes: -1, flagged: map[string][]uint64{"ack_nonzero": {6}}},
			{ended: "rst", zeek: "RSTO ShADdR", clientBytes: 200, serverBytes: 1200, flagged: map[string][]uint64{"ack_nonzero": {13}}},
		}},
		{ethernet.pcap(retransHeavy), "retrans-heavy.pcap", []connFacts{{
			client: state.TimeWait, server: state.Closed, ended: "fin", zeek: "SF ShADdtWagFf",
			clientBytes: -1, serverBytes: -1, serverGapBytes: seg,
			flagged: map[string][]uint64{
				"lost_segment":            {9, 32},
				"duplicate_ack":           {10, 12, 14, 20},
				"fast_retransmission":     {15},
				"spurious_retransmission": {19},
				"zero_window":             {22, 24, 26, 28},
				"keep_alive":              {23, 25, 27, 34}, // Linux's zero-window probes, then a real keep-alive
				"keep_alive_ack":          {35},             // not 24, 26, 28: their window is 0
				"window_update":           {29},
				"ack_lost_segment":        {33},
			},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r := generated(t, tt.gen)
			got := streamBytes{}
			all := &pipeline.Collect{Records: true}
			sum, err := pipeline.Run(r, pipeline.Options{}, all, got)
			if err != nil || len(sum.Errors) > 0 {
				t.Fatal(err, sum.Errors)
			}
			if len(all.Conns) != len(tt.conns) {
				t.Fatalf("%d connections, want %d", len(all.Conns), len(tt.conns))
			}
			for i, want := range tt.conns {
				checkFacts(t, all.Conns[i], got, want)
			}
		})
	}
}

// generated runs a case's generator and returns a reader of its capture.
func generated(t *testing.T, gen func() ([]byte, error)) *capture.Reader {
	t.Helper()
	data, err := gen()
	if err != nil {
		t.Fatal(err)
	}
	r := capture.NewReader("-")
	r.Stdin = bytes.NewReader(data)
	return r
}

func checkFacts(t *testing.T, c *state.Connection, got streamBytes, want connFacts) {
	t.Helper()
	a := c.Data
	errorf := func(format string, args ...any) {
		t.Helper()
		t.Errorf("connection %d: %s", c.ID, fmt.Sprintf(format, args...))
	}
	if want.client != 0 && (a.EP[flow.Client].State != want.client || a.EP[flow.Server].State != want.server) {
		errorf("states %s/%s, want %s/%s", a.EP[flow.Client].State, a.EP[flow.Server].State, want.client, want.server)
	}
	if a.EndedBy.String() != want.ended {
		errorf("ended %s, want %s", a.EndedBy, want.ended)
	}
	if z := a.Zeek.ConnState() + " " + a.Zeek.History(); want.zeek != "" && z != want.zeek {
		errorf("zeek %q, want %q", z, want.zeek)
	}
	if want.clientISN != 0 && a.EP[flow.Client].ISN != want.clientISN {
		errorf("client ISN %#x, want %#x", a.EP[flow.Client].ISN, want.clientISN)
	}
	if want.serverISN != 0 && a.EP[flow.Server].ISN != want.serverISN {
		errorf("server ISN %#x, want %#x", a.EP[flow.Server].ISN, want.serverISN)
	}
	f := &a.Streams.Facts
	for d, n := range [2]int64{want.clientBytes, want.serverBytes} {
		if n < 0 {
			continue
		}
		var b int
		if s := got[c.ID]; s != nil {
			b = s[d].Len()
		}
		if int64(b) != n || f[d].GapBytes != 0 {
			errorf("%s stream: %d bytes delivered, %d missing; want %d, none missing", flow.Dir(d).Side(), b, f[d].GapBytes, n)
		}
	}
	if g := a.Dir[flow.S2C].GapBytes(); g != want.serverGapBytes {
		errorf("server bytes not captured %d, want %d", g, want.serverGapBytes)
	}
	frames := map[string][]uint64{}
	for _, r := range a.Records.All() {
		for _, n := range r.Analysis.Names() {
			frames[n] = append(frames[n], r.Frame)
		}
	}
	for name, fr := range want.flagged {
		if !slices.Equal(frames[name], fr) {
			errorf("%s on frames %v, want %v", name, frames[name], fr)
		}
	}
	for name, fr := range want.unflaggedFrames {
		for _, n := range fr {
			if slices.Contains(frames[name], n) {
				errorf("frame %d flagged %s", n, name)
			}
		}
	}
}
