package main

import (
	"bufio"
	"bytes"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/tcpflow/tcpflow/report"

	"github.com/tcpflow/tcpflow/internal/corpus"
)

// TestWidth runs tcpflow as a user does, default and --summary, on every
// capture of testdata/pcaps and, with TCPFLOW_CORPUS, of the corpus, and
// requires every line of the report to fit report.DefaultWidth columns;
// --wide is not held to it.
func TestWidth(t *testing.T) {
	captures, _ := filepath.Glob("../../testdata/pcaps/*.pcap*")
	if dir := corpus.Optional(t, "checking the project's captures only"); dir != "" {
		shared, _ := filepath.Glob(filepath.Join(dir, "*.pcap*"))
		if len(shared) == 0 {
			t.Fatalf("%s=%s holds no captures", corpus.Env, dir)
		}
		captures = append(captures, shared...)
	}
	if len(captures) == 0 {
		t.Fatal("no captures in testdata/pcaps")
	}
	wideSeen := false
	for _, c := range captures {
		for _, mode := range [][]string{{"--quiet"}, {"--quiet", "--summary"}, {"--quiet", "--wide"}} {
			var stdout, stderr bytes.Buffer
			run(append(mode, c), nil, &stdout, &stderr)
			if stdout.Len() == 0 {
				t.Errorf("tcpflow %v %s: no report (stderr: %s)", mode, c, stderr.String())
				continue
			}
			n, widest, line := widest(stdout.Bytes())
			if mode[len(mode)-1] == "--wide" {
				wideSeen = wideSeen || widest > report.DefaultWidth
				continue
			}
			if widest > report.DefaultWidth {
				t.Errorf("tcpflow %v %s: line %d is %d columns wide:\n%s", mode, filepath.Base(c), n, widest, line)
			}
		}
	}
	if !wideSeen {
		t.Error("no --wide report is wider than the default width: is --wide still wide?")
	}
}

// widest returns the number, width and text of the widest line of out.
func widest(out []byte) (n, w int, line string) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for i := 1; sc.Scan(); i++ {
		if lw := utf8.RuneCount(sc.Bytes()); lw > w {
			n, w, line = i, lw, sc.Text()
		}
	}
	return n, w, line
}
