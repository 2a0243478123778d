package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSummarize: medians of wall and CPU time, the largest RSS.
func TestSummarize(t *testing.T) {
	ss := []sample{{3 * time.Second, 2 * time.Second, 10}, {1 * time.Second, 5 * time.Second, 30}, {2 * time.Second, 1 * time.Second, 20}}
	wall, cpu, rss := summarize(ss)
	if wall != 2*time.Second || cpu != 2*time.Second || rss != 30 {
		t.Errorf("summarize = %v, %v, %d; want 2s, 2s, 30", wall, cpu, rss)
	}
}

// TestRunOnce runs a real process and reads its resource usage.
func TestRunOnce(t *testing.T) {
	tmp := t.TempDir()
	s, err := runOnce(command{name: "true", argv: []string{"true"}}, tmp)
	if err != nil {
		t.Fatal(err)
	}
	if s.wall <= 0 || s.rss <= 0 {
		t.Errorf("sample %+v: want a wall time and an RSS", s)
	}
	// A tool that is not installed is reported, not run.
	if _, err := runOnce(command{name: "missing", argv: []string{filepath.Join(tmp, "no-such-tool")}}, tmp); err == nil {
		t.Error("a missing tool gave no error")
	}
	// Commands that write into a directory get a fresh one each time, in
	// place of tmp/out, so that no run writes where another deleted.
	out := filepath.Join(tmp, "out")
	for range 2 {
		if _, err := runOnce(command{name: "touch", argv: []string{"touch", filepath.Join(out, "x")}, dir: true}, tmp); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := filepath.Glob(filepath.Join(tmp, "out-*", "x")); len(got) != 2 {
		t.Errorf("the runs wrote %q, want two files in two directories", got)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a run wrote into tmp/out itself")
	}
}
