package state

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
)

// step is one segment of a scripted conversation.
type step struct {
	dir      flow.Dir
	flags    capture.Flags
	seq, ack uint32
	len      int
}

const (
	S = capture.SYN
	A = capture.ACK
	F = capture.FIN
	R = capture.RST
	P = capture.PSH
)

var (
	cli = netip.MustParseAddrPort("10.0.0.1:40000")
	srv = netip.MustParseAddrPort("10.0.0.2:80")
)

// play feeds the steps to a new Conn (client ISN 1000, server ISN 5000 in the
// scripts) and returns it.
func play(t *testing.T, steps []step) *Conn {
	t.Helper()
	c := NewConn()
	c.Records.Keep(nil)
	for i, s := range steps {
		seg := capture.Segment{Frame: uint64(i + 1), Time: int64(i+1) * 1e6, Seq: s.seq, Ack: s.ack,
			Flags: s.flags, Window: 1000, PayloadLen: s.len, Opts: capture.Options{MSS: -1, WScale: -1}}
		seg.Src, seg.Dst = cli, srv
		if s.dir == flow.S2C {
			seg.Src, seg.Dst = srv, cli
		}
		c.Process(&seg, s.dir, i == 0, false)
	}
	return c
}

// trace renders the transitions as "frame:role:FROM>TO" for comparison.
func trace(c *Conn) string {
	var parts []string
	for _, t := range c.Transitions {
		parts = append(parts, fmt.Sprintf("%d:%s:%s>%s", t.Frame, t.Endpoint.Side(), t.From, t.To))
	}
	return strings.Join(parts, " ")
}

const c2s, s2c = flow.C2S, flow.S2C

var handshake = []step{
	{c2s, S, 1000, 0, 0},
	{s2c, S | A, 5000, 1001, 0},
	{c2s, A, 1001, 5001, 0},
}

func with[T any](steps ...[]T) []T {
	var all []T
	for _, s := range steps {
		all = append(all, s...)
	}
	return all
}

