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
	// recent keeps the last finished connections, so that a continuation
	// carries on their analysis (state.Conn.Resume); a ring of them in
	// finishing order bounds it, and recycles their analysis state as they
	// leave it (state.Recycle).
	recent     map[flow.Key]*Connection
	recentRing []*Connection
	recentNext int

	selected, parts, evicted, evictedOpen, maxOpen int
	seqJumps, ackJumps                             int
	quality                                        state.Quality
}

func newTracker(opts *Options, out *emitter, records *spool.Blocks) *tracker {
	t := &tracker{opts: opts, table: flow.NewTable[*state.Conn](), out: out,
		recent: map[flow.Key]*Connection{}, recentRing: make([]*Connection, resumable)}
	t.table.MaxForgotten = opts.MaxForgotten
	if opts.Reassemble {
		t.reasm = stream.NewReassembler(out, opts.Stream)
	}
	if records != nil {
		t.spill = records
	}
	return t
}

// feed processes one segment, and hands its frame to the FrameSinks when
// fr is not nil (fr is then maybe a frame that is no segment).
func (t *tracker) feed(seg *capture.Segment, fr *frameCopy) {
	if fr != nil && !fr.Segment {
		t.frame(fr, nil, 0, nil)
		return
	}
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
			t.frame(fr, nil, 0, nil)
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
		t.frame(fr, c, lr.Dir, nil)
		return
	}
	if seg.BadHeader {
		t.linger(c)
		a.BadHeaders = append(a.BadHeaders, state.BadHeader{Frame: seg.Frame, Time: seg.Time, Dir: lr.Dir, HdrLen: seg.HdrLen})
		t.frame(fr, c, lr.Dir, nil)
		return
	}
	n := len(a.Transitions)
	rec := a.Process(seg, lr.Dir, lr.New, lr.Reused)
	if len(t.out.segments) > 0 {
		t.out.segment(c, &rec, a.Transitions[n:])
	}
	t.frame(fr, c, lr.Dir, &rec)
	// A segment whose sequence number jumped too far to be real is one a
	// receiver discards: it is no part of the stream (state.Record.SeqJump).
	if st := a.Streams; st != nil && rec.SeqJump == 0 {
		st.Feed(seg, lr.Dir)
	}
	t.linger(c)
}

// frame hands a frame a FrameSink wants to the sinks, with the selected
// connection it belongs to (nil for none; such frames go only to runs
// without a selection).
func (t *tracker) frame(fr *frameCopy, c *Connection, d flow.Dir, rec *state.Record) {
	if fr == nil || !fr.keep || (c == nil && t.opts.Select != nil) {
		return
	}
	t.out.frame(c, d, rec, &fr.Frame)
}

// linger queues a connection that has just closed on the wire to be finished
// (and removed from the table) once it has been silent for the linger time,
// selected or not; its reassembly gives back what it kept for comparisons
// and its records leave memory.
func (t *tracker) linger(c *Connection) {
	if c.Lingering || !c.Closed() {
		return
	}
	c.Lingering = true
	t.closing = append(t.closing, c)
	if c.Selected {
		if c.Data.Streams != nil {
			c.Data.Streams.Quiesce()
		}
		c.Data.Records.Spill()
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
	if old := t.recent[c.Key]; old != nil && old.ID == c.ID && old.Data != nil {
		c.Data = old.Data.Resume()
		delete(t.recent, c.Key)
	} else {
		c.Data = state.NewConn()
	}
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
	t.quality.Add(c)
	for _, dm := range c.Data.Damage {
		t.seqJumps += int(dm.SeqJumps)
		t.ackJumps += int(dm.AckJumps)
	}
	delete(t.out.open, c.ID)
	t.out.finished(c)
	t.remember(c)
}

// resumable is how many finished connections the tracker keeps for a
// continuation to carry on from: about 1.5 KB each.
const resumable = 4096

// remember keeps a finished connection for a continuation, forgetting the
// oldest one kept, whose analysis state a new connection may then reuse.
// The sinks may still be reading c: Resume only reads.
func (t *tracker) remember(c *Connection) {
	if old := t.recentRing[t.recentNext]; old != nil {
		if t.recent[old.Key] == old {
			delete(t.recent, old.Key)
		}
		if old.Data != nil && state.Recycle(old.Data) {
			old.Data = nil
		}
	}
	t.recentRing[t.recentNext] = c
	t.recentNext = (t.recentNext + 1) % len(t.recentRing)
	t.recent[c.Key] = c
}

// sweep delivers reassembled data that waited too long behind a gap and
// finishes, in id order, the closed connections silent for the linger time.
func (t *tracker) sweep(now int64) {
	if t.reasm != nil {
		t.reasm.FlushIdle(now)
	}
	t.finishLingered(now)
}

// tick is a live capture's tick: every frame until now has been fed. The
// connections that closed more than the linger time ago are finished (and
// the reassembly swept once a second), the progress is published, and the
// sinks get what they are owed and flush it.
func (t *tracker) tick(now int64) {
	if now-t.lastSweep >= 1e9 {
		t.lastSweep = now
		t.sweep(now)
	} else {
		t.finishLingered(now)
	}
	if p := t.opts.Progress; p != nil {
		p.Open.Store(int64(max(t.table.Len()-len(t.closing), 0)))
	}
	t.out.tick()
}

// finishLingered finishes, in id order, the closed connections silent for
// the linger time.
func (t *tracker) finishLingered(now int64) {
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
	sum.SeqJumps, sum.AckJumps = t.seqJumps, t.ackJumps
	sum.Quality = t.quality
}
