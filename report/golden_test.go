package report

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// corpusGolden are the shared-corpus captures whose reports are kept as golden
// files (named corpus.<capture>.<mode>.golden); each shows something the
// project's own captures do not.
var corpusGolden = []string{
	"chrissanders__tcp_handshake.pcapng",
	"pcapplusplus__one_http_stream_fin.pcap",
	"chrissanders__tcp_refuseconnection.pcapng",
	"chrissanders__tcp_teardown.pcapng",
	"zeek__missing-syn.pcap",
	"arkime__wireshark-retrans.pcap",
	"chrissanders__tcp_zerowindowrecovery.pcapng",
	"suricata__10.7.29.101_49898-178.63.41.150_25.pcap",
}

// analyze runs the pipeline on one capture and renames inputs to their base
// names so golden files do not depend on where the capture lives.
func analyze(t *testing.T, path string, keep bool) *state.Result {
	t.Helper()
	r := capture.NewReader(path)
	defer r.Close()
	res := state.Run(r, state.Options{KeepRecords: keep, Reassemble: &state.Reassembly{Options: flow.DefaultStreamOptions}}, nil)
	for i := range res.Inputs {
		res.Inputs[i].Name = filepath.Base(res.Inputs[i].Name)
		var re *capture.ReadError
		if errors.As(res.Inputs[i].Err, &re) {
			re.File = filepath.Base(re.File)
		}
	}
	return res
}

// checkGolden compares got with testdata/name, or rewrites it under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (-want +got):\n%s", name, lineDiff(string(want), string(got)))
	}
}

// lineDiff is a small line diff: it prints the lines that differ around the
// first difference, enough to see what changed.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	i := 0
	for i < len(w) && i < len(g) && w[i] == g[i] {
		i++
	}
	var sb strings.Builder
	for k := max(0, i-2); k < i; k++ {
		sb.WriteString("  " + w[k] + "\n")
	}
	for k := i; k < len(w) && k < i+8; k++ {
		sb.WriteString("- " + w[k] + "\n")
	}
	for k := i; k < len(g) && k < i+8; k++ {
		sb.WriteString("+ " + g[k] + "\n")
	}
	return sb.String()
}

type goldenCase struct{ name, path string }

func goldenCases(t *testing.T) []goldenCase {
	var cases []goldenCase
	own, _ := filepath.Glob("../testdata/pcaps/*.pcap*")
	for _, p := range own {
		cases = append(cases, goldenCase{filepath.Base(p), p})
	}
	if dir := os.Getenv("TCPFLOW_CORPUS"); dir != "" {
		for _, f := range corpusGolden {
			cases = append(cases, goldenCase{"corpus." + f, filepath.Join(dir, f)})
		}
	} else {
		t.Log("TCPFLOW_CORPUS not set: corpus golden files not checked")
	}
	return cases
}

// TestGolden checks the text, summary, explain and JSON reports of every capture in
// testdata/pcaps and of the corpus captures above.
func TestGolden(t *testing.T) {
	for _, c := range goldenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			res := analyze(t, c.path, true)
			modes := []struct {
				mode  string
				write func(*bytes.Buffer) error
			}{
				{"text", func(b *bytes.Buffer) error { return Text(b, res, Options{}) }},
				{"summary", func(b *bytes.Buffer) error { return Text(b, res, Options{Summary: true}) }},
				{"explain", func(b *bytes.Buffer) error { return Explain(b, res, Options{}) }},
				{"json", func(b *bytes.Buffer) error { return JSON(b, res, Options{}) }},
			}
			for _, m := range modes {
				var b bytes.Buffer
				if err := m.write(&b); err != nil {
					t.Fatal(err)
				}
				checkGolden(t, c.name+"."+m.mode+".golden", b.Bytes())
			}
		})
	}
}

// TestDeterministic runs one capture twice and requires identical bytes.
func TestDeterministic(t *testing.T) {
	cases := goldenCases(t)
	if len(cases) == 0 {
		t.Skip("no captures")
	}
	var out [2]bytes.Buffer
	for i := range out {
		res := analyze(t, cases[len(cases)-1].path, true)
		if err := JSON(&out[i], res, Options{}); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(out[0].Bytes(), out[1].Bytes()) {
		t.Error("two runs on the same capture differ")
	}
}
