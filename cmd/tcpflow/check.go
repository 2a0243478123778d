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

	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
	"github.com/tcpflow/tcpflow/sink"
)

const checkHelp = `usage: tcpflow check --golden FILE [--update] [--ignore CATEGORIES] [--tolerance CAT=TOL,...] CAPTURE... [FILTER]

Compare the TCP behaviour in the captures with a golden report: one fact per
line, connections named by their endpoints and order, no paths. It prints
"ok" when the facts are the same and a unified diff when they changed.
--update writes the golden report instead. A capture filter after the
captures (or -f) compares only what it keeps; give it to --update too.

Categories (--ignore): capture isn ports time rtt packets bytes analysis state.
A new capture of the same scenario has other ISNs (isn), another ephemeral
port (ports), other times and RTTs (time, rtt: on loopback, RTTs of
microseconds vary by more than 100%), and often a segment or two more or
less (packets, and the frame counts of capture): delayed ACKs come or not.
Tolerances apply to time, rtt, packets, bytes and analysis: a relative
"20%", a duration "5ms" (time, rtt) or a count "2".
The golden file remembers --ignore and --tolerance; later checks use them.
`

const checkExamples = `Examples:
  A scenario re-captured in each CI run:
    tcpflow check --update --ignore capture,isn,ports,rtt,time --tolerance packets=20% \
        --golden login.golden login.pcap
    tcpflow check --golden login.golden new-login.pcap
  A committed capture, every fact:
    tcpflow check --update --golden web.golden web.pcap
`

// checkOptions are the flags of tcpflow check.
type checkOptions struct {
	golden string
	update bool
	ignore []string
	tol    []string
	read   []string
	filter string
}

func (c *checkOptions) define(fs *pflag.FlagSet) []helpSection {
	var h helpSections
	h.start(fs, "Flags")
	fs.StringVar(&c.golden, "golden", "", "the golden report `FILE`")
	fs.BoolVar(&c.update, "update", false, "write the golden report from the captures instead of comparing")
	fs.StringSliceVar(&c.ignore, "ignore", nil, "leave out fact `CATEGORIES` that vary between captures of the same scenario, e.g. isn,ports,rtt,time")
	fs.StringSliceVar(&c.tol, "tolerance", nil, "accept numeric changes within `CAT=TOL`, e.g. rtt=5ms,packets=2")
	fs.StringArrayVarP(&c.read, "read", "r", nil, "read the capture `FILE`, as tcpflow -r does; repeatable")
	fs.StringVarP(&c.filter, "filter", "f", "", "compare only the frames the capture filter `EXPR` keeps (also written after the captures); give the same to --update and to the checks")
	fs.BoolP("help", "h", false, "show this help")
	return h.done(fs)
}

func writeCheckHelp(w io.Writer, sections []helpSection) {
	fmt.Fprint(w, checkHelp, "\n")
	writeFlags(w, sections)
	fmt.Fprint(w, checkExamples, "\n")
	fmt.Fprint(w, helpExit)
}

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

// check is tcpflow check.
func (s *sys) check(args []string, release func()) int {
	const prog = "tcpflow check"
	var c checkOptions
	set := newFlagSet(prog)
	sections := c.define(set)
	if code := s.parseFlags(prog, set, args, func(w io.Writer) { writeCheckHelp(w, sections) }); code >= 0 {
		return code
	}
	in, err := splitArgs(c.read, set.Args(), c.filter)
	switch {
	case c.golden == "":
		return s.usageError(prog, "--golden FILE is required: the golden report to compare with (or to write, with --update)")
	case err != nil:
		return s.usageError(prog, "%v", err)
	case len(in.captures) == 0:
		return s.usageError(prog, "no capture to read: name one or more files, or - for standard input")
	}
	flagSettings, err := parseSettings(c.ignore, c.tol)
	if err != nil {
		return s.usageError(prog, "%v", err)
	}
	given := set.Changed("ignore") || set.Changed("tolerance")

	settings := flagSettings
	var goldenLines []string
	if !c.update {
		data, err := os.ReadFile(c.golden)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				s.say(prog, "%s: no such golden report (create it with --update)", c.golden)
			} else {
				s.say(prog, "%v", err)
			}
			return exitInput
		}
		line, lines, err := readGolden(data)
		if err != nil {
			s.say(prog, "%s: %v", c.golden, err)
			return exitInput
		}
		goldenSettings, err := settingsFromLine(line)
		if err != nil {
			s.say(prog, "%s: settings line: %v", c.golden, err)
			return exitInput
		}
		if given && goldenSettings.String() != flagSettings.String() {
			s.say(prog, "%s was written with %q, not %q; run with --update to change its settings",
				c.golden, goldenSettings, flagSettings)
			return exitUsage
		}
		settings, goldenLines = goldenSettings, lines
	}

	stop := watchSignals(s.signals, release)
	facts, code := s.checkFacts(prog, &in, settings, stop.stop)
	if sig := stop.end(); sig != 0 {
		s.say(prog, "interrupted: not comparing a partial capture")
		return sig
	}
	if code != exitOK {
		return code
	}

	if c.update {
		var buf bytes.Buffer
		if err := report.WriteFacts(&buf, facts, settings.String()); err != nil {
			s.say(prog, "%v", err)
			return exitOutput
		}
		if err := os.WriteFile(c.golden, buf.Bytes(), 0o644); err != nil {
			s.say(prog, "%v", err)
			return exitOutput
		}
		return s.printed(fmt.Fprintf(s.stdout, "wrote %s: %d facts (%s)\n", report.Escape(c.golden), len(facts), settings))
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
		return s.printed(fmt.Fprintf(s.stdout, "ok: the captures match %s (%d facts)\n", report.Escape(c.golden), len(now)))
	}
	diff, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: withNewlines(goldenLines), B: withNewlines(now),
		FromFile: report.Escape(c.golden) + " (golden)", ToFile: report.Escape(strings.Join(in.captures, " ")) + " (now)", Context: 2,
	})
	_, err = fmt.Fprintf(s.stdout, "%sFAIL: the TCP behaviour differs from %s (lines with - are the golden report, + the captures now)\n", diff, report.Escape(c.golden))
	if code := s.printed(0, err); code != exitOK {
		return code
	}
	return exitDiffer
}

// checkFacts reads the captures into golden facts; the code is exitOK or
// exitInput when a capture could not be read to its end (a partial capture
// is never compared).
func (s *sys) checkFacts(prog string, in *inputArgs, settings checkSettings, stop <-chan struct{}) ([]report.Fact, int) {
	r := s.newReader(in.captures, in.filter, 0, false, stop)
	defer r.Close()
	ignore := map[string]bool{}
	for _, c := range settings.ignore {
		ignore[c] = true
	}
	fs := sink.NewFacts(ignore)
	sum, err := pipeline.Run(r, pipeline.Options{Stop: stop}, fs)
	if err != nil {
		s.say(prog, "%v", err)
		return nil, exitOutput
	}
	if len(sum.Errors) > 0 {
		for _, e := range sum.Errors {
			s.inputFault(prog, e, in)
		}
		s.say(prog, "an input could not be read to its end; not comparing a partial capture")
		return nil, exitInput
	}
	return fs.Facts, exitOK
}

// printed is the exit code after writing the final message to stdout:
// exitOK, also when stdout's reader went away, or exitOutput.
func (s *sys) printed(_ int, err error) int {
	if err != nil && !closedPipe(err) {
		s.say("tcpflow", "%v", err)
		return exitOutput
	}
	return exitOK
}

func withNewlines(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l + "\n"
	}
	return out
}
