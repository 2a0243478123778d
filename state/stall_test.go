package state

import (
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
)

// tstep is a step at a time in ms, with the window it advertises (zero: a
// zero window; otherwise 1000).
type tstep struct {
	ms float64
	step
	zero bool
}

// playAt feeds timed steps to a new Conn and finishes it.
func playAt(t *testing.T, steps []tstep) *Conn {
	t.Helper()
	c := NewConn()
	for i, s := range steps {
		seg := capture.Segment{Frame: uint64(i + 1), Time: int64(s.ms * 1e6), Seq: s.seq, Ack: s.ack,
			Flags: s.flags, Window: 1000, PayloadLen: s.len, Opts: capture.Options{MSS: -1, WScale: -1}}
		if s.zero {
			seg.Window = 0
		}
		seg.Src, seg.Dst = cli, srv
		if s.dir == flow.S2C {
			seg.Src, seg.Dst = srv, cli
		}
		c.Process(&seg, s.dir, i == 0, false)
	}
	c.Finish()
	return c
}

// shake is a handshake with a 10 ms round trip.
var shake = []tstep{
	{0, step{c2s, S, 1000, 0, 0}, false},
	{10, step{s2c, S | A, 5000, 1001, 0}, false},
	{10.1, step{c2s, A, 1001, 5001, 0}, false},
}

