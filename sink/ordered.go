package sink

import (
	"cmp"
	"container/heap"
	"encoding/binary"
	"fmt"
	"iter"
	"math"
	"slices"

	"github.com/klauspost/compress/s2"

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
// connections keeps 2.6 MB of index, not 40 bytes per connection.
//
// With a triage (--problems, --sort, --top) the index holds only the
// connections it admits, each with its sort key, and is read back in key
// order; with --top N it is cut back to the N first whenever it reaches
// 2N+pruneSlack entries, so memory stays bounded by N whatever the capture
// (what was spooled for the connections cut stays in the spool file).
//
// Once the spool holds compressAfter bytes, each further section is stored
// compressed (S2, with a dictionary made of the first sections; the row
// stays as it is, for the table's pass that reads rows alone), so that a
// huge report costs a fraction of its size in the temporary directory: a
// 2 M-SYN flood's JSON document is 13.6 GB of rendered text, spooled
// whole; written as it is, that was most of the run's system time (the
// kernel throttles a writer with that much unwritten data), and more room
// than many /tmp have. Its sections compress 30 times with the dictionary
// (3 times without). Each section is compressed alone, so reading one back
// costs decoding only it (a microsecond or a few) whatever the order of the
// reads: connections do not finish in id order (a refused connection is
// done at once, a closed one lingers), and a report in id order jumps
// about the spool, which frames of many sections would make costly (tried:
// the default report of many2m took twice as long). Below compressAfter
// the CPU time is not worth it: the reports of the 2 M-packet captures
// (the default report's 350 MB of text) are as fast as before.
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

	dictBuf []byte   // the first sections, up to dictSize: the dictionary's text
	dict    *s2.Dict // made once the spool reaches compressAfter
	enc     []byte   // a compressed section
	dec     []byte   // a decoded section
}

// compressAfter is the size of spool from which sections are compressed (a
// variable for tests).
var compressAfter int64 = 512 << 20

// dictSize is the most of the first sections the dictionary is made of (S2's
// limit).
const dictSize = 64 << 10

// entry is one connection's rendering in the spool.
type entry struct {
	off            int64
	key            float64 // the triage's sort key
	id             int32
	part           uint16
	flags          uint8 // the sink's own marks (StreamFiles: which directions have a file)
	rowLen, secLen uint32
	stored         uint32 // the compressed section's length in the spool; 0: stored as it is
}

// entrySize is an entry's size in a run.
const entrySize = 8 + 8 + 4 + 2 + 1 + 4 + 4 + 4

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

// newOrdered returns an empty store whose spool goes to tempDir, for a
// report with triage tr.
func newOrdered(tempDir string, tr report.Triage) *ordered {
	return &ordered{sp: spool.New(tempDir, SpoolMemory), triage: tr}
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
	secLen := len(section)
	section, stored := o.compress(section)
	o.buf = append(append(o.buf[:0], row...), section...)
	off, err := o.sp.Write(o.buf)
	if err != nil {
		o.err = err
		return
	}
	o.index = append(o.index, entry{off: off, key: key, id: int32(id), part: uint16(part), flags: flags,
		rowLen: uint32(len(row)), secLen: uint32(secLen), stored: stored})
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

// compress returns how a section is stored, and its stored length (0 when
// stored as it is): as it is until the spool holds compressAfter bytes,
// compressed after. The first dictSize bytes of sections are kept to make
// the dictionary from: the sections of one report share most of their text
// (keys, labels, the indentation).
func (o *ordered) compress(section []byte) ([]byte, uint32) {
	if o.dict == nil {
		if len(o.dictBuf) < dictSize {
			o.dictBuf = append(o.dictBuf, section[:min(len(section), dictSize-len(o.dictBuf))]...)
		}
		if o.sp.Size() < compressAfter {
			return section, 0
		}
		if len(o.dictBuf) < s2.MinDictSize {
			// Almost no section came before (S2 wants 16 bytes): pad.
			o.dictBuf = append(o.dictBuf, make([]byte, s2.MinDictSize)...)
		}
		o.dict = s2.MakeDict(o.dictBuf, nil)
		o.dictBuf = nil
	}
	o.enc = o.dict.Encode(o.enc[:cap(o.enc)], section)
	return o.enc, uint32(len(o.enc))
}

// decompress returns entry e's section from its stored bytes.
func (o *ordered) decompress(e entry, stored []byte) []byte {
	if e.stored == 0 || o.err != nil {
		return stored
	}
	dec, err := o.dict.Decode(o.dec[:cap(o.dec)], stored)
	if err == nil && len(dec) != int(e.secLen) {
		err = fmt.Errorf("%d bytes, want %d", len(dec), e.secLen)
	}
	if err != nil {
		o.err = fmt.Errorf("spool: connection %d: %w", e.id, err)
		return make([]byte, e.secLen)
	}
	o.dec = dec
	return dec
}

func appendEntry(b []byte, e entry) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(e.off))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(e.key))
	b = binary.LittleEndian.AppendUint32(b, uint32(e.id))
	b = binary.LittleEndian.AppendUint16(b, e.part)
	b = append(b, e.flags)
	b = binary.LittleEndian.AppendUint32(b, e.rowLen)
	b = binary.LittleEndian.AppendUint32(b, e.secLen)
	return binary.LittleEndian.AppendUint32(b, e.stored)
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
		stored: binary.LittleEndian.Uint32(b[31:]),
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
	secLen := e.secLen
	if e.stored != 0 {
		secLen = e.stored
	}
	b := o.fetch(e.off, int(e.rowLen+secLen))
	return b[:e.rowLen], o.decompress(e, b[e.rowLen:])
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
