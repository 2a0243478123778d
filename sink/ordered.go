package sink

import (
	"cmp"
	"slices"

	"github.com/tcpflow/tcpflow/internal/spool"
)

// ordered keeps rendered pieces of connections in a spool, to be read back
// in id order at the end: each entry is a table row (may be empty) followed
// by a section.
type ordered struct {
	sp    *spool.Spool
	index []entry
	err   error
	buf   []byte
}

// entry is one connection's rendering in the spool (24 bytes: a capture of
// millions of connections keeps its index in tens of megabytes).
type entry struct {
	off            int64
	id             int32
	part           uint16
	rowLen, secLen uint32
}

// SpoolMemory is how much rendered output the reports keep in memory before
// they spool it to a temporary file.
var SpoolMemory int64 = 4 << 20

func newOrdered(tempDir string) *ordered {
	return &ordered{sp: spool.New(tempDir, SpoolMemory)}
}

// add keeps a connection's row and section.
func (o *ordered) add(id, part int, row, section []byte) {
	if o.err != nil {
		return
	}
	o.buf = append(append(o.buf[:0], row...), section...)
	off, err := o.sp.Write(o.buf)
	if err != nil {
		o.err = err
		return
	}
	o.index = append(o.index, entry{off: off, id: int32(id), part: uint16(part), rowLen: uint32(len(row)), secLen: uint32(len(section))})
}

// sort puts the entries in id order, parts in order.
func (o *ordered) sort() {
	slices.SortFunc(o.index, func(a, b entry) int { return cmp.Or(cmp.Compare(a.id, b.id), cmp.Compare(a.part, b.part)) })
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