func TestTransitions(t *testing.T) {
	tests := []struct {
		name          string
		steps         []step
		want          string
		client, sever State
		ended         EndedBy
		closer        flow.Dir
	}{{
		name:   "three-way handshake (RFC 9293 figure 7)",
		steps:  handshake,
		want:   "1:client:CLOSED>SYN_SENT 1:server:LISTEN>SYN_RECEIVED 2:client:SYN_SENT>ESTABLISHED 3:server:SYN_RECEIVED>ESTABLISHED",
		client: Established, sever: Established, ended: Open,
	}, {
		name: "client closes first (RFC 9293 figure 12, normal close)",
		steps: with(handshake, []step{
			{c2s, F | A, 1001, 5001, 0},
			{s2c, A, 5001, 1002, 0},
			{s2c, F | A, 5001, 1002, 0},
			{c2s, A, 1002, 5002, 0},
		}),
		want: "1:client:CLOSED>SYN_SENT 1:server:LISTEN>SYN_RECEIVED 2:client:SYN_SENT>ESTABLISHED 3:server:SYN_RECEIVED>ESTABLISHED " +
			"4:client:ESTABLISHED>FIN_WAIT_1 4:server:ESTABLISHED>CLOSE_WAIT 5:client:FIN_WAIT_1>FIN_WAIT_2 " +
			"6:client:FIN_WAIT_2>TIME_WAIT 6:server:CLOSE_WAIT>LAST_ACK 7:server:LAST_ACK>CLOSED",
		client: TimeWait, sever: Closed, ended: Fin, closer: flow.Client,
	}, {
		name: "server closes first, FIN piggybacks the ACK",
		steps: with(handshake, []step{
			{s2c, F | A, 5001, 1001, 0},
			{c2s, F | A, 1001, 5002, 0},
			{s2c, A, 5002, 1002, 0},
		}),
		want: "1:client:CLOSED>SYN_SENT 1:server:LISTEN>SYN_RECEIVED 2:client:SYN_SENT>ESTABLISHED 3:server:SYN_RECEIVED>ESTABLISHED " +
			"4:client:ESTABLISHED>CLOSE_WAIT 4:server:ESTABLISHED>FIN_WAIT_1 5:client:CLOSE_WAIT>LAST_ACK 5:server:FIN_WAIT_1>TIME_WAIT 6:client:LAST_ACK>CLOSED",
		client: Closed, sever: TimeWait, ended: Fin, closer: flow.Server,
	}, {
		name: "simultaneous close: FINs cross (RFC 9293 figure 13)",
		steps: with(handshake, []step{
			{c2s, F | A, 1001, 5001, 0},
			{s2c, F | A, 5001, 1001, 0}, // does not ack the client's FIN: sent before it arrived
			{c2s, A, 1002, 5002, 0},
			{s2c, A, 5002, 1002, 0},
		}),
		want: "1:client:CLOSED>SYN_SENT 1:server:LISTEN>SYN_RECEIVED 2:client:SYN_SENT>ESTABLISHED 3:server:SYN_RECEIVED>ESTABLISHED " +
			"4:client:ESTABLISHED>FIN_WAIT_1 4:server:ESTABLISHED>CLOSE_WAIT 5:client:FIN_WAIT_1>CLOSING 5:server:CLOSE_WAIT>CLOSING " +
			"6:server:CLOSING>TIME_WAIT 7:client:CLOSING>TIME_WAIT",
		client: TimeWait, sever: TimeWait, ended: Fin, closer: flow.Client,
	}, {
		name: "simultaneous open (RFC 9293 figure 8)",
		steps: []step{
			{c2s, S, 1000, 0, 0},
			{s2c, S, 5000, 0, 0},
			{c2s, S | A, 1000, 5001, 0},
			{s2c, S | A, 5000, 1001, 0},
		},
		want:   "1:client:CLOSED>SYN_SENT 1:server:LISTEN>SYN_RECEIVED 2:client:SYN_SENT>SYN_RECEIVED 3:server:SYN_RECEIVED>ESTABLISHED 4:client:SYN_RECEIVED>ESTABLISHED",
		client: Established, sever: Established, ended: Open,
	}, {
		name: "half-close: server sends data after the client's FIN",
		steps: with(handshake, []step{
			{c2s, F | A, 1001, 5001, 0},
			{s2c, A | P, 5001, 1002, 100},
			{s2c, A | P, 5101, 1002, 100},
			{c2s, A, 1002, 5201, 0},
		}),
		want: "1:client:CLOSED>SYN_SENT 1:server:LISTEN>SYN_RECEIVED 2:client:SYN_SENT>ESTABLISHED 3:server:SYN_RECEIVED>ESTABLISHED " +
			"4:client:ESTABLISHED>FIN_WAIT_1 4:server:ESTABLISHED>CLOSE_WAIT 5:client:FIN_WAIT_1>FIN_WAIT_2",
		client: FinWait2, sever: CloseWait, ended: Open, closer: flow.Client,
	}, {
		name:   "refused: SYN answered by RST",
		steps:  []step{{c2s, S, 1000, 0, 0}, {s2c, R | A, 0, 1001, 0}},
		want:   "1:client:CLOSED>SYN_SENT 2:client:SYN_SENT>CLOSED",
		client: Closed, sever: Closed, ended: Refused, closer: flow.Server,
	}, {
		name: "refused, then the same SYN again and accepted",
		steps: with([]step{{c2s, S, 1000, 0, 0}, {s2c, R | A, 0, 1001, 0}, {c2s, S, 1000, 0, 0}}, handshake[1:], []step{
			{c2s, F | A, 1001, 5001, 0}, {s2c, F | A, 5001, 1002, 0}, {c2s, A, 1002, 5002, 0},
		}),
		want: "1:client:CLOSED>SYN_SENT 2:client:SYN_SENT>CLOSED 3:client:CLOSED>SYN_SENT 3:server:CLOSED>SYN_RECEIVED " +
			"4:client:SYN_SENT>ESTABLISHED 5:server:SYN_RECEIVED>ESTABLISHED 6:client:ESTABLISHED>FIN_WAIT_1 6:server:ESTABLISHED>CLOSE_WAIT " +
			"7:client:FIN_WAIT_1>TIME_WAIT 7:server:CLOSE_WAIT>LAST_ACK 8:server:LAST_ACK>CLOSED",
		client: TimeWait, sever: Closed, ended: Fin, closer: flow.Client,
	}, {
		name:  "a RST the client did not take, then the real SYN-ACK",
		steps: with([]step{{c2s, S, 1000, 0, 0}, {s2c, R | A, 5000, 1001, 0}, {c2s, R, 1001, 0, 0}}, handshake[1:]),
		want: "1:client:CLOSED>SYN_SENT 2:client:SYN_SENT>CLOSED 4:client:CLOSED>ESTABLISHED 4:server:CLOSED>SYN_RECEIVED " +
			"5:server:SYN_RECEIVED>ESTABLISHED",
		client: Established, sever: Established, ended: Open,
	}, {
		name:   "RST that does not acknowledge the SYN is ignored in SYN_SENT (RFC 9293 3.10.7.3)",
		steps:  []step{{c2s, S, 1000, 0, 0}, {s2c, R | A, 0, 7777, 0}},
		want:   "1:client:CLOSED>SYN_SENT 1:server:LISTEN>SYN_RECEIVED",
		client: SynSent, sever: SynReceived, ended: Open,
	}, {
		name: "RST mid-stream from the server",
		steps: with(handshake, []step{
			{c2s, A | P, 1001, 5001, 10},
			{s2c, R | A, 5001, 1011, 0},
		}),
		want: "1:client:CLOSED>SYN_SENT 1:server:LISTEN>SYN_RECEIVED 2:client:SYN_SENT>ESTABLISHED 3:server:SYN_RECEIVED>ESTABLISHED " +
			"5:client:ESTABLISHED>CLOSED 5:server:ESTABLISHED>CLOSED",
		client: Closed, sever: Closed, ended: Rst, closer: flow.Server,
	}, {
		name: "joined mid-stream, then the client closes",
		steps: []step{
			{c2s, A | P, 1001, 5001, 10},
			{c2s, F | A, 1011, 5001, 0},
			{s2c, F | A, 5001, 1012, 0},
			{c2s, A, 1012, 5002, 0},
		},
		want: "1:client:UNKNOWN>ESTABLISHED 1:server:UNKNOWN>ESTABLISHED 2:client:ESTABLISHED>FIN_WAIT_1 2:server:ESTABLISHED>CLOSE_WAIT " +
			"3:client:FIN_WAIT_1>TIME_WAIT 3:server:CLOSE_WAIT>LAST_ACK 4:server:LAST_ACK>CLOSED",
		client: TimeWait, sever: Closed, ended: Fin, closer: flow.Client,
	}, {
		name:   "SYN-ACK not captured: the client's ACK shows it arrived",
		steps:  []step{{c2s, S, 1000, 0, 0}, {c2s, A, 1001, 5001, 0}},
		want:   "1:client:CLOSED>SYN_SENT 1:server:LISTEN>SYN_RECEIVED 2:client:SYN_SENT>ESTABLISHED 2:server:SYN_RECEIVED>ESTABLISHED",
		client: Established, sever: Established, ended: Open,
	}, {
		name:   "capture starts at the SYN-ACK",
		steps:  []step{{s2c, S | A, 5000, 1001, 0}, {c2s, A, 1001, 5001, 0}},
		want:   "1:client:UNKNOWN>SYN_SENT 1:server:LISTEN>SYN_RECEIVED 1:client:SYN_SENT>ESTABLISHED 2:server:SYN_RECEIVED>ESTABLISHED",
		client: Established, sever: Established, ended: Open,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := play(t, tt.steps)
			if got := trace(c); got != tt.want {
				t.Errorf("transitions:\n got %s\nwant %s", got, tt.want)
			}
			if c.EP[flow.Client].State != tt.client || c.EP[flow.Server].State != tt.sever {
				t.Errorf("final states = %s/%s, want %s/%s", c.EP[flow.Client].State, c.EP[flow.Server].State, tt.client, tt.sever)
			}
			if c.EndedBy != tt.ended {
				t.Errorf("ended by %s, want %s", c.EndedBy, tt.ended)
			}
			if tt.ended != Open || c.CloseSeen {
				if c.Closer != tt.closer {
					t.Errorf("closer %s, want %s", c.Closer.Side(), tt.closer.Side())
				}
			}
		})
	}
}

