package pipeline

import (
	"cmp"
	"slices"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/internal/spool"
	"github.com/tcpflow/tcpflow/state"
	"github.com/tcpflow/tcpflow/stream"
)

// tracker is the per-segment work of a run, on its own goroutine: connection
// lookup, state and analysis, reassembly, and deciding when a connection is
// finished.
type tracker struct {
	opts      *Options
	table     *flow.Table[*state.Conn]
	reasm     *stream.Reassembler
	out       *emitter
	spill     state.Spiller // where kept records go; nil when no sink reads them
	closing   []*Connection // closed connections waiting out the linger time
	lastSweep int64

	selected, parts, evicted, evictedOpen, maxOpen int
}

func newTracker(opts *Options, out *emitter, records *spool.Blocks) *tracker {
	t := &tracker{opts: opts, table: flow.NewTable[*state.Conn](), out: out}
	t.table.MaxForgotten = opts.MaxForgotten
	if opts.Reassemble {
		t.reasm = stream.NewReassembler(out, opts.Stream)
	}
	if records != nil {
		t.spill = records
	}
	return t
}

// feed processes one segment.
func (t *tracker) feed(seg *capture.Segment) {
	if seg.Time-t.lastSweep >= 1e9 {
		// Once a second of capture time, deliver stream data that waited
		// too long behind a gap, and finish the connections that closed
		// more than the linger time ago.
		t.lastSweep = seg.Time
		t.sweep(seg.Time)
	}
	if t.opts.MaxConns > 0 && t.table.Len() >= t.opts.MaxConns {
		t.evict()
	}
	var lr flow.Result[*state.Conn]
	if seg.Quoted || seg.BadHeader {
		// A partial quote (8 bytes of TCP header) creates no connection;
		// it is still listed with the connection it is about, when known.
		if lr = t.table.LookupQuoted(seg); lr.Conn == nil {
			return
		}
	} else {
		lr = t.table.Lookup(seg)
	}
	if lr.Previous != nil {
		t.finish(lr.Previous)
	}
	c := lr.Conn
	if lr.New {
		t.start(c)
	}
	if !c.Selected {
		// Only the table's numbering and lifecycle facts matter for a
		// connection no report shows: no analysis.
		t.linger(c)
		return
	}
	a := c.Data
	if seg.Quoted {
		t.linger(c)
		a.ICMP = append(a.ICMP, state.ICMPError{Frame: seg.Frame, Time: seg.Time, Dir: lr.Dir,
			V6: seg.ICMPv6, Type: seg.ICMPType, Code: seg.ICMPCode, Seq: seg.Seq, Partial: !seg.QuotedFull})
		return
	}
	if seg.BadHeader {
		t.linger(c)
		a.BadHeaders = append(a.BadHeaders, state.BadHeader{Frame: seg.Frame, Time: seg.Time, Dir: lr.Dir, HdrLen: seg.HdrLen})
		return
	}
	if len(t.out.segments) > 0 {
		n := len(a.Transitions)
		rec := a.Process(seg, lr.Dir, lr.New, lr.Reused)
		t.out.segment(c, &rec, a.Transitions[n:])
	} else {
		a.Process(seg, lr.Dir, lr.New, lr.Reused)
	}
	if st := a.Streams; st != nil {
		st.Feed(seg, lr.Dir)
	}
	t.linger(c)
}

// linger queues a connection that has just closed on the wire to be finished
// (and removed from the table) once it has been silent for the linger time,
// selected or not; its reassembly gives back what it kept for comparisons.
func (t *tracker) linger(c *Connection) {
	if c.Lingering || !c.Closed() {
		return
	}
	c.Lingering = true
	t.closing = append(t.closing, c)
	if c.Selected && c.Data.Streams != nil {
		c.Data.Streams.Quiesce()
	}
}

// start sets up a connection the table has just created (or a continuation).
func (t *tracker) start(c *Connection) {
	t.maxOpen = max(t.maxOpen, t.table.Len())
	if c.Part > 0 {
		t.parts++
	}
	if c.Data != nil { // a continuation carries the old part's analysis
		c.Data = nil
	}
	c.Selected = t.opts.Select == nil || t.opts.Select(c)
	if !c.Selected {
		return
	}
	if c.Part == 0 {
		t.selected++
	}
	c.Data = state.NewConn()
	if t.out.records {
		c.Data.Records.Keep(t.spill)
	}
	if t.reasm != nil {
		c.Data.Streams = t.reasm.NewStreams(c.ID)
		t.out.open[c.ID] = c
	}
}

// finish hands a connection over to the sinks and forgets it, once.
func (t *tracker) finish(c *Connection) {
	if c.Finished {
		return
	}
	c.Finished = true
	t.table.Remove(c) // unless a new connection replaced it on its 4-tuple
	if !c.Selected {
		return
	}
	c.Data.Finish() // delivers the bytes still waiting, through the emitter
	delete(t.out.open, c.ID)
	t.out.finished(c)
}

// sweep delivers reassembled data that waited too long behind a gap and
// finishes, in id order, the closed connections silent for the linger time.
func (t *tracker) sweep(now int64) {
	if t.reasm != nil {
		t.reasm.FlushIdle(now)
	}
	cutoff := now - t.opts.Linger
	var done []*Connection
	waiting := t.closing[:0]
	for _, c := range t.closing {
		switch {
		case c.Finished:
		case c.LastTime < cutoff:
			done = append(done, c)
		default:
			waiting = append(waiting, c)
		}
	}
	clear(t.closing[len(waiting):])
	t.closing = waiting
	slices.SortFunc(done, byID)
	for _, c := range done {
		t.finish(c)
	}
}

// evict finishes the least valuable eighth of the tracked connections, to
// make room, in the order flow.Table.Evictable gives: closed ones first (they
// only wait for late segments), then half-open or one-sided ones (a SYN
// flood, a scan, a server that stopped answering), then the others; within
// a kind, the longest idle first.
func (t *tracker) evict() {
	victims := t.table.Evictable(max(t.opts.MaxConns/8, 1))
	for _, c := range victims {
		if c.Closed() {
			continue
		}
		c.Evicted = true
		t.evicted++
		if !flow.OneSided(c) {
			t.evictedOpen++
		}
	}
	slices.SortFunc(victims, byID)
	for _, c := range victims {
		t.finish(c)
	}
}

func byID(a, b *Connection) int { return cmp.Compare(a.ID, b.ID) }

// end finishes every connection still tracked, in id order, and ends the
// event flow.
func (t *tracker) end() {
	if t.reasm != nil {
		t.reasm.FlushAll()
	}
	t.table.Each(t.finish)
	t.out.close()
}

// totals fills the run's counts into sum (after end).
func (t *tracker) totals(sum *Summary) {
	sum.Conns, sum.Selected, sum.Parts = t.table.Count(), t.selected, t.parts
	sum.Evicted, sum.EvictedOpen, sum.MaxOpen = t.evicted, t.evictedOpen, t.maxOpen
	sum.Forgotten, sum.ForgottenDropped = t.table.Forgotten(), t.table.Dropped
}
