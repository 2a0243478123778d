package state

import (
	"errors"
	"io"
	"slices"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
)

// Connection is a flow connection together with its analysis.
type Connection = flow.Conn[*Conn]

// Result is the analysis of a whole capture.
type Result struct {
	Inputs []capture.Input
	Stats  capture.Stats
	// Conns are the connections in id order (only those Select accepted).
	Conns  []*Connection
	Errors []error // *capture.ReadError for each faulty input, in input order
}

// Select decides which connections a run keeps; nil keeps all. It sees the
// connection when its first segment is processed.
type Select func(c *Connection) bool

// Run reads every segment of r, tracks every connection and returns the result.
// The result is complete even when inputs are faulty: the faults are listed in
// Errors and every frame before them is analyzed.
//
// Reading and decoding run in one goroutine and the analysis in others, so a
// large capture uses two or more cores (see parallel.go); the result is the
// same as a sequential run's, byte for byte.
func Run(r *capture.Reader, opts Options, sel Select) *Result {
	if w := workers(opts); w > 0 {
		return runParallel(r, opts, sel, w)
	}
	res := &Result{}
	t := newTracker(opts, sel)
	var seg capture.Segment
	for nextSegment(r, &seg, res) {
		t.feed(&seg)
	}
	res.Inputs, res.Stats, res.Conns = r.Inputs, r.Stats, t.end()
	return res
}

// nextSegment reads the next segment into seg and reports whether there is
// one. A faulty input is recorded in res.Errors and reading goes on with the
// next input; any other error ends the run.
func nextSegment(r *capture.Reader, seg *capture.Segment, res *Result) bool {
	for {
		err := r.Next(seg)
		switch {
		case err == nil:
			return true
		case err == io.EOF:
			return false
		}
		var re *capture.ReadError
		if !errors.As(err, &re) {
			res.Errors = append(res.Errors, err)
			return false
		}
		res.Errors = append(res.Errors, re)
	}
}

// tracker is the per-segment work of a run: connection lookup, state and
// analysis, reassembly, and handing finished connections over.
type tracker struct {
	opts      Options
	sel       Select
	table     *flow.Table[*Conn]
	kept      []*Connection
	linger    int64
	lastSweep int64
	closing   []*Connection     // closed connections waiting out the linger time
	reasm     *flow.Reassembler // when reassembling
}

func newTracker(opts Options, sel Select) *tracker {
	t := &tracker{opts: opts, sel: sel, table: flow.NewTable[*Conn](), linger: opts.Linger}
	if t.linger <= 0 {
		t.linger = DefaultLinger
	}
	if opts.Reassemble != nil {
		t.reasm = flow.NewReassembler(opts.Reassemble.Sink, opts.Reassemble.Options)
	}
	return t
}

// done hands a finished connection over to Options.Done, once.
func (t *tracker) done(c *Connection) {
	if c.Data == nil || c.Data.finished {
		return
	}
	c.Data.finished = true
	if c.Data.selected {
		c.Data.finish()
		t.opts.Done(c)
	}
}

// feed processes one segment.
func (t *tracker) feed(seg *capture.Segment) {
	opts := &t.opts
	if seg.Time-t.lastSweep >= 1e9 {
		// Once a second of capture time, deliver stream data that waited
		// too long behind a gap, and finish the connections that closed
		// more than linger ago.
		t.lastSweep = seg.Time
		if t.reasm != nil {
			t.reasm.FlushIdle(seg.Time)
		}
		if opts.Done != nil {
			t.closing = sweep(t.table, t.closing, seg.Time-t.linger, t.done)
		}
	}
	var lr flow.Result[*Conn]
	if seg.Quoted || seg.BadHeader {
		// A partial quote (8 bytes of TCP header) creates no connection;
		// it is still listed with the connection it is about, when known.
		if lr = t.table.LookupQuoted(seg); lr.Conn == nil {
			return
		}
	} else {
		lr = t.table.Lookup(seg)
	}
	if lr.Previous != nil && opts.Done != nil {
		t.done(lr.Previous)
	}
	c := lr.Conn
	if c.Data == nil {
		c.Data = NewConn(*opts)
		if t.sel == nil || t.sel(c) {
			c.Data.selected = true
			if t.reasm != nil {
				c.Data.Streams = t.reasm.NewStreams(c.ID)
			}
			if opts.Done == nil {
				t.kept = append(t.kept, c)
			}
		}
	}
	if opts.Done != nil && !c.Data.closing && c.Closed() {
		// Queued to be finished (and removed from the table) once it has
		// lingered, selected or not.
		c.Data.closing = true
		t.closing = append(t.closing, c)
	}
	if !c.Data.selected {
		// Only the table's numbering and lifecycle facts matter for a
		// connection no report shows: no analysis.
		return
	}
	if seg.Quoted {
		c.Data.ICMP = append(c.Data.ICMP, ICMPError{Frame: seg.Frame, Time: seg.Time, Dir: lr.Dir,
			V6: seg.ICMPv6, Type: seg.ICMPType, Code: seg.ICMPCode, Seq: seg.Seq, Partial: !seg.QuotedFull})
		return
	}
	if seg.BadHeader {
		c.Data.BadHeaders = append(c.Data.BadHeaders, BadHeader{Frame: seg.Frame, Time: seg.Time, Dir: lr.Dir, HdrLen: seg.HdrLen})
		return
	}
	if opts.Segment != nil {
		n := len(c.Data.Transitions)
		rec := c.Data.Process(seg, lr.Dir, lr.New, lr.Reused)
		opts.Segment(c, &rec, c.Data.Transitions[n:])
	} else {
		c.Data.Process(seg, lr.Dir, lr.New, lr.Reused)
	}
	if st := c.Data.Streams; st != nil {
		st.Feed(seg, lr.Dir)
	}
}

// end finishes the run: it hands over what is left (streaming) or closes the
// kept connections, and returns them.
func (t *tracker) end() []*Connection {
	if t.reasm != nil {
		t.reasm.FlushAll()
	}
	if t.opts.Done != nil {
		t.table.Each(func(c *Connection) {
			t.table.Remove(c)
			t.done(c)
		})
	}
	for _, c := range t.kept {
		c.Data.finish()
	}
	return t.kept
}

// sweep finishes, in id order, the closed connections whose last segment is
// before cutoff, and returns those still lingering.
func sweep(table *flow.Table[*Conn], closing []*Connection, cutoff int64, done func(*Connection)) []*Connection {
	var finished []*Connection
	waiting := closing[:0]
	for _, c := range closing {
		switch {
		case c.Data.finished:
		case c.LastTime < cutoff:
			finished = append(finished, c)
		default:
			waiting = append(waiting, c)
		}
	}
	slices.SortFunc(finished, func(a, b *Connection) int { return a.ID - b.ID })
	for _, c := range finished {
		table.Remove(c)
		done(c)
	}
	return waiting
}