func TestRelativeNumbersWrap(t *testing.T) {
	c := play(t, []step{
		{c2s, S, 0xFFFFFFF0, 0, 0},
		{s2c, S | A, 5000, 0xFFFFFFF1, 0},
		{c2s, A | P, 0xFFFFFFF1, 5001, 100},
		{s2c, A, 5001, 0x55, 0}, // 0xFFFFFFF1+100 wrapped
	})
	r := c.Records.Slice()
	if r[2].RelSeq != 1 || r[3].RelAck != 101 {
		t.Errorf("relative seq/ack across the wrap = %d/%d, want 1/101", r[2].RelSeq, r[3].RelAck)
	}
	if !flow.Seq(0xFFFFFFF1).LessThan(flow.Seq(0x55)) {
		t.Error("Seq.LessThan fails across the wrap")
	}
}

func TestWindowScale(t *testing.T) {
	seg := func(f capture.Flags, ws int8, win uint16) capture.Segment {
		return capture.Segment{Flags: f, Window: win, Opts: capture.Options{MSS: -1, WScale: ws}}
	}
	tests := []struct {
		name       string
		cws, sws   int8
		want       int64 // scaled window of the client's third segment (raw 513)
		wantServer int64
	}{
		{"both offered", 7, 8, 513 << 7, 513 << 8},
		{"client only: scaling off both ways", 7, -1, 513, 513},
		{"server answers zero shift", 7, 0, 513 << 7, 513},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewConn()
			s1 := seg(S, tt.cws, 64240)
			s2 := seg(S|A, tt.sws, 65160)
			s2.Ack = 1
			s3 := seg(A, -1, 513)
			s3.Seq = 1
			s4 := seg(A, -1, 513)
			c.Process(&s1, c2s, true, false)
			c.Process(&s2, s2c, false, false)
			if r := c.Process(&s3, c2s, false, false); r.WinScaled != tt.want {
				t.Errorf("client window = %d, want %d", r.WinScaled, tt.want)
			}
			if r := c.Process(&s4, s2c, false, false); r.WinScaled != tt.wantServer {
				t.Errorf("server window = %d, want %d", r.WinScaled, tt.wantServer)
			}
		})
	}
	// The peer's SYN not captured: the sender's own shift is assumed, as Wireshark does.
	c0 := NewConn()
	s1, s3 := seg(S, 8, 8192), seg(A, -1, 260)
	s3.Seq = 1
	c0.Process(&s1, c2s, true, false)
	if r := c0.Process(&s3, c2s, false, false); r.WinScaled != 260<<8 || !r.ScaleAssumed {
		t.Errorf("window with the SYN-ACK missing = %d (assumed %v), want %d assumed", r.WinScaled, r.ScaleAssumed, 260<<8)
	}
	// A SYN sent again with the option after a SYN-ACK without it: Wireshark
	// scales that side's windows again (and only that side's).
	c1 := NewConn()
	syn, synack, syn2, synack2 := seg(S, 6, 14600), seg(S|A, -1, 65535), seg(S, 6, 14600), seg(S|A, -1, 65535)
	cl, sv := seg(A, -1, 14600), seg(A, -1, 65535)
	cl.Seq, sv.Seq = 1, 1
	for i, s := range []*capture.Segment{&syn, &synack, &syn2, &synack2} {
		c1.Process(s, flow.Dir(i%2), i == 0, false)
	}
	if r := c1.Process(&cl, c2s, false, false); r.WinScaled != 14600<<6 {
		t.Errorf("client window after a second SYN with wscale 6 = %d, want %d", r.WinScaled, 14600<<6)
	}
	if r := c1.Process(&sv, s2c, false, false); r.WinScaled != 65535 {
		t.Errorf("server window = %d, want %d (not scaled)", r.WinScaled, 65535)
	}
	// Joined mid-stream: the scale is unknown.
	c := NewConn()
	s := seg(A, -1, 513)
	if r := c.Process(&s, c2s, true, false); r.WinScaled != -1 {
		t.Errorf("mid-stream window = %d, want -1 (unknown)", r.WinScaled)
	}
}
