package sink

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tcpflow/tcpflow/report"
)

// TestOrderedTop checks that a --sort --top N report keeps at most
// 2N+pruneSlack sort keys in memory however many connections finish, and
// reads back the N with the largest keys, ties in id order.
func TestOrderedTop(t *testing.T) {
	o := newOrdered(t.TempDir(), report.Triage{Sort: report.SortDuration, Top: 3})
	defer o.close()
	most := 0
	for id := 0; id < 1000; id++ {
		key := float64(id % 97) // largest 96: ids 96, 193, 290, ...
		o.addKey(id, 0, key, 0, []byte(fmt.Sprint(id)), nil)
		most = max(most, len(o.index))
	}
	if most > 2*3+pruneSlack+1 {
		t.Errorf("the index grew to %d entries, want at most %d", most, 2*3+pruneSlack+1)
	}
	o.sort()
	var got []string
	for _, e := range o.all() {
		got = append(got, string(o.readRow(e)))
	}
	if fmt.Sprint(got) != "[96 193 290]" {
		t.Errorf("top 3 = %v, want [96 193 290]", got)
	}
	if o.err != nil {
		t.Fatal(o.err)
	}
}

// TestOrderedRuns checks the external sort: with runs of 7 entries, 1,000
// connections finishing out of order are read back in id order (and, with
// --sort, in key order, ties by id), twice, with their rows and flags, and
// at most 7 entries stay in memory; with the spool in memory and in a
// file, and with the pieces stored as they are, all compressed, or the
// first ones as they are and the rest compressed.
func TestOrderedRuns(t *testing.T) {
	defer func(n int, m, c int64) { runEntries, SpoolMemory, compressAfter = n, m, c }(runEntries, SpoolMemory, compressAfter)
	runEntries = 7
	section := func(id int32) string {
		return fmt.Sprintf("connection %d\n", id) + strings.Repeat("s", 300+int(id)%200) + strings.Repeat("x", int(id)%7)
	}
	for _, spooling := range [][2]int64{{SpoolMemory, compressAfter}, {0, 1 << 40}, {0, 0}, {0, 20000}} {
		SpoolMemory, compressAfter = spooling[0], spooling[1]
		for _, sorted := range []bool{false, true} {
			var tr report.Triage
			if sorted {
				tr = report.Triage{Sort: report.SortDuration}
			}
			testOrderedRuns(t, newOrdered(t.TempDir(), tr), sorted, section)
		}
	}
}

// testOrderedRuns adds the 1,000 connections to o and reads them back.
func testOrderedRuns(t *testing.T, o *ordered, sorted bool, section func(int32) string) {
	defer o.close()
	most := 0
	for i := 0; i < 1000; i++ {
		id := (i * 389) % 1000 // every id once, out of order
		o.addKey(id, 0, float64(id%10), uint8(id%3), []byte(fmt.Sprint(id)), []byte(section(int32(id))))
		most = max(most, len(o.index))
	}
	o.sort()
	if most > 7 || o.len() != 1000 {
		t.Errorf("sorted %v: %d in memory at most, %d in all; want 7 and 1000", sorted, most, o.len())
	}
	for pass := 0; pass < 2; pass++ {
		var prev entry
		n := 0
		for i, e := range o.all() {
			if i != n {
				t.Fatalf("position %d, want %d", i, n)
			}
			if row := o.readRow(e); string(row) != fmt.Sprint(e.id) {
				t.Fatalf("entry %d: row alone %q", e.id, row)
			}
			row, sec := o.read(e)
			if string(row) != fmt.Sprint(e.id) || string(sec) != section(e.id) || e.flags != uint8(e.id%3) {
				t.Fatalf("entry %d: row %q, section %q, flags %d", e.id, row, sec, e.flags)
			}
			if compressed := e.stored != 0; compressed != (e.off >= compressAfter) {
				t.Fatalf("entry %d at %d: compressed %v with compressAfter %d", e.id, e.off, compressed, compressAfter)
			}
			if n > 0 && before(prev, e) >= 0 {
				t.Fatalf("sorted %v: %+v before %+v", sorted, prev, e)
			}
			prev = e
			n++
		}
		if n != 1000 {
			t.Errorf("sorted %v, pass %d: read %d entries, want 1000", sorted, pass, n)
		}
	}
	if o.err != nil {
		t.Fatal(o.err)
	}
}

