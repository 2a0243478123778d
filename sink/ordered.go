package sink

import (
	"cmp"
	"container/heap"
	"encoding/binary"
	"iter"
	"math"
	"slices"

	"github.com/tcpflow/tcpflow/internal/spool"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
)

// ordered keeps rendered pieces of connections in a spool, to be read back
// in id order at the end: each entry is a table row (may be empty) followed
// by a section.
//
// The index of the pieces is bounded too: once runEntries entries are in
// memory they are sorted and written to the spool as a run, and reading back
// merges the runs (an external merge sort), so a capture of millions of
// connections keeps 2 MB of index, not 32 bytes per connection.
//
// With a triage (--problems, --sort, --top) the index holds only the
// connections it admits, each with its sort key, and is read back in key
// order; with --top N it is cut back to the N first whenever it reaches
// 2N+pruneSlack entries, so memory stays bounded by N whatever the capture
// (what was spooled for the connections cut stays in the spool file).
type ordered struct {
	sp    *spool.Spool
	index []entry // the entries not yet in a run
	runs  []run   // sorted runs of entries in the spool
	err   error
	buf   []byte
	// win holds the spool's bytes from winOff on: reading the entries back
	// in id order mostly reads the spool front to back (connections finish
	// roughly in id order), and one read of readAhead bytes spares a system
	// call per entry (2 M of them for a flood's table and sections).
	win    []byte
	winOff int64
	next   int64 // where the last fetch ended
	triage report.Triage
	seen   int // connections offered to the triage
}

// entry is one connection's rendering in the spool.
type entry struct {
	off            int64
	key            float64 // the triage's sort key
	id             int32
	part           uint16
	flags          uint8 // the sink's own marks (StreamFiles: which directions have a file)
	rowLen, secLen uint32
}

// entrySize is an entry's size in a run.
const entrySize = 8 + 8 + 4 + 2 + 1 + 4 + 4

// run is a sorted run of n entries at off in the spool.
type run struct {
	off int64
	n   int
}

// runEntries is how many entries stay in memory before they are sorted and
// spooled as a run (a variable for tests).
var runEntries = 1 << 16

// pruneSlack is how far the index of a --top N report grows past 2N before
// it is cut back to N.
const pruneSlack = 64

// SpoolMemory is how much rendered output the reports keep in memory before
// they spool it to a temporary file.
var SpoolMemory int64 = 4 << 20

func newOrdered(tempDir string) *ordered {
	return &ordered{sp: spool.New(tempDir, SpoolMemory)}
}

// admit says whether the triage shows c, and its sort key; the caller
// renders c and adds it only then. base is the first frame's time.
func (o *ordered) admit(c *pipeline.Connection, base int64) (float64, bool) {
	o.seen++
	return o.triage.Admit(c, base)
}

// add keeps a connection's row and section.
func (o *ordered) add(id, part int, row, section []byte) { o.addKey(id, part, 0, 0, row, section) }

// addKey keeps a connection's row and section with its sort key and the
// sink's flags.
func (o *ordered) addKey(id, part int, key float64, flags uint8, row, section []byte) {
	if o.err != nil {
		return
	}
	if top := o.triage.Top; top > 0 && len(o.index) >= 2*top+pruneSlack {
		o.sort()
		o.index = o.index[:top]
	}
	o.buf = append(append(o.buf[:0], row...), section...)
	off, err := o.sp.Write(o.buf)
	if err != nil {
		o.err = err
		return
	}
	o.index = append(o.index, entry{off: off, key: key, id: int32(id), part: uint16(part), flags: flags,
		rowLen: uint32(len(row)), secLen: uint32(len(section))})
	if o.triage.Top == 0 && len(o.index) >= runEntries {
		o.spill()
	}
}

// spill sorts the entries in memory and writes them to the spool as a run.
func (o *ordered) spill() {
	o.sort()
	b := o.buf[:0]
	for _, e := range o.index {
		b = appendEntry(b, e)
	}
	o.buf = b
	off, err := o.sp.Write(b)
	if err != nil {
		o.err = err
		return
	}
	o.runs = append(o.runs, run{off, len(o.index)})
	o.index = o.index[:0]
}

func appendEntry(b []byte, e entry) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(e.off))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(e.key))
	b = binary.LittleEndian.AppendUint32(b, uint32(e.id))
	b = binary.LittleEndian.AppendUint16(b, e.part)
	b = append(b, e.flags)
	b = binary.LittleEndian.AppendUint32(b, e.rowLen)
	return binary.LittleEndian.AppendUint32(b, e.secLen)
}

func readEntry(b []byte) entry {
	return entry{
		off:    int64(binary.LittleEndian.Uint64(b)),
		key:    math.Float64frombits(binary.LittleEndian.Uint64(b[8:])),
		id:     int32(binary.LittleEndian.Uint32(b[16:])),
		part:   binary.LittleEndian.Uint16(b[20:]),
		flags:  b[22],
		rowLen: binary.LittleEndian.Uint32(b[23:]),
		secLen: binary.LittleEndian.Uint32(b[27:]),
	}
}

