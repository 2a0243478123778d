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
	// Commands that write into a directory get a fresh one each time.
	out := filepath.Join(tmp, "out")
	os.MkdirAll(out, 0o755)
	os.WriteFile(filepath.Join(out, "old"), nil, 0o644)
	if _, err := runOnce(command{name: "ls", argv: []string{"ls", out}, dir: true}, tmp); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "old")); err == nil {
		t.Error("the output directory was not emptied")
	}
}
