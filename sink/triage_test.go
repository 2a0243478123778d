package sink

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
)

// jsonIDs runs the JSON report with a triage and returns the ids it shows,
// in its order: the reference the streaming outputs must agree with.
func jsonIDs(t *testing.T, tr report.Triage, inputs ...string) []int {
	t.Helper()
	r := capture.NewReader(inputs...)
	defer r.Close()
	var b bytes.Buffer
	if _, err := pipeline.Run(r, pipeline.Options{}, NewJSON(&b, &r.Stats, report.Options{Summary: true, Triage: tr}, "")); err != nil {
		t.Fatal(err)
	}
	var doc struct{ Connections []struct{ ID int } }
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	ids := []int{}
	for _, c := range doc.Connections {
		ids = append(ids, c.ID)
	}
	return ids
}

func bound(t *testing.T, name, s string) report.Bound {
	t.Helper()
	b, err := report.ParseBound(name, s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTriageStreaming: JSONL and Parquet show the connections the JSON
// report shows with the same --problems, --sort, --top and time window,
// JSONL in the same order; a top-N cut far below the number of
// connections exercises the pruning.
func TestTriageStreaming(t *testing.T) {
	in := []string{filepath.Join(testdata, "verdicts.pcap"), filepath.Join(testdata, "capture-quality.pcap"), filepath.Join(testdata, "reassembly.pcap")}
	for _, tc := range []struct {
		name string
		tr   report.Triage
		want []int // ids, in order
	}{
		{"problems", report.Triage{Problems: true}, nil},
		{"sort-top", report.Triage{Sort: report.SortBytes, Top: 3}, nil},
		{"problems-sort-top", report.Triage{Problems: true, Sort: report.SortRexmt, Top: 2}, nil},
		{"since", report.Triage{Since: bound(t, "--since", "3s")}, []int{7, 16}}, // verdicts.pcap's connections 2 and 3, which end after 3 s
		{"until-abs", report.Triage{Until: bound(t, "--until", "2024-01-02T03:04:05.1Z")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := jsonIDs(t, tc.tr, in...)
			if tc.want != nil && !slices.Equal(want, tc.want) {
				t.Fatalf("JSON shows %v, want %v", want, tc.want)
			}
			all := jsonIDs(t, report.Triage{}, in...)
			if len(want) == 0 || len(want) == len(all) {
				t.Fatalf("the triage shows %d of %d connections: test nothing", len(want), len(all))
			}
			dir := t.TempDir()
			lines := runBoth(t, dir, ParquetOptions{Summary: true, Triage: tc.tr}, false, in...)
			var got []int
			for _, l := range lines {
				if l["type"] == "connection" {
					got = append(got, int(l["id"].(float64)))
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("JSONL shows %v, JSON %v", got, want)
			}
			conns, _, _ := compareWithJSONL(t, dir, lines)
			if len(conns) != len(want) {
				t.Errorf("Parquet has %d rows, want %d", len(conns), len(want))
			}
		})
	}
}
