package sink

import (
	"cmp"
	"slices"

	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
)

// A Parquet output with --top N keeps the rows of the N first connections
// of the triage's order and writes them at the end: it holds at most
// 2N+pruneSlack rows, cut back to N whenever it has that many, whatever the
// capture. (A table has no order, so --sort alone is refused: a query
// orders; --problems and the time window leave rows out as they come.)

// topRow is a connection's row waiting for the end, with what places it.
type topRow struct {
	key      float64
	id, part int
	file     int   // its first frame's input, for the partition
	time     int64 // its first time, for the partition
	row      report.ConnRow
}

// keepTop keeps c's row among the best.
func (p *Parquet) keepTop(c *pipeline.Connection, key float64) {
	top := p.o.Triage.Top
	if len(p.top) >= 2*top+pruneSlack {
		p.sortTop()
	}
	t := topRow{key: key, id: c.ID, part: c.Part, file: c.FirstFile, time: c.FirstTime}
	report.ConnRowOf(&t.row, p.o.Stats.FirstTime, c, p.run, p.o.Inputs)
	p.top = append(p.top, t)
}

// sortTop orders the rows kept, the largest key first, ties by id and
// part, and keeps the first Top.
func (p *Parquet) sortTop() {
	slices.SortFunc(p.top, func(a, b topRow) int {
		return cmp.Or(cmp.Compare(b.key, a.key), cmp.Compare(a.id, b.id), cmp.Compare(a.part, b.part))
	})
	if n := p.o.Triage.Top; len(p.top) > n {
		clear(p.top[n:])
		p.top = p.top[:n]
	}
}

// writeTop writes the rows kept, in order.
func (p *Parquet) writeTop() error {
	if p.o.Triage.Top == 0 {
		return nil
	}
	p.sortTop()
	for i := range p.top {
		t := &p.top[i]
		f, err := p.conns.file(p.partition(t.file, t.time))
		if err != nil {
			return err
		}
		*f.next() = t.row
		if err := f.filled(); err != nil {
			return err
		}
	}
	p.top = nil
	return nil
}
