package state

import (
	"math/rand/v2"
	"testing"

	"github.com/tcpflow/tcpflow/flow"
)

// exchange and finClose follow handshake (conn_test.go) in the scripts below.
var (
	finClose = []step{{c2s, F | A, 1011, 5021, 0}, {s2c, A, 5021, 1012, 0}, {s2c, F | A, 5021, 1012, 0}, {c2s, A, 1012, 5022, 0}}
	exchange = []step{{c2s, P | A, 1001, 5001, 10}, {s2c, P | A, 5001, 1011, 20}, {c2s, A, 1011, 5021, 0}}
)

// TestZeek checks conn_state and history against Zeek's definitions for the
// usual shapes of connection.
func TestZeek(t *testing.T) {
	tests := []struct {
		name           string
		steps          []step
		state, history string
	}{
		{"normal", with(handshake, exchange, finClose), "SF", "ShADdFaf"},
		{"established, not closed", with(handshake, exchange), "S1", "ShADd"},
		{"no reply", []step{{c2s, S, 1000, 0, 0}, {c2s, S, 1000, 0, 0}}, "S0", "S"},
		{"rejected", []step{{c2s, S, 1000, 0, 0}, {s2c, R | A, 0, 1001, 0}}, "REJ", "Sr"},
		{"originator aborts", with(handshake, exchange, []step{{c2s, R, 1011, 0, 0}}), "RSTO", "ShADdR"},
		{"responder aborts", with(handshake, exchange, []step{{s2c, R, 5021, 0, 0}}), "RSTR", "ShADdr"},
		{"SYN then RST", []step{{c2s, S, 1000, 0, 0}, {c2s, R, 1001, 0, 0}}, "RSTOS0", "SR"},
		{"close by originator only", with(handshake, exchange, []step{{c2s, F | A, 1011, 5021, 0}}), "S2", "ShADdF"},
		{"close by responder only", with(handshake, exchange, []step{{s2c, F | A, 5021, 1011, 0}}), "S3", "ShADdf"},
		{"SYN then FIN", []step{{c2s, S, 1000, 0, 0}, {c2s, F, 1001, 0, 0}}, "SH", "SF"},
		{"mid-stream", []step{{c2s, P | A, 1001, 5001, 10}, {s2c, A, 5001, 1011, 0}}, "OTH", "Da"},
		{"retransmitted data", with(handshake, []step{{c2s, P | A, 1001, 5001, 10}, {c2s, P | A, 1001, 5001, 10}, {s2c, A, 5001, 1011, 0}}), "S1", "ShADTa"},
		// Zeek's rules that differ from Wireshark's view (TCPSessionAdapter.cc):
		// out of order counts as a retransmission (it does not advance the
		// highest sequence number), a hole is a gap only when an ACK passes
		// it, data with FIN is no 'D', and SYN and SYN-ACK share one letter
		// slot, so a simultaneous open's SYN-ACKs repeating the ISNs add none.
		{"out of order, no gap", with(handshake, []step{{c2s, P | A, 1011, 5001, 10}, {c2s, P | A, 1001, 5001, 10}, {s2c, A, 5001, 1021, 0}}), "S1", "ShADTa"},
		{"hole acknowledged", with(handshake, []step{{c2s, P | A, 1001, 5001, 10}, {c2s, P | A, 1021, 5001, 10}, {s2c, A, 5001, 1031, 0}}), "S1", "ShADaG"},
		{"hole not acknowledged", with(handshake, []step{{c2s, P | A, 1001, 5001, 10}, {c2s, P | A, 1021, 5001, 10}, {s2c, A, 5001, 1011, 0}}), "S1", "ShADa"},
		{"data with the FIN", with(handshake, []step{{c2s, F | P | A, 1001, 5001, 10}, {s2c, F | A, 5001, 1012, 0}, {c2s, A, 1012, 5002, 0}}), "SF", "ShAFf"},
		{"simultaneous open", []step{{c2s, S, 1000, 0, 0}, {s2c, S, 5000, 0, 0}, {c2s, S | A, 1000, 5001, 0}, {s2c, S | A, 5000, 1001, 0}}, "S1", "Ss"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := play(t, tt.steps)
			if got := c.Zeek.ConnState(); got != tt.state {
				t.Errorf("conn_state = %s, want %s", got, tt.state)
			}
			if got := c.Zeek.History(); got != tt.history {
				t.Errorf("history = %q, want %q", got, tt.history)
			}
		})
	}
}

// TestGapBytes checks that bytes skipped in the sequence space count as not
// captured until a later segment fills them.
func TestGapBytes(t *testing.T) {
	lost := with(handshake, []step{
		{c2s, P | A, 1001, 5001, 100},
		{c2s, P | A, 1201, 5001, 100}, // 1101-1200 missing
		{c2s, P | A, 1401, 5001, 100}, // 1301-1400 missing
	})
	c := play(t, lost)
	if got := c.Dir[c2s].GapBytes(); got != 200 {
		t.Errorf("gap bytes = %d, want 200", got)
	}
	// The first hole is filled by a late (retransmitted) segment, half of the
	// second by another.
	c = play(t, with(lost, []step{{c2s, P | A, 1101, 5001, 100}, {c2s, P | A, 1301, 5001, 50}}))
	if got := c.Dir[c2s].GapBytes(); got != 50 {
		t.Errorf("after filling, gap bytes = %d, want 50", got)
	}
	// An ACK beyond everything seen shows data the capture missed.
	c = play(t, with(handshake, []step{{c2s, P | A, 1001, 5001, 10}, {s2c, A, 5001, 1031, 0}}))
	if got := c.Dir[c2s].GapBytes(); got != 20 {
		t.Errorf("acked-unseen gap bytes = %d, want 20", got)
	}
}

