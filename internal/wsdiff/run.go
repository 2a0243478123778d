package wsdiff

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tcpflow/tcpflow/capture"
)

// FileResult is the comparison of one capture.
type FileResult struct {
	Path   string // as given
	Name   string // base name, as in Diff.File and the allowlist
	Report Report
	// OursFault and TheirsFault are faults in the capture each tool met (cut
	// short, corrupt record): the frames before them are compared.
	OursFault, TheirsFault error
	// Err is set when the capture could not be compared at all (tshark
	// missing, output not understood); Report is then empty.
	Err        error
	OursTime   time.Duration // tcpflow in-process, including its JSON report
	TheirsTime time.Duration // the tshark run
}

// CompareFile runs both tools on the capture at path and compares them.
func CompareFile(ctx context.Context, path string) FileResult {
	res := FileResult{Path: path, Name: filepath.Base(path)}
	start := time.Now()
	ours, err := Ours(path)
	res.OursTime = time.Since(start)
	if err != nil {
		if !errors.As(err, new(*capture.ReadError)) {
			res.Err = err
			return res
		}
		res.OursFault = err
	}
	start = time.Now()
	theirs, err := Theirs(ctx, path)
	res.TheirsTime = time.Since(start)
	if err != nil {
		if !errors.As(err, new(*TsharkError)) {
			res.Err = err
			return res
		}
		res.TheirsFault = err
	}
	res.Report = Compare(ours, theirs)
	res.Report.SetFile(res.Name)
	return res
}

// CompareFiles compares the captures at paths, jobs at a time (at least one),
// and returns the results in the order of paths.
func CompareFiles(ctx context.Context, paths []string, jobs int) []FileResult {
	results := make([]FileResult, len(paths))
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(jobs, 1) {
		wg.Go(func() {
			for i := range next {
				results[i] = CompareFile(ctx, paths[i])
			}
		})
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

// Total adds up the reports of results (those compared).
func Total(results []FileResult) Report {
	var t Report
	for i := range results {
		t.Add(&results[i].Report)
	}
	return t
}

// captureExts are the names Captures picks from a directory.
var captureExts = []string{".pcap", ".pcapng", ".pcap.gz", ".pcapng.gz", ".cap"}

// IsCapture reports whether a file name has one of the extensions of captures.
func IsCapture(name string) bool {
	for _, ext := range captureExts {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// Captures expands the arguments into capture paths: a file is taken as is, a
// directory gives the captures directly inside it (*.pcap, *.pcapng, *.pcap.gz,
// *.pcapng.gz, *.cap), sorted by name.
func Captures(args []string) ([]string, error) {
	var paths []string
	for _, a := range args {
		fi, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			paths = append(paths, a)
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, err
		}
		var found []string
		for _, e := range entries {
			if !e.IsDir() && IsCapture(e.Name()) {
				found = append(found, filepath.Join(a, e.Name()))
			}
		}
		slices.Sort(found)
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no captures (%s)", a, strings.Join(captureExts, ", "))
		}
		paths = append(paths, found...)
	}
	return paths, nil
}
