package sink

import (
	"fmt"
	"testing"

	"github.com/tcpflow/tcpflow/report"
)

// TestOrderedTop checks that a --sort --top N report keeps at most
// 2N+pruneSlack sort keys in memory however many connections finish, and
// reads back the N with the largest keys, ties in id order.
func TestOrderedTop(t *testing.T) {
	o := newOrdered(t.TempDir())
	defer o.close()
	o.triage = report.Triage{Sort: report.SortDuration, Top: 3}
	most := 0
	for id := 0; id < 1000; id++ {
		key := float64(id % 97) // largest 96: ids 96, 193, 290, ...
		o.addKey(id, 0, key, []byte(fmt.Sprint(id)), nil)
		most = max(most, len(o.index))
	}
	if most > 2*3+pruneSlack+1 {
		t.Errorf("the index grew to %d entries, want at most %d", most, 2*3+pruneSlack+1)
	}
	o.sort()
	var got []string
	for _, e := range o.index {
		got = append(got, string(o.readRow(e)))
	}
	if fmt.Sprint(got) != "[96 193 290]" {
		t.Errorf("top 3 = %v, want [96 193 290]", got)
	}
	if o.err != nil {
		t.Fatal(o.err)
	}
}
