package wsdiff

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tcpflow/tcpflow/internal/corpus"
)

// ownCaptures is the project's own captures (testdata/pcaps/README.md says how
// each was made).
const ownCaptures = "../../testdata/pcaps"

// knownFile is the allowlist of documented differences.
const knownFile = "testdata/known-differences.tsv"

// TestAgainstTshark compares tcpflow with tshark on the project's captures and
// on the shared corpus named by TCPFLOW_CORPUS. It fails on any difference in
// tcp, stream, seq, ack, len, win, acks_frame or ack_rtt that knownFile does
// not explain, and when fewer than DefaultMinAnalysis percent of the frames
// have the same analysis set (counting explained differences as differences).
func TestAgainstTshark(t *testing.T) {
	if _, err := exec.LookPath(Tshark); err != nil {
		t.Skip("tshark is not on PATH")
	}
	var paths []string
	if fi, err := os.Stat(ownCaptures); err == nil && fi.IsDir() {
		own, err := Captures([]string{ownCaptures})
		if err != nil && !strings.Contains(err.Error(), "no captures") {
			t.Fatal(err)
		}
		paths = append(paths, own...)
	}
	if dir := corpus.Optional(t, "only the project's own captures are compared"); dir != "" {
		shared, err := Captures([]string{dir})
		if err != nil {
			t.Fatalf("%s: %v", corpus.Env, err)
		}
		paths = append(paths, shared...)
	}
	if len(paths) == 0 {
		t.Skip("no captures: " + ownCaptures + " has none and TCPFLOW_CORPUS is not set")
	}
	known, err := LoadKnown(knownFile)
	if err != nil {
		t.Fatal(err)
	}

	// tshark spends most of its time starting up, so captures run in parallel.
	jobs := runtime.GOMAXPROCS(0)
	start := time.Now()
	results := CompareFiles(context.Background(), paths, jobs)
	elapsed := time.Since(start)

	var names []string
	for i := range results {
		r := &results[i]
		names = append(names, r.Name)
		known.Explain(&r.Report)
	}
	var b strings.Builder
	if err := WriteFiles(&b, results, ASCII); err != nil {
		t.Fatal(err)
	}
	WriteFaults(&b, results)
	t.Logf("per capture (agreement %% per field, number of differing frames in parentheses):\n%s", b.String())

	for _, r := range results {
		t.Run(r.Name, func(t *testing.T) {
			if r.Err != nil {
				t.Fatalf("not compared: %v", r.Err)
			}
			var strict []Diff
			for _, d := range r.Report.NewDiffs() {
				if d.Field.Strict() {
					strict = append(strict, d)
				}
			}
			if len(strict) > 0 {
				var b strings.Builder
				WriteDiffs(&b, strict, 0, ASCII)
				t.Errorf("%d new difference(s) in tcp/stream/seq/ack/len/win/acks_frame/ack_rtt; fix them or document them in %s:\n%s",
					len(strict), knownFile, b.String())
			}
			if len(r.Report.Diffs) > len(strict) {
				var b strings.Builder
				WriteDiffs(&b, r.Report.Diffs, 0, ASCII)
				t.Logf("all differences:\n%s", b.String())
			}
		})
	}

	total := Total(results)
	b.Reset()
	if err := WriteTotal(&b, &total, ASCII); err != nil {
		t.Fatal(err)
	}
	t.Logf("overall, %d captures in %s with %d jobs:\n%s", len(results), elapsed.Round(time.Millisecond), jobs, b.String())
	for _, e := range known.Unused(names...) {
		t.Logf("%s:%d matches no difference any more (fixed or changed): %s frame %d %s", knownFile, e.Line, e.File, e.Frame, e.Field)
	}
	for _, m := range total.Missed(Targets{MinAnalysis: DefaultMinAnalysis}) {
		t.Errorf("target missed: %s", m)
	}
}

// TestCapturesDir checks which names a directory contributes.
func TestCapturesDir(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.pcapng", "a.pcap", "c.pcap.gz", "d.cap", "notes.txt", "e.pcapng.gz"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.pcap"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := Captures([]string{dir, filepath.Join(dir, "notes.txt")})
	if err != nil {
		t.Fatal(err)
	}
	var base []string
	for _, p := range got {
		base = append(base, filepath.Base(p))
	}
	want := "a.pcap b.pcapng c.pcap.gz d.cap e.pcapng.gz notes.txt"
	if strings.Join(base, " ") != want {
		t.Errorf("Captures = %q, want %q", base, want)
	}
	if _, err := Captures([]string{filepath.Join(dir, "sub.pcap")}); err == nil {
		t.Error("an empty directory gave no error")
	}
}