// before is the report's order: with a --sort by key, the largest first;
// then by id, parts in order.
func before(a, b entry) int {
	return cmp.Or(cmp.Compare(b.key, a.key), cmp.Compare(a.id, b.id), cmp.Compare(a.part, b.part))
}

// sort puts the entries in memory in the report's order; with --top N,
// keeps N. Call it once all entries are added, before all.
func (o *ordered) sort() {
	slices.SortFunc(o.index, before)
	if top := o.triage.Top; top > 0 && len(o.index) > top {
		o.index = o.index[:top]
	}
}

// len is the number of entries.
func (o *ordered) len() int {
	n := len(o.index)
	for _, r := range o.runs {
		n += r.n
	}
	return n
}

// all yields the entries in the report's order with their positions,
// merging the spooled runs with the entries in memory; it may be ranged over
// more than once. A read error stops it and is kept in o.err.
func (o *ordered) all() iter.Seq2[int, entry] {
	return func(yield func(int, entry) bool) {
		if len(o.runs) == 0 {
			for i, e := range o.index {
				if !yield(i, e) {
					return
				}
			}
			return
		}
		h := make(mergeHeap, 0, len(o.runs)+1)
		for _, r := range o.runs {
			src := &runReader{o: o, r: r}
			if src.next() {
				h = append(h, src)
			}
		}
		if len(o.index) > 0 {
			src := &runReader{mem: o.index}
			src.next()
			h = append(h, src)
		}
		heap.Init(&h)
		for i := 0; len(h) > 0; i++ {
			src := h[0]
			if !yield(i, src.head) {
				return
			}
			if src.next() {
				heap.Fix(&h, 0)
			} else {
				heap.Pop(&h)
			}
			if o.err != nil {
				return
			}
		}
	}
}

// runReader reads a run back a block of entries at a time, or walks the
// entries in memory (mem).
type runReader struct {
	o    *ordered
	r    run
	read int // entries of the run read so far
	buf  []byte
	mem  []entry
	head entry
}

const readBlock = 256 // entries a runReader reads at once

func (s *runReader) next() bool {
	if s.o == nil {
		if len(s.mem) == 0 {
			return false
		}
		s.head, s.mem = s.mem[0], s.mem[1:]
		return true
	}
	if len(s.buf) == 0 {
		if s.read == s.r.n || s.o.err != nil {
			return false
		}
		n := min(readBlock, s.r.n-s.read)
		if cap(s.buf) < n*entrySize {
			s.buf = make([]byte, readBlock*entrySize)
		}
		s.buf = s.buf[:n*entrySize]
		if err := s.o.sp.ReadAt(s.buf, s.r.off+int64(s.read)*entrySize); err != nil {
			s.o.err = err
			return false
		}
		s.read += n
	}
	s.head, s.buf = readEntry(s.buf), s.buf[entrySize:]
	return true
}

// mergeHeap orders the run readers by their next entry.
type mergeHeap []*runReader

func (h mergeHeap) Len() int           { return len(h) }
func (h mergeHeap) Less(i, j int) bool { return before(h[i].head, h[j].head) < 0 }
func (h mergeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)        { *h = append(*h, x.(*runReader)) }
func (h *mergeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// shown is the header line of a triaged report ("" without a triage),
// with its time window when it has one; base is the first frame's time.
func (o *ordered) shown(base int64) string {
	if !o.triage.Active() {
		return ""
	}
	s := o.triage.Shown(o.len(), o.seen)
	if w := o.triage.Window(base); w != "" {
		s += "\ntime window: " + w
	}
	return s
}

// read returns entry e's row and section; valid until the next read.
func (o *ordered) read(e entry) (row, section []byte) {
	b := o.fetch(e.off, int(e.rowLen+e.secLen))
	return b[:e.rowLen], b[e.rowLen:]
}

// readRow returns entry e's row alone; valid until the next read.
func (o *ordered) readRow(e entry) []byte {
	return o.fetch(e.off, int(e.rowLen))
}

// readAhead is how much fetch reads at once when the reads go forward.
const readAhead = 256 << 10

// fetch returns the n bytes at off in the spool, valid until the next
// fetch: from the window when it holds them; else, when the read starts
// where the last one ended (reading forward), the window moves there and
// holds readAhead bytes; else they are read alone (a sorted report jumps
// about).
func (o *ordered) fetch(off int64, n int) []byte {
	next := o.next
	o.next = off + int64(n)
	if off >= o.winOff && off+int64(n) <= o.winOff+int64(len(o.win)) {
		return o.win[off-o.winOff:][:n]
	}
	if o.err != nil {
		return make([]byte, n)
	}
	if (off == next || off == 0) && n < readAhead {
		m := int(min(readAhead, o.sp.Size()-off))
		if cap(o.win) < readAhead {
			o.win = make([]byte, readAhead)
		}
		o.win, o.winOff = o.win[:m], off
		if o.err = o.sp.ReadAt(o.win, off); o.err != nil {
			o.win = o.win[:0]
		}
		return o.win[:n]
	}
	if cap(o.buf) < n {
		o.buf = make([]byte, n)
	}
	b := o.buf[:n]
	o.err = o.sp.ReadAt(b, off)
	return b
}

func (o *ordered) close() {
	if err := o.sp.Close(); err != nil && o.err == nil {
		o.err = err
	}
}
