package report

import (
	"testing"
	"time"

	"github.com/tcpflow/tcpflow/state"
)

// TestParseBound checks the two ways of giving a bound, and the refusals.
func TestParseBound(t *testing.T) {
	abs := time.Date(2024, 1, 2, 3, 4, 5, 120000000, time.UTC).UnixNano()
	for _, tc := range []struct {
		in   string
		want Bound
		err  bool
	}{
		{"30s", Bound{Set: true, NS: 30e9, Text: "30s"}, false},
		{"+1m30s", Bound{Set: true, NS: 90e9, Text: "+1m30s"}, false},
		{"250ms", Bound{Set: true, NS: 250e6, Text: "250ms"}, false},
		{"2024-01-02T03:04:05.12Z", Bound{Set: true, Abs: true, NS: abs, Text: "2024-01-02T03:04:05.12Z"}, false},
		{"2024-01-02T04:04:05.12+01:00", Bound{Set: true, Abs: true, NS: abs, Text: "2024-01-02T04:04:05.12+01:00"}, false},
		{"-5s", Bound{}, true},
		{"2024-01-02", Bound{}, true},
		{"", Bound{}, true},
	} {
		got, err := ParseBound("--since", tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("%q: %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
	if err := CheckWindow(Bound{Set: true, NS: 2e9, Text: "2s"}, Bound{Set: true, NS: 1e9, Text: "1s"}); err == nil {
		t.Error("an end before the start is accepted")
	}
}

// TestWindowAdmit: a connection is shown when it was active at some time
// in the window, bounds included; relative bounds count from base.
func TestWindowAdmit(t *testing.T) {
	const base = int64(1e18)
	c := &state.Connection{FirstTime: base + 10e9, LastTime: base + 20e9}
	c.Data = state.NewConn()
	rel := func(s float64) Bound { return Bound{Set: true, NS: int64(s * 1e9)} }
	for _, tc := range []struct {
		since, until Bound
		want         bool
	}{
		{rel(5), rel(9), false},
		{rel(5), rel(10), true},
		{rel(20), Bound{}, true},
		{rel(20.5), Bound{}, false},
		{Bound{}, rel(15), true},
		{Bound{Set: true, Abs: true, NS: base + 15e9}, Bound{Set: true, Abs: true, NS: base + 16e9}, true},
		{Bound{Set: true, Abs: true, NS: base + 21e9}, Bound{}, false},
	} {
		tr := Triage{Since: tc.since, Until: tc.until}
		if _, got := tr.Admit(c, base); got != tc.want {
			t.Errorf("window %+v to %+v: %v, want %v", tc.since, tc.until, got, tc.want)
		}
	}
}
