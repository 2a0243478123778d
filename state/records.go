package state

import (
	"iter"
	"unsafe"
)

// Records is the list of a connection's segment records, for the reports
// that show every segment (timelines, JSON segments, explanations). It keeps
// the newest records in memory and hands full blocks to a Spiller, so that a
// connection of millions of segments costs a block of memory, not millions of
// records; reading walks the spilled blocks, then the ones in memory.
//
// The zero value keeps nothing: Append is a no-op until Keep is called. It
// is one pointer, so the many connections of a summary, which keep no
// records, pay 8 bytes for it.
type Records struct{ l *recordLog }

type recordLog struct {
	n      int
	tail   []Record // not spilled yet, at most RecordBlock
	blocks []Block  // spilled, in order
	spill  Spiller  // nil: everything stays in memory
	err    error    // the first spill or load error
}

// RecordBlock is how many records Records keeps in memory per connection
// before it spills them (about 1.7 KB).
const RecordBlock = 8

// RecordBlockBytes is the size of a spilled block: RecordBlock records.
const RecordBlockBytes = RecordBlock * int(unsafe.Sizeof(Record{}))

// Block is a spilled run of records, as the Spiller names it.
type Block struct {
	Off int64 // where the Spiller put it
	N   int   // records in it
}

// Spiller stores blocks of records outside the Go heap (a temporary file)
// and gives them back. Both methods may be called from different goroutines,
// one writing while another reads blocks written before. Every block is
// RecordBlockBytes long.
type Spiller interface {
	Write(b []byte) (off int64, err error)
	ReadAt(into []byte, off int64) error
}

// Freer is a Spiller that can take blocks back for reuse (Release).
type Freer interface {
	Free(off int64)
}

// Keep starts keeping records; s may be nil to keep them all in memory.
func (rs *Records) Keep(s Spiller) { rs.l = &recordLog{spill: s} }

// Kept reports whether records are being kept.
func (rs *Records) Kept() bool { return rs.l != nil }

// Len is the number of records appended.
func (rs *Records) Len() int {
	if rs.l == nil {
		return 0
	}
	return rs.l.n
}

// Err is the first error met while spilling or loading records; the records
// after it are missing.
func (rs *Records) Err() error {
	if rs.l == nil {
		return nil
	}
	return rs.l.err
}

// Spill moves the records still in memory to the Spiller and frees their
// memory: for a connection that has closed and now only waits for late
// segments.
func (rs *Records) Spill() {
	r := rs.l
	if r == nil || r.spill == nil || len(r.tail) == 0 {
		return
	}
	r.spillTail()
	r.tail = nil
}

// spillTail writes the tail as one whole block (every block the Spiller
// holds has RecordBlockBytes, a partly filled one too: its N says how many
// records count).
func (r *recordLog) spillTail() {
	blk := r.tail
	if cap(blk) < RecordBlock { // a short tail, spilled early (Spill)
		blk = make([]Record, len(r.tail), RecordBlock)
		copy(blk, r.tail)
	}
	off, err := r.spill.Write(recordBytes(blk[:RecordBlock]))
	if err != nil && r.err == nil {
		r.err = err
	}
	r.blocks = append(r.blocks, Block{Off: off, N: len(r.tail)})
	r.tail = r.tail[:0]
}

// Append adds a record (a copy).
func (rs *Records) Append(rec *Record) {
	r := rs.l
	if r == nil {
		return
	}
	r.n++
	if r.spill != nil && len(r.tail) == RecordBlock {
		r.spillTail()
	}
	// The tail grows as append grows it (1, 2, 4, 8 records): most
	// connections of a scan or a SYN flood have one or two segments, and
	// a block of 8 for each would be most of their memory.
	r.tail = append(r.tail, *rec)
}

// All yields the records in order. The pointer is valid only until the next
// iteration: copy what you keep.
func (rs *Records) All() iter.Seq2[int, *Record] {
	return func(yield func(int, *Record) bool) {
		r := rs.l
		if r == nil {
			return
		}
		i := 0
		if len(r.blocks) > 0 {
			buf := make([]Record, RecordBlock)
			for _, b := range r.blocks {
				recs := buf[:b.N]
				if err := r.spill.ReadAt(recordBytes(buf), b.Off); err != nil {
					if r.err == nil {
						r.err = err
					}
					return
				}
				for j := range recs {
					if !yield(i, &recs[j]) {
						return
					}
					i++
				}
			}
		}
		for j := range r.tail {
			if !yield(i, &r.tail[j]) {
				return
			}
			i++
		}
	}
}

// Release drops records that spill: their blocks go back to the Spiller
// when it can take them (a Freer), to be written over, and the Records keep
// nothing afterwards. Call it once, when no one reads them any more. Records
// kept in memory only (Keep(nil)) stay: they go with the connection.
func (rs *Records) Release() {
	r := rs.l
	if r == nil || r.spill == nil {
		return
	}
	if f, ok := r.spill.(Freer); ok {
		for _, b := range r.blocks {
			f.Free(b.Off)
		}
	}
	rs.l = nil
}

// Slice loads every record into memory, for reports that need random access
// (the explanation of one connection). Prefer All.
func (rs *Records) Slice() []Record {
	out := make([]Record, 0, rs.Len())
	for _, rec := range rs.All() {
		out = append(out, *rec)
	}
	return out
}

// recordBytes is the memory of recs as bytes. Record holds no pointers, so a
// block can be written out and read back as it is, without encoding: the
// file lives only as long as the run, on the machine that wrote it.
func recordBytes(recs []Record) []byte {
	if len(recs) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&recs[0])), len(recs)*int(unsafe.Sizeof(Record{})))
}
