package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pmezard/go-difflib/difflib"
	"github.com/spf13/pflag"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
	"github.com/tcpflow/tcpflow/sink"
)

// Exit codes of tcpflow check.
const (
	checkPass   = 0
	checkDiffer = 1
	checkError  = 2 // an input or the golden file could not be read, or bad usage
)

const checkUsage = `usage: tcpflow check --golden FILE [--update] [--ignore CATEGORIES] [--tolerance CAT=TOL,...] CAPTURE...

Compare the TCP behaviour in the captures with a golden report: exit 0 when it
is the same, 1 with a unified diff when it changed, 2 when a capture or the
golden file could not be read. --update writes the golden report instead.

Categories (--ignore): capture isn ports time rtt packets bytes analysis state.
Tolerances apply to time, rtt, packets, bytes and analysis: a relative "20%",
a duration "50ms" (time, rtt) or an absolute count "2".
The golden file remembers --ignore and --tolerance; later checks use them.

Flags:
`

// tolerance is how far a numeric fact may move: relative (a fraction) or absolute.
type tolerance struct {
	rel, abs float64
	text     string
}

// checkSettings are what a golden report was made with.
type checkSettings struct {
	ignore    []string // sorted
	tolerance map[string]tolerance
}

func (s checkSettings) String() string {
	tol := make([]string, 0, len(s.tolerance))
	for _, c := range report.FactCategories {
		if t, ok := s.tolerance[c]; ok {
			tol = append(tol, c+"="+t.text)
		}
	}
	return "ignore=" + strings.Join(s.ignore, ",") + " tolerance=" + strings.Join(tol, ",")
}

func parseSettings(ignore, tol []string) (checkSettings, error) {
	s := checkSettings{tolerance: map[string]tolerance{}}
	for _, c := range ignore {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if !slices.Contains(report.FactCategories, c) {
			return s, fmt.Errorf("--ignore %q: unknown category (want one of %s)", c, strings.Join(report.FactCategories, ", "))
		}
		if !slices.Contains(s.ignore, c) {
			s.ignore = append(s.ignore, c)
		}
	}
	slices.Sort(s.ignore)
	for _, t := range tol {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		cat, val, ok := strings.Cut(t, "=")
		if !ok || !report.NumericCategory(cat) {
			return s, fmt.Errorf("--tolerance %q: want CATEGORY=VALUE with a category among time, rtt, packets, bytes, analysis", t)
		}
		tv, err := parseTolerance(cat, val)
		if err != nil {
			return s, fmt.Errorf("--tolerance %q: %v", t, err)
		}
		s.tolerance[cat] = tv
	}
	return s, nil
}

func parseTolerance(cat, v string) (tolerance, error) {
	t := tolerance{text: v}
	if p, ok := strings.CutSuffix(v, "%"); ok {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || !(f >= 0) || math.IsInf(f, 0) { // NaN and infinities too
			return t, errors.New("not a percentage")
		}
		t.rel = f / 100
		return t, nil
	}
	if cat == report.CatTime || cat == report.CatRTT {
		if d, err := time.ParseDuration(v); err == nil && d >= 0 {
			t.abs = d.Seconds()
			return t, nil
		}
		return t, errors.New("want a percentage or a duration like 50ms")
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f >= 0) || math.IsInf(f, 0) { // NaN and infinities too
		return t, errors.New("want a percentage or a number")
	}
	t.abs = f
	return t, nil
}

func (t tolerance) allows(golden, now string) bool {
	g, err1 := strconv.ParseFloat(golden, 64)
	n, err2 := strconv.ParseFloat(now, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	d := math.Abs(n - g)
	return d <= t.abs+1e-12 || d <= t.rel*math.Abs(g)+1e-12
}

// maxGoldenLine is the longest line a golden report may have; facts are
// far shorter.
const maxGoldenLine = 1 << 20

// readGolden returns a golden report's settings line and its fact lines.
// A line too long to read is an error, never the silent end of the file.
func readGolden(data []byte) (settings string, lines []string, err error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxGoldenLine)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if s, ok := strings.CutPrefix(line, "# settings: "); ok {
			settings = s
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		lines = append(lines, line)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return settings, lines, fmt.Errorf("line %d is longer than %d bytes", n+1, maxGoldenLine)
		}
		return settings, lines, err
	}
	return settings, lines, nil
}

// settingsFromLine parses "ignore=a,b tolerance=rtt=20%,time=1s".
func settingsFromLine(line string) (checkSettings, error) {
	var ignore, tol []string
	for _, field := range strings.Fields(line) {
		switch k, v, _ := strings.Cut(field, "="); k {
		case "ignore":
			ignore = strings.Split(v, ",")
		case "tolerance":
			tol = strings.Split(v, ",")
		}
	}
	return parseSettings(ignore, tol)
}

