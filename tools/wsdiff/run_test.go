package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcpflow/tcpflow/internal/wsdiff"
)

func TestRunUsage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.tsv")
	if err := os.WriteFile(bad, []byte("x\t1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{nil, exitUsage, "usage: wsdiff"},
		{[]string{"-h"}, exitOK, "usage: wsdiff"},
		{[]string{"-nope", "x.pcap"}, exitUsage, "flag provided but not defined"},
		{[]string{"-max", "-1", "x.pcap"}, exitUsage, "-max must be at least 0"},
		{[]string{"-known", bad, "x.pcap"}, exitUsage, "bad.tsv: line 1: 2 columns"},
		{[]string{"-known", filepath.Join(dir, "missing.tsv"), "x.pcap"}, exitUsage, "missing.tsv"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tt.args, &stdout, &stderr); code != tt.code || !strings.Contains(stderr.String(), tt.stderr) {
			t.Errorf("run(%q) = %d, stderr %q; want %d and %q", tt.args, code, stderr.String(), tt.code, tt.stderr)
		}
	}
}

// TestRunCapture compares one of the project's captures, when tshark is there.
func TestRunCapture(t *testing.T) {
	if _, err := exec.LookPath(wsdiff.Tshark); err != nil {
		t.Skip("tshark is not on PATH")
	}
	path := "../../testdata/pcaps/textbook.pcap"
	if _, err := os.Stat(path); err != nil {
		t.Skip(err)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"-known", "none", "-jobs", "1", path}, &stdout, &stderr)
	out := stdout.String()
	if code != exitOK || !strings.Contains(out, "targets met") || !strings.Contains(out, "| textbook.pcap") {
		t.Errorf("exit %d, stderr %q, stdout:\n%s", code, stderr.String(), out)
	}
	if code := run([]string{"-known", "none", "-min-analysis", "101", path}, &stdout, &stderr); code != exitMissed {
		t.Errorf("-min-analysis 101: exit %d, want %d", code, exitMissed)
	}
}