// TestStalls checks each cause of a stall on a scripted connection: the
// cause, where it starts and how long it is.
func TestStalls(t *testing.T) {
	request := []tstep{{11, step{c2s, P | A, 1001, 5001, 100}, false}, {21, step{s2c, A, 5001, 1101, 0}, false}}
	tests := []struct {
		name  string
		steps []tstep
		want  []Stall // longest first; nil: no stall
	}{
		{"server application: request acknowledged, answered 229 ms later", with(shake, request, []tstep{
			{250, step{s2c, P | A, 5001, 1101, 500}, false},
			{260, step{c2s, A, 1101, 5501, 0}, false},
		}), []Stall{{Cause: StallServerApp, Frame: 5, EndFrame: 6, Time: 21e6, Duration: 229e6}}},
		{"client application: the next request 1 s after the answer", with(shake, request, []tstep{
			{30, step{s2c, P | A, 5001, 1101, 500}, false},
			{40, step{c2s, A, 1101, 5501, 0}, false},
			{1040, step{c2s, P | A, 1101, 5501, 100}, false},
		}), []Stall{{Cause: StallClientApp, Frame: 7, EndFrame: 8, Time: 40e6, Duration: 1000e6}}},
		{"retransmission timeout of the client", with(shake, []tstep{
			{11, step{c2s, P | A, 1001, 5001, 100}, false},
			{311, step{c2s, P | A, 1001, 5001, 100}, false},
			{321, step{s2c, A, 5001, 1101, 0}, false},
		}), []Stall{{Cause: StallRTOClient, Frame: 4, EndFrame: 6, Time: 11e6, Duration: 310e6}}},
		{"the server's zero window", with(shake, []tstep{
			{11, step{c2s, P | A, 1001, 5001, 100}, false},
			{21, step{s2c, A, 5001, 1101, 0}, true},
			{500, step{s2c, A, 5001, 1101, 0}, false}, // window update: no progress
			{501, step{c2s, P | A, 1101, 5001, 100}, false},
		}), []Stall{{Cause: StallZeroWindowServer, Frame: 5, EndFrame: 7, Time: 21e6, Duration: 480e6}}},
		{"the network: an ACK 389 ms late, nothing resent", with(shake, []tstep{
			{11, step{c2s, P | A, 1001, 5001, 100}, false},
			{400, step{s2c, A, 5001, 1101, 0}, false},
		}), []Stall{{Cause: StallNetwork, Frame: 4, EndFrame: 5, Time: 11e6, Duration: 389e6}}},
		{"no stall: 100 ms is below the 200 ms floor", with(shake, request, []tstep{
			{121, step{s2c, P | A, 5001, 1101, 500}, false},
		}), nil},
		{"no stall: idle before the close", with(shake, request, []tstep{
			{5000, step{c2s, F | A, 1101, 5001, 0}, false},
		}), nil},
		{"died on retransmissions: the stall runs to the last segment", with(shake, []tstep{
			{11, step{c2s, P | A, 1001, 5001, 100}, false},
			{311, step{c2s, P | A, 1001, 5001, 100}, false},
			{911, step{c2s, P | A, 1001, 5001, 100}, false},
		}), []Stall{{Cause: StallRTOClient, Frame: 4, Time: 11e6, Duration: 900e6}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := playAt(t, tt.steps)
			var got []Stall
			if c.Stalls != nil {
				got = c.Stalls.Kept()
			}
			if len(got) != len(tt.want) {
				t.Fatalf("stalls = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("stall %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
			if tt.want != nil && c.Stalls.All() != tt.want[0].Duration {
				t.Errorf("total = %d, want %d", c.Stalls.All(), tt.want[0].Duration)
			}
		})
	}
}

// TestStallThreshold checks that the threshold grows with the round trip:
// a 400 ms pause on a 200 ms path is no stall.
func TestStallThreshold(t *testing.T) {
	c := playAt(t, []tstep{
		{0, step{c2s, S, 1000, 0, 0}, false},
		{200, step{s2c, S | A, 5000, 1001, 0}, false},
		{200.1, step{c2s, A, 1001, 5001, 0}, false},
		{201, step{c2s, P | A, 1001, 5001, 100}, false},
		{601, step{s2c, A, 5001, 1101, 0}, false},
	})
	if c.Stalls != nil {
		t.Errorf("stalls = %+v, want none under 3 RTTs", c.Stalls.Kept())
	}
}

// TestStallsLongest checks that the longest stalls are kept in order and
// the totals count them all.
func TestStallsLongest(t *testing.T) {
	var s Stalls
	for i, d := range []int64{300, 500, 250, 900, 400} {
		s.add(Stall{Cause: StallServerApp, Frame: uint64(i), Duration: d})
	}
	want := []int64{900, 500, 400}
	for i, st := range s.Kept() {
		if st.Duration != want[i] {
			t.Errorf("longest[%d] = %d, want %d", i, st.Duration, want[i])
		}
	}
	if s.Total[StallServerApp] != 2350 || s.Count[StallServerApp] != 5 {
		t.Errorf("total %d count %d, want 2350 and 5", s.Total[StallServerApp], s.Count[StallServerApp])
	}
}

// TestPercentile checks the histogram's percentiles against the exact ones
// within its documented 6.25 %, and that a connection without samples
// allocates no histogram.
func TestPercentile(t *testing.T) {
	var r RTTStats
	if r.Percentile(50) != -1 || r.hist != nil {
		t.Fatal("no samples: want -1 and no histogram")
	}
	// 1..1000 ms: p50 500 ms, p90 900 ms, p99 990 ms.
	for i := int64(1); i <= 1000; i++ {
		r.sample(i * 1e6)
	}
	for _, c := range []struct {
		p    float64
		want int64
	}{{50, 500e6}, {90, 900e6}, {99, 990e6}, {100, 1000e6}} {
		got := r.Percentile(c.p)
		if d := float64(got-c.want) / float64(c.want); d > 0.0625 || d < -0.0625 {
			t.Errorf("p%v = %d, want %d within 6.25 %%", c.p, got, c.want)
		}
	}
	// One sample: every percentile is it exactly, and no histogram yet
	// (a SYN flood's connections have the SYN's sample only); the second
	// allocates it with both.
	var one RTTStats
	one.sample(12345678)
	if got := one.Percentile(99); got != 12345678 || one.hist != nil {
		t.Errorf("one sample: p99 = %d, want 12345678, and no histogram (%v)", got, one.hist != nil)
	}
	one.sample(2e9)
	if got := one.Percentile(50); got != 12345678 || one.hist == nil {
		t.Errorf("two samples: p50 = %d, want 12345678 (the clamp to min)", got)
	}
	for _, ns := range []int64{1, 1023, 1024, 1 << 20, 3 << 30, 1 << 40, 1 << 50} {
		i := histIndex(ns)
		if i < 0 || i >= histBuckets {
			t.Fatalf("histIndex(%d) = %d out of range", ns, i)
		}
		if m := histMid(i); ns >= 1<<histLow && ns < 1<<histHigh {
			if d := float64(m-ns) / float64(ns); d > 0.0625 || d < -0.0625 {
				t.Errorf("bucket middle %d for %d: off by %.3f", m, ns, d)
			}
		}
	}
}

// TestLimitedBy checks the rate-limiting factor: a server whose flights fill
// the client's window, one that sends a little and waits, and a short one.
func TestLimitedBy(t *testing.T) {
	// Window-limited: flights of 4 × 250 bytes against the client's 1000,
	// each acknowledged 10 ms later, back to back.
	steps := with(shake)
	seq, ms := uint32(5001), 11.0
	for range 20 {
		for range 4 {
			steps = append(steps, tstep{ms, step{s2c, A, seq, 1001, 250}, false})
			seq += 250
			ms += 0.1
		}
		ms += 10
		steps = append(steps, tstep{ms, step{c2s, A, 1001, seq, 0}, false})
	}
	c := playAt(t, steps)
	if got := c.LimitedBy(s2c); got != LimitReceiverWindow {
		t.Errorf("flights filling the window: %s, want receiver_window (%+v)", got.Name(), c.Rate[s2c])
	}
	if got := c.LimitedBy(c2s); got != LimitUnknown {
		t.Errorf("client sent nothing: %s, want unknown", got.Name())
	}

	// Application-limited: 100 bytes, acknowledged, 50 ms of nothing.
	steps, seq, ms = with(shake), 5001, 11
	for range 20 {
		steps = append(steps, tstep{ms, step{s2c, P | A, seq, 1001, 100}, false})
		seq += 100
		steps = append(steps, tstep{ms + 10, step{c2s, A, 1001, seq, 0}, false})
		ms += 60
	}
	c = playAt(t, steps)
	if got := c.LimitedBy(s2c); got != LimitApplication {
		t.Errorf("sending little and waiting: %s, want application (%+v)", got.Name(), c.Rate[s2c])
	}
}

// TestKarnAfterRecovery checks that an ACK released by a retransmission
// filling a hole gives no Karn sample, even for a segment sent once and
// when the hole's first copy was never captured (as tcptrace samples).
func TestKarnAfterRecovery(t *testing.T) {
	c := play(t, with(handshake, []step{
		{c2s, P | A, 1001, 5001, 10},
		{s2c, A, 5001, 1011, 0}, // a sample: 1001-1010 sent once
		{c2s, P | A, 1021, 5001, 10},
		{c2s, P | A, 1011, 5001, 10}, // 1011-1020: its first copy not captured
		{s2c, A, 5001, 1031, 0},      // covers the resent bytes: no sample
	}))
	if k := c.Dir[c2s].Karn; k.Count != 2 {
		t.Errorf("Karn samples = %d, want 2, the SYN's and the first segment's (the ACK after the recovery is ambiguous)", k.Count)
	}
}

// TestPercentileSaturated checks that the percentiles hold when a bucket's
// 16-bit count overflows and every count is halved.
func TestPercentileSaturated(t *testing.T) {
	var r RTTStats
	for range 100000 {
		r.sample(10e6)
	}
	for range 100000 {
		r.sample(100e6)
	}
	if got := r.Percentile(25); got < 9.375e6 || got > 10.625e6 {
		t.Errorf("p25 = %d, want 10 ms within 6.25 %%", got)
	}
	if got := r.Percentile(75); got < 93.75e6 || got > 100e6 {
		t.Errorf("p75 = %d, want 100 ms within 6.25 %%", got)
	}
}