func runCheck(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var golden string
	var update bool
	var ignore, tol []string
	set := pflag.NewFlagSet("tcpflow check", pflag.ContinueOnError)
	set.SetOutput(stderr)
	set.Usage = func() {
		fmt.Fprint(stderr, checkUsage)
		set.PrintDefaults()
	}
	set.StringVar(&golden, "golden", "", "the golden report `FILE`")
	set.BoolVar(&update, "update", false, "write the golden report from the captures instead of comparing")
	set.StringSliceVar(&ignore, "ignore", nil, "leave out fact `CATEGORIES` that vary between captures of the same scenario, e.g. isn,time,ports")
	set.StringSliceVar(&tol, "tolerance", nil, "accept numeric changes within `CAT=TOL`, e.g. rtt=20%,packets=2")
	if err := set.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return checkPass
		}
		return checkError
	}
	if golden == "" || set.NArg() == 0 {
		set.Usage()
		return checkError
	}
	flagSettings, err := parseSettings(ignore, tol)
	if err != nil {
		fmt.Fprintf(stderr, "tcpflow check: %v\n", err)
		return checkError
	}
	given := set.Changed("ignore") || set.Changed("tolerance")

	settings := flagSettings
	var goldenLines []string
	if !update {
		data, err := os.ReadFile(golden)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				fmt.Fprintf(stderr, "tcpflow check: %v (create it with --update)\n", err)
			} else {
				fmt.Fprintf(stderr, "tcpflow check: %v\n", err)
			}
			return checkError
		}
		line, lines, err := readGolden(data)
		if err != nil {
			fmt.Fprintf(stderr, "tcpflow check: %s: %v\n", golden, err)
			return checkError
		}
		goldenSettings, err := settingsFromLine(line)
		if err != nil {
			fmt.Fprintf(stderr, "tcpflow check: %s: settings line: %v\n", golden, err)
			return checkError
		}
		if given && goldenSettings.String() != flagSettings.String() {
			fmt.Fprintf(stderr, "tcpflow check: %s was written with %q, not %q; run with --update to change its settings\n",
				golden, goldenSettings, flagSettings)
			return checkError
		}
		settings, goldenLines = goldenSettings, lines
	}

	r := capture.NewReader(set.Args()...)
	if stdin != nil {
		r.Stdin = stdin
	}
	ignoreSet := map[string]bool{}
	for _, c := range settings.ignore {
		ignoreSet[c] = true
	}
	fs := sink.NewFacts(ignoreSet)
	sum, err := pipeline.Run(r, pipeline.Options{}, fs)
	r.Close()
	if err != nil {
		fmt.Fprintf(stderr, "tcpflow check: %v\n", err)
		return checkError
	}
	if len(sum.Errors) > 0 {
		for _, e := range sum.Errors {
			fmt.Fprintf(stderr, "tcpflow check: %v\n", e)
		}
		fmt.Fprintln(stderr, "tcpflow check: an input could not be read to its end; not comparing a partial capture")
		return checkError
	}
	facts := fs.Facts

	if update {
		var buf bytes.Buffer
		if err := report.WriteFacts(&buf, facts, settings.String()); err != nil {
			fmt.Fprintf(stderr, "tcpflow check: %v\n", err)
			return checkError
		}
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			fmt.Fprintf(stderr, "tcpflow check: %v\n", err)
			return checkError
		}
		fmt.Fprintf(stdout, "wrote %s: %d facts (%s)\n", golden, len(facts), settings)
		return checkPass
	}

	// Numeric facts within tolerance of the golden value count as equal.
	want := map[string]string{}
	for _, l := range goldenLines {
		if id, v, ok := report.ParseFactLine(l); ok {
			want[id] = v
		}
	}
	now := make([]string, len(facts))
	for i, f := range facts {
		id := f.Subject + " " + f.Key
		if t, ok := settings.tolerance[f.Category]; ok {
			if g, ok := want[id]; ok && g != f.Value && t.allows(g, f.Value) {
				f.Value = g
			}
		}
		now[i] = f.Line()
	}
	if slices.Equal(now, goldenLines) {
		fmt.Fprintf(stdout, "ok: the captures match %s (%d facts)\n", golden, len(now))
		return checkPass
	}
	diff, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: withNewlines(goldenLines), B: withNewlines(now),
		FromFile: golden + " (golden)", ToFile: strings.Join(set.Args(), " ") + " (now)", Context: 2,
	})
	fmt.Fprint(stdout, diff)
	fmt.Fprintf(stdout, "FAIL: the TCP behaviour differs from %s (lines with - are the golden report, + the captures now)\n", golden)
	return checkDiffer
}

func withNewlines(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l + "\n"
	}
	return out
}
