package state_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/pipeline"
)

// zeekRow is one connection of a Zeek conn.log baseline (testdata/zeek-conn-baselines.tsv).
type zeekRow struct {
	capture, baseline, orig, resp, state, history, note string
	line                                                int
}

func loadZeekRows(t *testing.T) []zeekRow {
	t.Helper()
	f, err := os.Open("testdata/zeek-conn-baselines.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []zeekRow
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "capture\t") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 7 {
			t.Fatalf("zeek-conn-baselines.tsv:%d: %d columns, want 7", n, len(c))
		}
		rows = append(rows, zeekRow{c[0], c[1], c[2], c[3], c[4], c[5], c[6], n})
	}
	return rows
}

// endpointMatches reports whether addr:port (as tcpflow prints it) is the
// baseline's endpoint; a baseline without the port ("-") matches any port.
func endpointMatches(ours, zeek string) bool {
	if a, ok := strings.CutSuffix(zeek, ":-"); ok {
		i := strings.LastIndexByte(ours, ':')
		return i > 0 && strings.Trim(ours[:i], "[]") == strings.Trim(a, "[]")
	}
	return ours == zeek
}

// TestZeekBaselines checks tcpflow's conn_state and history against Zeek's
// own conn.log baselines for the corpus captures taken from Zeek's test suite.
func TestZeekBaselines(t *testing.T) {
	dir := os.Getenv("TCPFLOW_CORPUS")
	if dir == "" {
		t.Skip("TCPFLOW_CORPUS not set")
	}
	byCapture := map[string][]zeekRow{}
	var order []string
	for _, r := range loadZeekRows(t) {
		if byCapture[r.capture] == nil {
			order = append(order, r.capture)
		}
		byCapture[r.capture] = append(byCapture[r.capture], r)
	}
	compared := 0
	for _, name := range order {
		t.Run(name, func(t *testing.T) {
			rd := capture.NewReader(filepath.Join(dir, name))
			_, conns, err := pipeline.RunAll(rd, pipeline.Options{}, false)
			rd.Close()
			if err != nil {
				t.Fatal(err)
			}
			used := map[string]int{} // baseline+endpoints -> tcpflow connections used so far
			for _, r := range byCapture[name] {
				if strings.HasPrefix(r.note, "zeek-split:") {
					continue
				}
				key := r.baseline + " " + r.orig + " " + r.resp
				var found []*pipeline.Connection
				for _, c := range conns {
					cl, sv := c.Client.String(), c.Server.String()
					if (endpointMatches(cl, r.orig) && sv == r.resp) || (endpointMatches(sv, r.orig) && cl == r.resp) {
						found = append(found, c)
					}
				}
				k := used[key]
				used[key]++
				if k >= len(found) {
					if strings.HasPrefix(r.note, "decode:") {
						t.Logf("line %d: %s -> %s not analyzed (%s)", r.line, r.orig, r.resp, r.note)
						continue
					}
					t.Errorf("line %d: no tcpflow connection %s -> %s (Zeek %s %s, %s)", r.line, r.orig, r.resp, r.state, r.history, r.baseline)
					continue
				}
				z := &found[k].Data.Zeek
				compared++
				// Zeek's test baselines are made with -C (ignore_checksums):
				// their captures were anonymized, which broke the checksums,
				// so they have no 'c' letters where tcpflow has them.
				if got := strings.NewReplacer("c", "", "C", "").Replace(z.History()); got != r.history {
					t.Errorf("line %d: connection %d %s -> %s: history %s, Zeek's baseline %s (%s)", r.line, found[k].ID, r.orig, r.resp, got, r.history, r.baseline)
				}
				if got := z.ConnState(); r.state != "-" && got != r.state {
					t.Errorf("line %d: connection %d %s -> %s: conn_state %s, Zeek's baseline %s (%s)", r.line, found[k].ID, r.orig, r.resp, got, r.state, r.baseline)
				}
			}
		})
	}
	t.Logf("%d connections compared with Zeek's baselines", compared)
}
