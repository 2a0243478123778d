package sink

import (
	"cmp"
	"slices"

	"github.com/tcpflow/tcpflow/internal/spool"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
)

// ordered keeps rendered pieces of connections in a spool, to be read back
// in id order at the end: each entry is a table row (may be empty) followed
// by a section.
//
// With a triage (--problems, --sort, --top) the index holds only the
// connections it admits, each with its sort key, and is read back in key
// order; with --top N it is cut back to the N first whenever it reaches
// 2N+pruneSlack entries, so memory stays bounded by N whatever the capture
// (what was spooled for the connections cut stays in the spool file).
type ordered struct {
	sp     *spool.Spool
	index  []entry
	err    error
	buf    []byte
	triage report.Triage
	seen   int // connections offered to the triage
}

// entry is one connection's rendering in the spool (32 bytes: a capture of
// millions of connections keeps its index in tens of megabytes).
type entry struct {
	off            int64
	key            float64 // the triage's sort key
	id             int32
	part           uint16
	rowLen, secLen uint32
}

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
func (o *ordered) add(id, part int, row, section []byte) { o.addKey(id, part, 0, row, section) }

// addKey keeps a connection's row and section with its sort key.
func (o *ordered) addKey(id, part int, key float64, row, section []byte) {
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
	o.index = append(o.index, entry{off: off, key: key, id: int32(id), part: uint16(part), rowLen: uint32(len(row)), secLen: uint32(len(section))})
}

// sort puts the entries in id order, parts in order; with a --sort, by
// key, the largest first, ties in id order; with --top N, keeps N.
func (o *ordered) sort() {
	slices.SortFunc(o.index, func(a, b entry) int {
		return cmp.Or(cmp.Compare(b.key, a.key), cmp.Compare(a.id, b.id), cmp.Compare(a.part, b.part))
	})
	if top := o.triage.Top; top > 0 && len(o.index) > top {
		o.index = o.index[:top]
	}
}

// shown is the header line of a triaged report ("" without a triage),
// with its time window when it has one; base is the first frame's time.
func (o *ordered) shown(base int64) string {
	if !o.triage.Active() {
		return ""
	}
	s := o.triage.Shown(len(o.index), o.seen)
	if w := o.triage.Window(base); w != "" {
		s += "\ntime window: " + w
	}
	return s
}

// read returns entry e's row and section; valid until the next read.
func (o *ordered) read(e entry) (row, section []byte) {
	n := int(e.rowLen + e.secLen)
	if cap(o.buf) < n {
		o.buf = make([]byte, n)
	}
	b := o.buf[:n]
	if o.err == nil {
		o.err = o.sp.ReadAt(b, e.off)
	}
	return b[:e.rowLen], b[e.rowLen:]
}

// readRow returns entry e's row alone; valid until the next read.
func (o *ordered) readRow(e entry) []byte {
	if cap(o.buf) < int(e.rowLen) {
		o.buf = make([]byte, e.rowLen)
	}
	b := o.buf[:e.rowLen]
	if o.err == nil {
		o.err = o.sp.ReadAt(b, e.off)
	}
	return b
}

func (o *ordered) close() {
	if err := o.sp.Close(); err != nil && o.err == nil {
		o.err = err
	}
}
