package state

import (
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
)

// TestImpossibleJumps checks which forward jumps are holes the capture
// missed and which are numbers too far off to be real, kept out of the gap
// bytes: a jump of more than the receiver's largest window and faster than
// 100 Gbit/s since the direction last advanced. The scripts send a segment
// every millisecond.
func TestImpossibleJumps(t *testing.T) {
	hs := []step{{flow.C2S, S, 1000, 0, 0}, {flow.S2C, S | A, 5000, 1001, 0}, {flow.C2S, A, 1001, 5001, 0}}
	with := func(more ...step) []step { return append(append([]step(nil), hs...), more...) }
	const crafted = 1_124_042_488
	for _, tc := range []struct {
		name           string
		steps          []step
		gap            [2]int64
		seqJ, ackJ     [2]uint32
		recSeq, recAck uint32 // on the last record
	}{
		// 1000 bytes missing after 1 ms: a hole.
		{"lost segment", with(step{flow.C2S, A, 2001, 5001, 100}), [2]int64{1000, 0}, [2]uint32{}, [2]uint32{}, 0, 0},
		// 1,124,042,488 bytes 1 ms after the last segment: beyond the
		// receiver's window (1000) and 1.1 PB/s.
		{"crafted sequence number", with(step{flow.C2S, A, 1001 + crafted, 5001, 100}), [2]int64{}, [2]uint32{1, 0}, [2]uint32{}, crafted, 0},
		// The same jump acknowledged: the ACK's jump is counted for the
		// side that sent it, and the hole is kept out of the peer's gaps.
		{"crafted acknowledgment", with(step{flow.S2C, A, 5001, 1001 + crafted, 0}), [2]int64{}, [2]uint32{}, [2]uint32{0, 1}, 0, crafted},
		// 100 MB in 1 ms (800 Tbit/s): impossible too.
		{"100 MB in 1 ms", with(step{flow.C2S, A, 1001 + 100_000_000, 5001, 100}), [2]int64{}, [2]uint32{1, 0}, [2]uint32{}, 100_000_000, 0},
		// 5 MB in 1 ms is 40 Gbit/s: a hole.
		{"5 MB in 1 ms", with(step{flow.C2S, A, 1001 + 5_000_000, 5001, 100}), [2]int64{5_000_000, 0}, [2]uint32{}, [2]uint32{}, 0, 0},
		// A SYN-ACK with another ISN (ports reused) leaves no hole.
		{"new ISN", with(step{flow.S2C, S | A, 5000 + crafted, 1001, 0}), [2]int64{}, [2]uint32{}, [2]uint32{}, 0, 0},
	} {
		c := play(t, tc.steps)
		var last *Record
		for _, r := range c.Records.All() {
			last = r
		}
		for d := range 2 {
			if g := c.Dir[d].GapBytes(); g != tc.gap[d] {
				t.Errorf("%s: %v gap bytes %d, want %d", tc.name, flow.Dir(d), g, tc.gap[d])
			}
			if dm := c.Damage[d]; dm.SeqJumps != tc.seqJ[d] || dm.AckJumps != tc.ackJ[d] {
				t.Errorf("%s: %v jumps seq %d ack %d, want %d %d", tc.name, flow.Dir(d), dm.SeqJumps, dm.AckJumps, tc.seqJ[d], tc.ackJ[d])
			}
		}
		if last.SeqJump != tc.recSeq || last.AckJump != tc.recAck {
			t.Errorf("%s: last record jumps seq %d ack %d, want %d %d", tc.name, last.SeqJump, last.AckJump, tc.recSeq, tc.recAck)
		}
	}
}

// TestDamageCounts checks the per-direction counts of option problems and
// checksum statuses, and Zeek's 'c' for a bad TCP checksum (not for one
// left to offload).
func TestDamageCounts(t *testing.T) {
	c := NewConn()
	segs := []capture.Segment{
		{Flags: S, Seq: 1000, IPChecksum: capture.ChecksumGood, TCPChecksum: capture.ChecksumUnfilled},
		{Flags: S | A, Seq: 5000, Ack: 1001, IPChecksum: capture.ChecksumGood, TCPChecksum: capture.ChecksumBad},
		{Flags: A, Seq: 1001, Ack: 5001, IPChecksum: capture.ChecksumBad, TCPChecksum: capture.ChecksumUnfilled},
	}
	segs[0].Opts = capture.Options{MSS: -1, WScale: -1, Bad: 1<<capture.OptBadLength | 1<<capture.OptDuplicate}
	for i := range segs {
		s := &segs[i]
		s.Frame, s.Time, s.Window = uint64(i+1), int64(i+1)*1e6, 1000
		if s.Opts.MSS == 0 {
			s.Opts.MSS, s.Opts.WScale = -1, -1
		}
		d := flow.C2S
		if i == 1 {
			d = flow.S2C
		}
		c.Process(s, d, i == 0, false)
	}
	cl, sv := &c.Damage[flow.Client], &c.Damage[flow.Server]
	if cl.Options[capture.OptBadLength] != 1 || cl.Options[capture.OptDuplicate] != 1 || cl.Options[capture.OptPastEnd] != 0 {
		t.Errorf("client option problems %v", cl.Options)
	}
	if cl.TCPChecksum[capture.ChecksumUnfilled] != 2 || cl.IPChecksum[capture.ChecksumBad] != 1 || sv.TCPChecksum[capture.ChecksumBad] != 1 {
		t.Errorf("checksums: client IP %v TCP %v, server TCP %v", cl.IPChecksum, cl.TCPChecksum, sv.TCPChecksum)
	}
	if !cl.Any() || !sv.Any() {
		t.Error("damage not reported")
	}
	if h := c.Zeek.History(); h != "SchA" {
		t.Errorf("history %q, want SchA", h)
	}
}
