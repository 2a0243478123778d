package state_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/internal/gen"
	"github.com/tcpflow/tcpflow/report"
	"github.com/tcpflow/tcpflow/state"
)

// TestParallelIdentical checks that runs with one or several analysis
// workers give the same JSON report, byte for byte, as a sequential run.
func TestParallelIdentical(t *testing.T) {
	paths, _ := filepath.Glob("../testdata/pcaps/*.pcap*")
	if dir := os.Getenv("TCPFLOW_CORPUS"); dir != "" {
		for _, f := range []string{"chrissanders__http_espn_fail.pcapng", "zeek__ssh-dups.pcap", "arkime__wireshark-retrans.pcap", "suricata__tls-subjectaltname__input.pcap"} {
			paths = append(paths, filepath.Join(dir, f))
		}
	}
	lossy := filepath.Join(t.TempDir(), "lossy.pcap")
	f, err := os.Create(lossy)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gen.Write(f, gen.Options{Profile: gen.Lossy, Packets: 20000, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	paths = append(paths, lossy)

	run := func(path string, workers int) []byte {
		r := capture.NewReader(path)
		defer r.Close()
		res := state.Run(r, state.Options{KeepRecords: true, Workers: workers,
			Reassemble: &state.Reassembly{Options: flow.DefaultStreamOptions}}, nil)
		var b bytes.Buffer
		if err := report.JSON(&b, res, report.Options{}); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	for _, p := range paths {
		want := run(p, -1)
		for _, w := range []int{1, 3} {
			if got := run(p, w); !bytes.Equal(got, want) {
				t.Errorf("%s: %d workers give a different report than a sequential run", filepath.Base(p), w)
			}
		}
	}
}
