package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcpflow/tcpflow/internal/gen"
)

// rotate splits a capture into files of n frames each in a new directory, as
// tcpdump -C/-G rotates: with editcap -c when it is installed (it comes with
// tshark), else with gen.Split.
func rotate(t *testing.T, src string, n int) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := exec.LookPath("editcap"); err == nil {
		out, err := exec.Command("editcap", "-c", fmt.Sprint(n), src, filepath.Join(dir, "rot.pcap")).CombinedOutput()
		if err != nil {
			t.Fatalf("editcap: %v\n%s", err, out)
		}
		return dir
	}
	if _, err := gen.Split(src, filepath.Join(dir, "rot.pcap"), n); err != nil {
		t.Fatal(err)
	}
	return dir
}

// report runs tcpflow and returns its stdout, failing on any exit but 0.
func runOK(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(args, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("tcpflow %s: exit %d\n%s", strings.Join(args, " "), code, stderr.String())
	}
	return stdout.String()
}

// withoutInputs drops the lines of a text report that list the inputs.
func withoutInputs(s string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(l, "capture ") {
			b.WriteString(l)
		}
	}
	return b.String()
}

// jsonParts returns the connections and the expert summary of a JSON report.
func jsonParts(t *testing.T, s string) string {
	t.Helper()
	var doc struct {
		Connections json.RawMessage `json:"connections"`
		Expert      json.RawMessage `json:"expert"`
	}
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatal(err)
	}
	return string(doc.Expert) + "\n" + string(doc.Connections)
}

// TestRotatedSetIsOneCapture splits captures into rotated files and analyzes
// the directory: the report is the whole capture's, connections spanning
// files included (only the list of inputs differs), and --files-in-order
// reads the set in the order of its names to the same result.
func TestRotatedSetIsOneCapture(t *testing.T) {
	lossy := filepath.Join(t.TempDir(), "lossy.pcap")
	f, err := os.Create(lossy)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gen.Write(f, gen.Options{Profile: gen.Lossy, Packets: 6000, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, tt := range []struct {
		file string
		per  int
	}{
		{"../../testdata/pcaps/reassembly.pcap", 10},
		{"../../testdata/pcaps/tunnels.pcap", 50},
		{lossy, 700},
	} {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			dir := rotate(t, tt.file, tt.per)
			if ents, _ := os.ReadDir(dir); len(ents) < 3 {
				t.Fatalf("split in %d files", len(ents))
			}
			// --wide: the inputs' long temporary names are not wrapped.
			wholeText := withoutInputs(runOK(t, "--wide", tt.file))
			wholeJSON := jsonParts(t, runOK(t, "--format", "json", tt.file))
			for _, args := range [][]string{{dir}, {"--files-in-order", dir}} {
				if got := withoutInputs(runOK(t, append([]string{"--wide"}, args...)...)); got != wholeText {
					t.Errorf("tcpflow %v: the text report differs from the whole capture's", args)
				}
				if got := jsonParts(t, runOK(t, append([]string{"--format", "json"}, args...)...)); got != wholeJSON {
					t.Errorf("tcpflow --format json %v: connections differ from the whole capture's", args)
				}
			}
		})
	}
}

// TestQueryNotInstalled checks what tcpflow query says when tcpflow-query is
// neither next to it nor on the PATH.
func TestQueryNotInstalled(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	var stdout, stderr bytes.Buffer
	if code := run([]string{"query", "out", "--preset", "resets"}, nil, &stdout, &stderr); code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	if !strings.Contains(stderr.String(), "go install github.com/tcpflow/tcpflow/cmd/tcpflow-query@latest") {
		t.Errorf("stderr %q", stderr.String())
	}
}
