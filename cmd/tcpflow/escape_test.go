package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNamesEscaped checks that a file name holding terminal escape sequences
// reaches neither stdout nor stderr raw: it is escaped as payload bytes are.
func TestNamesEscaped(t *testing.T) {
	data, err := os.ReadFile("../../testdata/pcaps/textbook.pcap")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	name := filepath.Join(dir, "evil\x1b[2J\x1b]0;title\x07\n.pcap")
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut\x1b[31m.pcap")
	if err := os.WriteFile(cut, data[:200], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{name, cut},
		{"--wide", name, cut},
		{"--format", "jsonl", name, cut},
		{filepath.Join(dir, "gone\x1b[2J.pcap")},
		{"--conn", "7", name},
		{"check", "--golden", filepath.Join(dir, "g\x1b.golden"), name},
		{"check", "--update", "--golden", filepath.Join(dir, "g\x1b.golden"), name},
	} {
		var stdout, stderr bytes.Buffer
		run(args, nil, &stdout, &stderr)
		for what, out := range map[string]string{"stdout": stdout.String(), "stderr": stderr.String()} {
			if strings.ContainsAny(out, "\x1b\x07") {
				t.Errorf("tcpflow %q: %s holds a raw escape:\n%q", args, what, out)
			}
		}
		if args[0] != "--format" && !strings.Contains(stdout.String()+stderr.String(), `\x1b`) {
			t.Errorf("tcpflow %q: the escaped name is not shown:\n%s%s", args, stdout.String(), stderr.String())
		}
	}
}
