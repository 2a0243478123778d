package state

import (
	"slices"
	"testing"
)

// memSpiller keeps spilled blocks in a map and records what is freed.
type memSpiller struct {
	blocks map[int64][]byte
	next   int64
	freed  []int64
}

func (m *memSpiller) Write(b []byte) (int64, error) {
	off := m.next
	m.next += int64(len(b))
	m.blocks[off] = append([]byte(nil), b...)
	return off, nil
}

func (m *memSpiller) ReadAt(into []byte, off int64) error {
	copy(into, m.blocks[off])
	return nil
}

func (m *memSpiller) Free(off int64) { m.freed = append(m.freed, off) }

// TestRecordsSpillAndRelease appends records across block boundaries, reads
// them back in order, and releases the spilled blocks to the spiller.
func TestRecordsSpillAndRelease(t *testing.T) {
	sp := &memSpiller{blocks: map[int64][]byte{}}
	var rs Records
	rs.Keep(sp)
	const n = 3*RecordBlock + 3
	for i := 0; i < n; i++ {
		rs.Append(&Record{Frame: uint64(i + 1)})
	}
	if rs.Len() != n || len(sp.blocks) != 3 {
		t.Fatalf("%d records, %d blocks spilled; want %d and 3", rs.Len(), len(sp.blocks), n)
	}
	for i, r := range rs.All() {
		if r.Frame != uint64(i+1) {
			t.Fatalf("record %d is frame %d", i, r.Frame)
		}
	}
	if len(sp.blocks[0]) != RecordBlockBytes {
		t.Errorf("a block is %d bytes, want RecordBlockBytes %d", len(sp.blocks[0]), RecordBlockBytes)
	}
	rs.Release()
	want := []int64{0, int64(RecordBlockBytes), 2 * int64(RecordBlockBytes)}
	if !slices.Equal(sp.freed, want) {
		t.Errorf("freed %v, want %v", sp.freed, want)
	}
	if rs.Len() != 0 || rs.Kept() {
		t.Errorf("after Release: %d records, kept %v", rs.Len(), rs.Kept())
	}

	// Records kept in memory only stay.
	var mem Records
	mem.Keep(nil)
	mem.Append(&Record{Frame: 7})
	mem.Release()
	if mem.Len() != 1 {
		t.Errorf("in-memory records released: %d left", mem.Len())
	}
}
