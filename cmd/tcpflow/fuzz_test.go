package main

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/tcpflow/tcpflow/report"
)

// FuzzGolden reads any golden file: no panic; its settings, when they
// parse, print as a line that parses back to the same settings; every fact
// line is its id, "=" and its value.
func FuzzGolden(f *testing.F) {
	f.Add([]byte(report.GoldenHeader + "\n# settings: ignore=isn,ports,time tolerance=rtt=20%\ncapture frames=12\nconn 192.168.1.10:*->93.184.216.34:80 #1 history=ShADadFf\n"))
	f.Add([]byte("# settings: ignore= tolerance=time=50ms,packets=2,bytes=1.5%\r\n\r\ncapture errors=0\n"))
	f.Add([]byte("# settings: ignore=state,state tolerance=analysis=0x1p-2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		line, lines, err := readGolden(data)
		if err != nil {
			return
		}
		for _, l := range lines {
			if id, v, ok := report.ParseFactLine(l); ok && id+"="+v != l {
				t.Fatalf("%q split into %q, %q", l, id, v)
			}
		}
		s, err := settingsFromLine(line)
		if err != nil {
			return
		}
		again, err := settingsFromLine(s.String())
		if err != nil || again.String() != s.String() {
			t.Fatalf("settings %q print as %q, which parses to %q (%v)", line, s, again, err)
		}
	})
}

// FuzzTolerance parses any tolerance: no panic; what parses is finite and
// not negative, allows a value to equal itself, and parses again from its
// own text to the same tolerance.
func FuzzTolerance(f *testing.F) {
	for _, s := range []struct{ cat, v, golden, now string }{
		{"rtt", "20%", "0.020", "0.023"}, {"time", "50ms", "1.5", "1.52"}, {"packets", "2", "10", "12"},
		{"bytes", "NaN%", "1", "1"}, {"analysis", "1e400", "1", "2"}, {"time", "-1s", "0", "0"},
	} {
		f.Add(s.cat, s.v, s.golden, s.now)
	}
	f.Fuzz(func(t *testing.T, cat, v, golden, now string) {
		if !report.NumericCategory(cat) {
			return
		}
		tol, err := parseTolerance(cat, v)
		if err != nil {
			return
		}
		if !(tol.rel >= 0) || !(tol.abs >= 0) || math.IsInf(tol.rel, 0) || math.IsInf(tol.abs, 0) {
			t.Fatalf("%s=%q: tolerance %+v", cat, v, tol)
		}
		if g, err := strconv.ParseFloat(golden, 64); err == nil && !math.IsNaN(g) && !math.IsInf(g, 0) && !tol.allows(golden, golden) {
			t.Fatalf("%s=%q does not allow %q to equal itself", cat, v, golden)
		}
		tol.allows(golden, now)
		if again, err := parseTolerance(cat, tol.text); err != nil || again != tol {
			t.Fatalf("%s=%q: %+v, from its text %+v (%v)", cat, v, tol, again, err)
		}
		if _, err := parseSettings(nil, []string{cat + "=" + v}); err != nil && !strings.Contains(v, ",") {
			t.Fatalf("%s=%q parses alone but not in settings: %v", cat, v, err)
		}
	})
}

// TestGoldenDamaged checks the errors a damaged golden file gets: a line
// too long to read is said, never taken for the end of the file; a
// tolerance that is no number is refused.
func TestGoldenDamaged(t *testing.T) {
	long := "capture frames=1\n" + strings.Repeat("x", maxGoldenLine+1) + "\ncapture errors=0\n"
	if _, _, err := readGolden([]byte(long)); err == nil || err.Error() != "line 2 is longer than 1048576 bytes" {
		t.Errorf("long line: %v", err)
	}
	for _, v := range []string{"NaN%", "inf%", "+Inf", "NaN", "-0.5%"} {
		if _, err := parseTolerance("bytes", v); err == nil {
			t.Errorf("tolerance bytes=%s accepted", v)
		}
	}
}
