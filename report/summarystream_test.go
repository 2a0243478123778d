package report

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/internal/gen"
	"github.com/tcpflow/tcpflow/state"
)

// TestSummaryStreamMatchesText checks that the streamed summary is byte for
// byte the summary Text writes, on the golden captures and on a generated
// capture with thousands of connections, with the spool in memory and in a
// temporary file.
func TestSummaryStreamMatchesText(t *testing.T) {
	paths := []string{}
	for _, c := range goldenCases(t) {
		paths = append(paths, c.path)
	}
	many := filepath.Join(t.TempDir(), "many.pcap")
	f, err := os.Create(many)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gen.Write(f, gen.Options{Profile: gen.Many, Packets: 30000, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	paths = append(paths, many)

	for _, mem := range []int{8 << 20, 1000} {
		old := spoolMem
		spoolMem = mem
		for _, p := range paths {
			r := capture.NewReader(p)
			want := Text
			res := state.Run(r, state.Options{}, nil)
			r.Close()
			var a bytes.Buffer
			if err := want(&a, res, Options{Summary: true}); err != nil {
				t.Fatal(err)
			}

			r = capture.NewReader(p)
			ss := NewSummaryStream(&r.Stats)
			res = state.Run(r, state.Options{Done: ss.Conn}, nil)
			r.Close()
			var b bytes.Buffer
			if err := ss.Close(&b, res); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Errorf("%s (spool %d B): streamed summary differs (-text +stream):\n%s", filepath.Base(p), mem, lineDiff(a.String(), b.String()))
			}
		}
		spoolMem = old
	}
}
