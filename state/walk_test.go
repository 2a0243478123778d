package state_test

import (
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/state"
)

// steps walks every connection of a capture and returns each frame's Step.
func steps(t *testing.T, path string) map[uint64]state.Step {
	t.Helper()
	r := capture.NewReader(path)
	defer r.Close()
	_, conns, err := pipeline.RunAll(r, pipeline.Options{}, true)
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint64]state.Step{}
	for _, c := range conns {
		w := state.NewWalk(c.Data)
		for _, rec := range c.Data.Records.All() {
			st := w.Step(rec)
			st.Covered = append([]state.Pending(nil), st.Covered...) // valid until the next Step
			out[rec.Frame] = st
		}
	}
	return out
}

// TestWalkEcho checks the conversation facts of the echo session, frame by
// frame (testdata/pcaps/README.md says what each frame is).
func TestWalkEcho(t *testing.T) {
	st := steps(t, "../testdata/pcaps/echo.pcap")
	covered := func(f uint64) []uint64 {
		var fr []uint64
		for _, p := range st[f].Covered {
			fr = append(fr, p.Frame)
		}
		return fr
	}
	for _, c := range []struct {
		frame              uint64
		pure, piggy, delay bool
		prev, advance      uint32
		covered            []uint64
	}{
		{frame: 2, covered: []uint64{1}},             // the SYN-ACK acknowledges the SYN
		{frame: 3, pure: true, covered: []uint64{2}}, // the third segment
		{frame: 4, prev: 1},                          // "a\n", nothing new acknowledged
		{frame: 5, pure: true, prev: 1, advance: 2, covered: []uint64{4}},
		{frame: 6, prev: 3}, // the echo
		{frame: 7, pure: true, prev: 1, advance: 2, covered: []uint64{6}},
		{frame: 9, piggy: true, prev: 3, advance: 4, covered: []uint64{8}},   // echo carrying the ACK
		{frame: 12, piggy: true, prev: 7, advance: 1, covered: []uint64{11}}, // FIN carrying the ACK of the FIN
		{frame: 13, pure: true, prev: 7, advance: 1, covered: []uint64{12}},
		{frame: 20, pure: true, delay: true, prev: 1, advance: 1, covered: []uint64{19}}, // the delayed ACK of the FIN
		{frame: 22, pure: true, prev: 1, advance: 1, covered: []uint64{21}},
	} {
		s := st[c.frame]
		if s.Pure != c.pure || s.Piggyback != c.piggy || s.Delayed != c.delay || s.PrevAck != c.prev || s.Advance != c.advance {
			t.Errorf("frame %d: pure %v piggyback %v delayed %v prev %d advance %d, want %v %v %v %d %d",
				c.frame, s.Pure, s.Piggyback, s.Delayed, s.PrevAck, s.Advance, c.pure, c.piggy, c.delay, c.prev, c.advance)
		}
		if got := covered(c.frame); len(got) != len(c.covered) || (len(got) > 0 && got[0] != c.covered[0]) {
			t.Errorf("frame %d: covers frames %v, want %v", c.frame, got, c.covered)
		}
	}
	if s := st[20]; s.HeldFor < 39e6 {
		t.Errorf("frame 20: held for %d ns, want about 40 ms", s.HeldFor)
	}
	if s := st[5]; s.HeldFor < 0 || s.HeldFor > 1e6 {
		t.Errorf("frame 5: held for %d ns, want a few µs", s.HeldFor)
	}
}

// TestWalkLossy checks what a lossy transfer shows: an ACK prompted by a
// retransmission is not delayed, one ACK covers several segments, a zero
// window probe gives way to the segment that sends its byte again, and
// window changes are seen.
func TestWalkLossy(t *testing.T) {
	st := steps(t, "../testdata/pcaps/lossy.pcap")
	if s := st[16]; s.Delayed || len(s.Covered) != 4 || s.Advance != 5792 {
		t.Errorf("frame 16: delayed %v, covers %d segments, advance %d; want not delayed (the retransmission in frame 15 "+
			"prompted it), 4 segments, 5792", s.Delayed, len(s.Covered), s.Advance)
	}
	if s := st[29]; len(s.Covered) != 1 || s.Covered[0].Frame != 27 {
		t.Errorf("frame 29: covers %v, want frame 27 alone (the probe's byte is sent again in it)", s.Covered)
	}
	if s := st[23]; !s.WinChanged || s.PrevWin <= 0 {
		t.Errorf("frame 23 (zero window): window changed %v from %d", s.WinChanged, s.PrevWin)
	}
	if s := st[31]; s.Delayed {
		t.Error("frame 31: the ACK of a retransmission one round trip later is not delayed")
	}
}

// TestWalkHalfClose checks that data after the peer's FIN is a half-close.
func TestWalkHalfClose(t *testing.T) {
	st := steps(t, "../testdata/pcaps/half-close.pcap")
	if !st[7].HalfClose || st[4].HalfClose {
		t.Errorf("half-close: frame 7 %v (want true), frame 4 %v (want false)", st[7].HalfClose, st[4].HalfClose)
	}
}

// TestWalkBounded checks that a long run of unacknowledged segments is
// counted, not kept.
func TestWalkBounded(t *testing.T) {
	c := state.NewConn()
	w := state.NewWalk(c)
	for i := 0; i < 3*state.MaxPending; i++ {
		w.Step(&state.Record{Frame: uint64(i + 1), RelSeq: uint32(1 + 100*i), Len: 100, Flags: capture.ACK, RelAck: 1})
	}
	s := w.Step(&state.Record{Frame: 1000, Dir: 1, Flags: capture.ACK, RelAck: uint32(1 + 100*3*state.MaxPending)})
	if len(s.Covered) != state.MaxPending || s.CoveredMore != 2*state.MaxPending {
		t.Errorf("covered %d + %d more, want %d + %d", len(s.Covered), s.CoveredMore, state.MaxPending, 2*state.MaxPending)
	}
}