// TestHoleTooWide checks that a hole of 2^31 bytes or more is refused (the
// caller counts a jump): its ends cannot be ordered, and the gap bytes once
// came out as -2^31 (FuzzProcess); and that holes of about 1 GB that a
// third one bridges never merge into one that wide.
func TestHoleTooWide(t *testing.T) {
	var s DirStats
	if s.addHole(1<<31, 0, 0, 0) || s.addHole(7, 7+1<<31, 0, 0) || s.addHole(0, 1<<31+5, 0, 0) {
		t.Error("a hole of 2^31 bytes or more was taken")
	}
	if s.GapBytes() != 0 || s.Gaps() != 0 {
		t.Fatalf("after the refusals: %d gap bytes in %d holes", s.GapBytes(), s.Gaps())
	}
	const g = 1 << 30
	for _, h := range [][2]flow.Seq{{0, g}, {g + g/2 - 1, 2*g + g/2 - 2}, {g - 1, g + g/2}} {
		if !s.addHole(h[0], h[1], 0, 0) {
			t.Fatalf("hole %v refused", h)
		}
	}
	for _, h := range s.holes {
		if n := h.hi.Diff(h.lo); n <= 0 {
			t.Errorf("hole [%d, %d) of %d bytes", h.lo, h.hi, n)
		}
	}
	if s.GapBytes() <= 0 {
		t.Errorf("%d gap bytes", s.GapBytes())
	}
	// Holes anywhere, of any size under 2^31: no merge ever makes one of
	// 2^31 or more.
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200000 {
		lo := flow.Seq(r.Uint32())
		if !s.addHole(lo, lo.Add(1+r.IntN(1<<31-1)), 0, 0) {
			t.Fatalf("hole %d refused", i)
		}
		for _, h := range s.holes {
			if n := h.hi.Diff(h.lo); n <= 0 {
				t.Fatalf("after hole %d: a hole [%d, %d) of %d bytes", i, h.lo, h.hi, n)
			}
		}
	}
}

// TestRTTAndIdle checks the ACK RTT statistics and the longest idle time.
func TestRTTAndIdle(t *testing.T) {
	c := play(t, with(handshake, exchange))
	// play spaces segments 1 ms apart and each segment is acknowledged by the
	// next: the client's SYN and its data give two samples of 1 ms.
	s := &c.Dir[c2s]
	if s.ACK.Count != 2 || s.ACK.Min != 1e6 || s.ACK.Max != 1e6 || s.ACK.Avg() != 1e6 {
		t.Errorf("client RTT = %+v", *s)
	}
	if c.MaxIdle != 1e6 {
		t.Errorf("max idle = %d, want 1e6", c.MaxIdle)
	}
}

// TestRetransmittedBytes checks the count of unique and retransmitted
// payload bytes: bytes captured before count again (tcptrace's rexmt data
// bytes), bytes filling a hole the capture never showed count once, and a
// segment partly new partly old is split.
func TestRetransmittedBytes(t *testing.T) {
	c := play(t, with(handshake, []step{
		{c2s, P | A, 1001, 5001, 100},
		{c2s, P | A, 1001, 5001, 100}, // all again
		{c2s, P | A, 1201, 5001, 100}, // 1101-1200 not captured
		{c2s, P | A, 1101, 5001, 100}, // fills the hole: new to the capture
		{c2s, P | A, 1251, 5001, 100}, // 50 again, 50 new
	}))
	s := &c.Dir[c2s]
	if s.DataSegs != 5 || s.UniqueBytes != 350 || s.RexmtBytes != 150 || s.RexmtSegs != 2 {
		t.Errorf("data segments %d, unique %d, retransmitted %d in %d segments; want 5, 350, 150 in 2",
			s.DataSegs, s.UniqueBytes, s.RexmtBytes, s.RexmtSegs)
	}
	if r := s.RetransmissionRate(); r != 0.3 {
		t.Errorf("retransmission rate %v, want 0.3", r)
	}
	if s := &c.Dir[flow.S2C]; s.DataSegs != 0 || s.RetransmissionRate() != 0 {
		t.Errorf("server: %+v", *s)
	}
}

// TestKarnRTT checks that the RTT by Karn's rule leaves out the segments
// sent twice and samples the segment an ACK names exactly.
func TestKarnRTT(t *testing.T) {
	c := play(t, with(handshake, []step{
		{c2s, P | A, 1001, 5001, 10}, // sent twice: no sample
		{c2s, P | A, 1001, 5001, 10},
		{s2c, A, 5001, 1011, 0},
		{c2s, P | A, 1011, 5001, 10}, // 1 ms to its ACK
		{s2c, A, 5001, 1021, 0},
	}))
	k := &c.Dir[c2s].Karn
	// The SYN (1 ms to the SYN-ACK) and the third data segment.
	if k.Count != 2 || k.Min != 1e6 || k.Max != 1e6 {
		t.Errorf("Karn RTT %+v, want 2 samples of 1 ms", *k)
	}
	if r := &c.Dir[c2s]; r.ACK.Count != 3 || r.ACK.Max != 2e6 {
		t.Errorf("ACK RTT: %d samples, max %d; want 3, 2 ms (the retransmitted segment's wait)", r.ACK.Count, r.ACK.Max)
	}
}