// floodSection is the JSON of a connection of a SYN flood, as the JSON
// report renders it (abridged): sections alike but for their numbers.
func floodSection(id int) []byte {
	return fmt.Appendf(nil, `  {
   "id": %d,
   "key": "10.71.%d.%d:%d 10.2.0.1:80 %d - 2024-03-01T12:00:00.000000000Z",
   "client": {"addr": "10.71.%d.%d", "port": %d, "isn": %d, "mss": 1460, "wscale": 7,
    "sack_permitted": true, "timestamps": true, "final_state": "SYN_SENT"},
   "server": {"addr": "10.2.0.1", "port": 80, "isn": null, "mss": null, "wscale": null,
    "sack_permitted": false, "timestamps": false, "final_state": "SYN_RECEIVED"},
   "first_frame": %d, "last_frame": %d, "ended_by": "evicted",
   "stalls": {"total_s": 0, "count": 0, "by_cause": {"client_app": {"total_s": 0, "count": 0},
    "network": {"total_s": 0, "count": 0}, "server_app": {"total_s": 0, "count": 0}}}
  }`, id, id>>8&255, id&255, 1024+id%60000, uint32(id)*2654435761, id>>8&255, id&255, 1024+id%60000, uint32(id)*2654435761, id+1, id+1)
}

// TestOrderedCompresses checks that past compressAfter the spool holds the
// sections compressed: a flood's sections, which differ only in their
// numbers, take a fraction of their size, and read back whole.
func TestOrderedCompresses(t *testing.T) {
	defer func(m, c int64) { SpoolMemory, compressAfter = m, c }(SpoolMemory, compressAfter)
	SpoolMemory, compressAfter = 0, 64<<10
	o := newOrdered(t.TempDir(), report.Triage{})
	defer o.close()
	raw := 0
	for id := 0; id < 5000; id++ {
		sec := floodSection(id)
		raw += len(sec)
		o.addKey(id, 0, 0, 0, nil, sec)
	}
	if got := o.sp.Size(); got > int64(raw)/4 {
		t.Errorf("the spool holds %d bytes for %d of sections: not compressed", got, raw)
	}
	o.sort()
	n := 0
	for _, e := range o.all() {
		if _, sec := o.read(e); string(sec) != string(floodSection(int(e.id))) {
			t.Fatalf("connection %d: section %q", e.id, sec)
		}
		n++
	}
	if n != 5000 || o.err != nil {
		t.Fatalf("%d sections read back, error %v", n, o.err)
	}
}

// BenchmarkOrderedCompressed spools a flood's JSON sections compressed and
// reads them back in id order: the cost compressAfter saves the temporary
// directory 97 % of the bytes for.
func BenchmarkOrderedCompressed(b *testing.B) {
	benchmarkOrdered(b, 0)
}

// BenchmarkOrderedPlain is the same with the sections stored as they are.
func BenchmarkOrderedPlain(b *testing.B) {
	benchmarkOrdered(b, 1<<62)
}

func benchmarkOrdered(b *testing.B, after int64) {
	defer func(m, c int64) { SpoolMemory, compressAfter = m, c }(SpoolMemory, compressAfter)
	SpoolMemory, compressAfter = 0, after
	secs := make([][]byte, 1000)
	size := 0
	for i := range secs {
		secs[i] = floodSection(i)
		size += len(secs[i])
	}
	b.SetBytes(int64(size))
	for b.Loop() {
		o := newOrdered(b.TempDir(), report.Triage{})
		for id, sec := range secs {
			o.addKey(id, 0, 0, 0, nil, sec)
		}
		o.sort()
		for _, e := range o.all() {
			o.read(e)
		}
		if o.err != nil {
			b.Fatal(o.err)
		}
		o.close()
	}
}
