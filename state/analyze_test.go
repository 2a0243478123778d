package state

import (
	"strings"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
)

// aseg is one segment of an analysis script: times in ms, window raw (no
// scaling options are sent, so windows are not scaled).
type aseg struct {
	dir      flow.Dir
	ms       int64
	flags    capture.Flags
	seq, ack uint32
	len      int
	win      uint16
	want     string // analysis names, comma-separated, "" for none
}

// TestAnalysis checks the findings of scripted conversations frame by frame,
// each one a rule of TShark 4.0 (docs/analysis.md) that unseen captures showed.
func TestAnalysis(t *testing.T) {
	tests := []struct {
		name string
		segs []aseg
	}{
		{"ACK of a hole is reported once", []aseg{
			{c2s, 0, S, 1000, 0, 0, 1000, ""},
			{s2c, 1, S | A, 5000, 1001, 0, 1000, ""},
			{c2s, 2, A, 1001, 5001, 100, 1000, ""},
			{c2s, 3, A, 1201, 5001, 100, 1000, "lost_segment"},
			{s2c, 4, A, 5001, 1101, 0, 1000, ""},
			{s2c, 5, A, 5001, 1301, 0, 1000, "ack_lost_segment"},
			{s2c, 6, A, 5001, 1301, 0, 1000, "duplicate_ack"},
		}},
		{"ACKs beyond all data seen: reported until the peer acknowledges anew", []aseg{
			{c2s, 0, S, 1000, 0, 0, 1000, ""},
			{s2c, 1, S | A, 5000, 1001, 0, 1000, ""},
			{c2s, 2, A, 1001, 5001, 100, 1000, ""},
			{s2c, 3, A, 5001, 1201, 0, 1000, "ack_lost_segment"},
			{s2c, 3, A, 5001, 1201, 0, 1000, "duplicate_ack"}, // the same frame captured twice
			{s2c, 4, A, 5001, 1301, 0, 1000, ""},
			{c2s, 5, A, 1101, 5001, 0, 1000, "duplicate_ack"}, // same ACK as before: the report stays held
			{s2c, 6, A, 5001, 1401, 0, 1000, ""},
			{s2c, 7, A, 5001, 1401, 100, 1000, ""},
			{c2s, 8, A, 1101, 5101, 0, 1000, ""}, // a new acknowledgment number
			{s2c, 9, A, 5101, 1501, 0, 1000, "ack_lost_segment"},
		}},
		{"the acknowledgment field counts without the ACK flag", []aseg{
			{c2s, 0, S, 40000, 0, 0, 8192, ""},
			{s2c, 1, S | A, 0xFFFFFFFF, 40001, 0, 65535, ""},
			{c2s, 2, A, 40001, 0, 0, 8192, "duplicate_ack"}, // ack 0 = the SYN's ack field
		}},
		{"a segment captured before the one it follows is a retransmission", []aseg{
			{c2s, 0, S, 1000, 0, 0, 1000, ""},
			{s2c, 1, S | A, 5000, 1001, 0, 1000, ""},
			{c2s, 2, A, 1001, 5001, 0, 1000, ""},
			{s2c, 30, A | P, 5017, 1001, 16, 1000, "lost_segment"},
			{s2c, 20, A | P, 5001, 1001, 16, 1000, "retransmission"},
		}},
		{"an acknowledgment number without the ACK flag", []aseg{
			{c2s, 0, S, 1000, 0x5d1c2b3a, 0, 1024, "ack_nonzero"}, // a scanner's SYN
			{s2c, 1, R | A, 0, 1001, 0, 0, ""},
			{c2s, 2, R, 1001, 77, 0, 0, "ack_nonzero"},
		}},
		{"no keep-alive ACK with a zero window", []aseg{
			{c2s, 0, S, 1000, 0, 0, 1000, ""},
			{s2c, 1, S | A, 5000, 1001, 0, 1000, ""},
			{c2s, 2, A, 1001, 5001, 0, 0, "zero_window"},
			{s2c, 3000, A, 5000, 1001, 0, 1000, "keep_alive"},
			{c2s, 3001, A, 1001, 5001, 0, 0, "zero_window"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewConn()
			c.Records.Keep(nil)
			for i, s := range tt.segs {
				seg := capture.Segment{Frame: uint64(i + 1), Time: 1e18 + s.ms*1e6, Seq: s.seq, Ack: s.ack,
					Flags: s.flags, Window: s.win, PayloadLen: s.len, Opts: capture.Options{MSS: -1, WScale: -1}}
				seg.Src, seg.Dst = cli, srv
				if s.dir == s2c {
					seg.Src, seg.Dst = srv, cli
				}
				r := c.Process(&seg, s.dir, i == 0, false)
				if got := strings.Join(r.Analysis.Names(), ","); got != s.want {
					t.Errorf("frame %d: %q, want %q", i+1, got, s.want)
				}
			}
		})
	}
}

// TestUnackedBounded checks that the list behind the ACK RTT stops at
// maxUnacked segments per direction, as Wireshark's does, and that a list
// grown large is given back once an ACK empties it.
func TestUnackedBounded(t *testing.T) {
	c := NewConn()
	seg := capture.Segment{Frame: 1, Time: 1e18, Seq: 1000, Flags: capture.SYN, Window: 1000,
		Opts: capture.Options{MSS: -1, WScale: -1}, Src: cli, Dst: srv}
	c.Process(&seg, c2s, true, false)
	seq := uint32(1001)
	for i := range maxUnacked + 100 {
		seg = capture.Segment{Frame: uint64(i + 2), Time: 1e18 + int64(i+1)*1e3, Seq: seq, Flags: capture.ACK,
			Window: 1000, PayloadLen: 10, Opts: capture.Options{MSS: -1, WScale: -1}, Src: cli, Dst: srv}
		c.Process(&seg, c2s, false, false)
		seq += 10
	}
	if n := len(c.an.dir[c2s].segs); n != maxUnacked {
		t.Errorf("%d segments listed, want %d", n, maxUnacked)
	}
	// An ACK of everything names the last listed segment that ends there:
	// none, since the last ones were not listed.
	ack := capture.Segment{Frame: 1e6, Time: 2e18, Seq: 5000, Ack: seq, Flags: capture.ACK, Window: 1000,
		Opts: capture.Options{MSS: -1, WScale: -1}, Src: srv, Dst: cli}
	r := c.Process(&ack, s2c, false, false)
	if r.AckOf != 0 {
		t.Errorf("ACK beyond the listed segments names frame %d", r.AckOf)
	}
	if s := c.an.dir[c2s].segs; len(s) != 0 || cap(s) != 0 {
		t.Errorf("after the ACK: %d segments listed, capacity %d; want none kept", len(s), cap(s))
	}
}
