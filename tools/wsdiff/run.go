package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"time"

	"github.com/tcpflow/tcpflow/internal/wsdiff"
)

// Exit codes.
const (
	exitOK     = 0
	exitMissed = 1 // a target was missed
	exitUsage  = 2 // bad flags, or a capture could not be compared
)

// defaultKnown is the allowlist, relative to the module root.
const defaultKnown = "internal/wsdiff/testdata/known-differences.tsv"

const usage = `usage: wsdiff [flags] FILE_OR_DIR...

Compare tcpflow with tshark frame by frame. A directory stands for the
captures directly inside it (*.pcap, *.pcapng, *.pcap.gz, *.pcapng.gz, *.cap).

Flags:
`

// flags holds every command-line option.
type flags struct {
	verbose     bool
	max         int
	minAnalysis float64
	known       string
	jobs        int
	markdown    bool
	groups      bool
}

func run(args []string, stdout, stderr io.Writer) int {
	var f flags
	fs := flag.NewFlagSet("wsdiff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	fs.BoolVar(&f.verbose, "v", false, "list every disagreeing frame")
	fs.IntVar(&f.max, "max", 10, "list at most `N` disagreeing frames per capture (without -v; 0 lists none)")
	fs.Float64Var(&f.minAnalysis, "min-analysis", wsdiff.DefaultMinAnalysis, "least `PERCENT` of frames whose analysis sets must agree")
	fs.StringVar(&f.known, "known", "", "allowlist of documented differences (default "+defaultKnown+" when it exists; \"none\" for no allowlist)")
	fs.IntVar(&f.jobs, "jobs", runtime.NumCPU(), "captures compared at a time")
	fs.BoolVar(&f.markdown, "markdown", false, "draw tables as Markdown")
	fs.BoolVar(&f.groups, "groups", false, "list the disagreements of all captures grouped by capture, kind and values (with an empty why column) instead of per capture")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	if f.max < 0 || f.jobs < 1 {
		fmt.Fprintln(stderr, "wsdiff: -max must be at least 0 and -jobs at least 1")
		return exitUsage
	}
	known, err := loadKnown(f.known)
	if err != nil {
		fmt.Fprintf(stderr, "wsdiff: %v\n", err)
		return exitUsage
	}
	if _, err := exec.LookPath(wsdiff.Tshark); err != nil {
		fmt.Fprintf(stderr, "wsdiff: %v (install the tshark package)\n", err)
		return exitUsage
	}
	paths, err := wsdiff.Captures(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "wsdiff: %v\n", err)
		return exitUsage
	}
	start := time.Now()
	results := wsdiff.CompareFiles(context.Background(), paths, f.jobs)
	elapsed := time.Since(start)
	return report(stdout, stderr, &f, known, results, elapsed)
}

// loadKnown reads the allowlist named by -known.
func loadKnown(name string) (*wsdiff.Known, error) {
	switch name {
	case "none":
		return nil, nil
	case "":
		k, err := wsdiff.LoadKnown(defaultKnown)
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return k, err
	}
	return wsdiff.LoadKnown(name)
}

// report prints the per-capture table, the disagreements, the overall tables
// and the verdict, and returns the exit code.
func report(stdout, stderr io.Writer, f *flags, known *wsdiff.Known, results []wsdiff.FileResult, elapsed time.Duration) int {
	style := wsdiff.ASCII
	if f.markdown {
		style = wsdiff.Markdown
	}
	code := exitOK
	var names []string
	for i := range results {
		r := &results[i]
		names = append(names, r.Name)
		known.Explain(&r.Report)
		if r.Err != nil {
			fmt.Fprintf(stderr, "wsdiff: %s not compared: %v\n", r.Path, r.Err)
			code = exitUsage
		}
	}
	if err := wsdiff.WriteFiles(stdout, results, style); err != nil {
		fmt.Fprintf(stderr, "wsdiff: %v\n", err)
		return exitUsage
	}
	wsdiff.WriteFaults(stdout, results)
	limit := f.max
	if f.verbose {
		limit = 0
	}
	switch {
	case f.groups:
		var diffs []wsdiff.Diff
		for _, r := range results {
			diffs = append(diffs, r.Report.Diffs...)
		}
		fmt.Fprintln(stdout)
		if err := wsdiff.WriteGroups(stdout, diffs, style); err != nil {
			fmt.Fprintf(stderr, "wsdiff: %v\n", err)
			return exitUsage
		}
	case f.verbose || f.max > 0:
		for _, r := range results {
			if err := writeFile(stdout, &r.Report, r.Name, limit, style); err != nil {
				fmt.Fprintf(stderr, "wsdiff: %v\n", err)
				return exitUsage
			}
		}
	}
	total := wsdiff.Total(results)
	var ours, theirs time.Duration
	slowest := 0
	for i, r := range results {
		ours += r.OursTime
		theirs += r.TheirsTime
		if r.OursTime+r.TheirsTime > results[slowest].OursTime+results[slowest].TheirsTime {
			slowest = i
		}
	}
	fmt.Fprintf(stdout, "\noverall: %d captures in %s with %d jobs (tshark %s, tcpflow %s in all; slowest %s: tshark %s, tcpflow %s)\n",
		len(results), elapsed.Round(time.Millisecond), f.jobs, theirs.Round(time.Millisecond), ours.Round(time.Millisecond),
		results[slowest].Name, results[slowest].TheirsTime.Round(time.Millisecond), results[slowest].OursTime.Round(time.Millisecond))
	if err := wsdiff.WriteTotal(stdout, &total, style); err != nil {
		fmt.Fprintf(stderr, "wsdiff: %v\n", err)
		return exitUsage
	}
	for _, e := range known.Unused(names...) {
		fmt.Fprintf(stdout, "allowlist line %d matches no difference any more: %s frame %d %s tcpflow=%s tshark=%s\n",
			e.Line, e.File, e.Frame, e.Field, e.Ours, e.Theirs)
	}
	missed := total.Missed(wsdiff.Targets{MinAnalysis: f.minAnalysis})
	if len(missed) == 0 {
		fmt.Fprintln(stdout, "targets met")
		return code
	}
	for _, m := range missed {
		fmt.Fprintf(stdout, "target missed: %s\n", m)
	}
	if code == exitOK {
		code = exitMissed
	}
	return code
}

// writeFile lists a capture's disagreements and the frames whose window scale
// only one tool knows, at most limit of each when limit > 0.
func writeFile(w io.Writer, r *wsdiff.Report, name string, limit int, style wsdiff.Style) error {
	if len(r.Diffs) > 0 {
		fmt.Fprintf(w, "\n%s: %d disagreement(s), %d new\n", name, len(r.Diffs), len(r.NewDiffs()))
		if err := wsdiff.WriteDiffs(w, r.Diffs, limit, style); err != nil {
			return err
		}
	}
	if len(r.ScaleKnown) > 0 {
		fmt.Fprintf(w, "\n%s: %d frame(s) whose window scale only one tool knows (window not compared)\n", name, len(r.ScaleKnown))
		if err := wsdiff.WriteScaleKnown(w, r.ScaleKnown, limit, style); err != nil {
			return err
		}
	}
	return nil
}
