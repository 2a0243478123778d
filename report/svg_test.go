package report

import (
	"math"
	"testing"

	"github.com/tcpflow/tcpflow/state"
)

// TestTimeAxisCutsLongIdle lays out the lossy download's 17.9 s: the 15 s
// and 2 s idle periods are cut out, a 50 ms pause is not, the axis grows
// with time, and every island is drawn at one scale.
func TestTimeAxisCutsLongIdle(t *testing.T) {
	const s = int64(1e9)
	gaps := []gapSpan{{s / 10, s/10 + s/20}, {828 * s / 1000, 15828 * s / 1000}, {15858 * s / 1000, 17858 * s / 1000}}
	a := newTimeAxis(0, 0, 17889*s/1000, gaps, plotLeft, plotRight)
	if len(a.isl) != 3 {
		t.Fatalf("%d islands, want 3 (two idle periods cut): %+v", len(a.isl), a.isl)
	}
	prev := math.Inf(-1)
	for tm := int64(0); tm <= 17889*s/1000; tm += s / 1000 {
		x := a.x(tm)
		if x < prev-1e-9 || x < plotLeft || x > plotRight {
			t.Fatalf("x(%d ns) = %.2f after %.2f: not growing within the plot", tm, x, prev)
		}
		prev = x
	}
	for i := 1; i < len(a.isl); i++ {
		if gap := a.isl[i].px0 - a.isl[i-1].px1; math.Abs(gap-breakWidth-2*islandPad) > 1e-9 {
			t.Errorf("break %d is %.1f pixels wide, want %.1f", i, gap, breakWidth+2*islandPad)
		}
	}
	// One scale: 30 ms is as wide in the second island as in the first.
	w1 := a.x(30*s/1000) - a.x(0)
	w2 := a.x(15858*s/1000) - a.x(15828*s/1000)
	if math.Abs(w1-w2) > 1e-6 {
		t.Errorf("30 ms is %.2f pixels in one island and %.2f in another", w1, w2)
	}
	// Without long gaps: one island, linear.
	b := newTimeAxis(0, 0, 2*s, []gapSpan{{s / 2, s}}, plotLeft, plotRight)
	if len(b.isl) != 1 {
		t.Errorf("a 0.5 s pause in 2 s was cut out")
	}
	if mid := b.x(s); math.Abs(mid-(b.isl[0].px0+b.isl[0].px1)/2) > 1e-9 {
		t.Errorf("x(1 s) of 2 s = %.2f, want the middle", mid)
	}
}

// TestUnwrap follows relative sequence numbers past 4 GB and back.
func TestUnwrap(t *testing.T) {
	var u unwrapper
	for _, c := range []struct {
		rel  uint32
		want int64
	}{
		{1, 1}, {1 << 31, 1 << 31}, {0xfffffff0, 0xfffffff0}, {5, 1<<32 + 5},
		{0xffffffff, 1<<32 - 1}, // a retransmission from before the wrap
		{100, 1<<32 + 100}, {0x7fffffff, 1<<32 + 0x7fffffff}, {0x80000010, 1<<32 + 0x80000010},
	} {
		if got := u.at(c.rel); got != c.want {
			t.Errorf("at(%#x) = %#x, want %#x", c.rel, got, c.want)
		}
	}
}

// TestMarkGridBounded adds far more marks than a graph may hold: they merge
// into fewer cells, none is lost from the counts, and the order is fixed.
func TestMarkGridBounded(t *testing.T) {
	var g markGrid
	const n = 20000
	for i := 0; i < n; i++ {
		x := plotLeft + float64(i%800)
		y := 50 + float64((i*7)%300)
		g.add(mark{kind: mkRetrans, x: x, y0: y, y1: y + 3, f0: uint64(i + 1), t0: int64(i), rec: state.Record{Frame: uint64(i + 1)}})
	}
	list := g.list()
	if len(list) > maxMarks {
		t.Errorf("%d marks kept, at most %d wanted", len(list), maxMarks)
	}
	total := 0
	for i, m := range list {
		total += m.n
		if i > 0 && list[i-1].f0 > m.f0 {
			t.Errorf("marks not in frame order at %d", i)
		}
		if m.n > 1 && (m.f1 < m.f0 || m.rec.Frame != m.f0) {
			t.Errorf("merged mark %+v: its first record is not its first frame", m)
		}
	}
	if total != n {
		t.Errorf("the marks count %d events, want %d", total, n)
	}
}

// TestAxisLabels checks round ticks and their labels.
func TestAxisLabels(t *testing.T) {
	_, ticks := valueAxis(0, 16829, 300, 60, nil)
	var labels []string
	for _, tk := range ticks {
		labels = append(labels, tk.label)
	}
	if got := labels; len(got) < 3 || got[0] != "0" || got[len(got)-1] != "20k" {
		t.Errorf("byte ticks %v", got)
	}
	for _, c := range []struct {
		v, step float64
		want    string
	}{{0, 0.2, "0"}, {0.4, 0.2, "0.4"}, {0.05, 0.05, "0.05"}, {15.83, 0.01, "15.83"}, {120, 20, "120"}} {
		if got := plainFormat(c.v, c.step); got != c.want {
			t.Errorf("plainFormat(%v, %v) = %q, want %q", c.v, c.step, got, c.want)
		}
	}
	for _, c := range []struct {
		v, step float64
		want    string
	}{{1500, 500, "1.5k"}, {2e6, 5e5, "2.0M"}, {0, 1000, "0"}, {30000, 5000, "30k"}} {
		if got := siFormat(c.v, c.step); got != c.want {
			t.Errorf("siFormat(%v, %v) = %q, want %q", c.v, c.step, got, c.want)
		}
	}
}
