package pipeline

import (
	"slices"
	"sync/atomic"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/stream"

	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
)

// The tracker hands what sinks receive to the sink goroutine as events, in
// recycled batches: segments (a copy of the record and of the transitions),
// reassembled bytes (a copy) and finished connections. The sinks thus run
// beside the analysis, and a finished connection is no longer touched by the
// tracker when its sinks read it.

type evKind uint8

const (
	evSegment evKind = iota
	evData
	evGap
	evFinished
	evFrame
	evTick // a live capture's tick: Flushers flush
)

type event struct {
	kind   evKind
	dir    flow.Dir
	conn   *Connection
	rec    state.Record // evSegment
	t0, t1 int32        // evSegment: transitions, in the batch's trans
	d0, d1 int32        // evData: bytes, in the batch's data
	off, n int64        // evData, evGap: stream offset, gap size
	frame  uint64
	time   int64
	// evFrame: the frame is frames[fi] of the batch, its bytes at d0:d1 of
	// data (the reassembled datagram's after them, up to d2), its headers
	// at t0:t1 of hdrs; rec is set when hasRec.
	fi, d2 int32
	hasRec bool
	gap    stream.GapKind // evGap: why the bytes are missing
}

type evBatch struct {
	ev     []event
	trans  []state.Transition
	data   []byte
	hdrs   []capture.Header
	frames []capture.Frame
}

const (
	evBatchSize = 512
	evDataSize  = 1 << 20
)

// emitter is the tracker's end of the event flow and the sink goroutine's.
type emitter struct {
	sinks    []Sink
	segments []SegmentSink
	bytes    []ByteSink
	frames   []FrameSink
	flushers []Flusher
	records  bool // some sink reads records
	recycle  bool // every sink is a Forgetter: finished connections are reused
	cur      *evBatch
	open     map[int]*Connection // selected connections being reassembled, by id (tracker)
	full     chan *evBatch
	free     chan *evBatch
	err      error       // the first sink error (sink goroutine; read after it ends)
	stop     atomic.Bool // a sink failed: stop reading
}

func newEmitter(sinks []Sink) *emitter {
	e := &emitter{sinks: sinks, open: map[int]*Connection{}, full: make(chan *evBatch, 4), free: make(chan *evBatch, 6)}
	for _, s := range sinks {
		if ss, ok := s.(SegmentSink); ok {
			e.segments = append(e.segments, ss)
		}
		if bs, ok := s.(ByteSink); ok {
			e.bytes = append(e.bytes, bs)
		}
		if fs, ok := s.(FrameSink); ok {
			e.frames = append(e.frames, fs)
		}
		if fs, ok := s.(Flusher); ok {
			e.flushers = append(e.flushers, fs)
		}
		if rs, ok := s.(RecordSink); ok && rs.NeedsRecords() {
			e.records = true
		}
	}
	e.recycle = !slices.ContainsFunc(sinks, func(s Sink) bool { _, ok := s.(Forgetter); return !ok })
	for i := 0; i < cap(e.free); i++ {
		e.free <- &evBatch{ev: make([]event, 0, evBatchSize)}
	}
	e.cur = <-e.free
	return e
}

func (e *emitter) failed() bool { return e.stop.Load() }

// add appends an event and returns it, sending the batch on when full.
func (e *emitter) add(k evKind, c *Connection) *event {
	b := e.cur
	if len(b.ev) == cap(b.ev) || len(b.data) >= evDataSize {
		e.flush()
		b = e.cur
	}
	b.ev = append(b.ev, event{kind: k, conn: c})
	return &b.ev[len(b.ev)-1]
}

func (e *emitter) flush() {
	if len(e.cur.ev) == 0 {
		return
	}
	e.full <- e.cur
	e.cur = <-e.free
}

// segment queues a segment for the SegmentSinks.
func (e *emitter) segment(c *Connection, r *state.Record, trans []state.Transition) {
	ev := e.add(evSegment, c)
	ev.rec = *r
	b := e.cur
	ev.t0 = int32(len(b.trans))
	b.trans = append(b.trans, trans...)
	ev.t1 = int32(len(b.trans))
}

// Data implements stream.Sink for the reassembler: the bytes are copied.
func (e *emitter) Data(id int, d flow.Dir, off int64, p []byte, frame uint64, t int64) {
	for len(p) > 0 {
		// Keep each event's bytes within one batch's arena.
		n := min(len(p), evDataSize)
		ev := e.add(evData, e.open[id])
		b := e.cur
		ev.dir, ev.off, ev.frame, ev.time = d, off, frame, t
		ev.d0 = int32(len(b.data))
		b.data = append(b.data, p[:n]...)
		ev.d1 = int32(len(b.data))
		p, off = p[n:], off+int64(n)
	}
}

// Gap implements stream.Sink for the reassembler.
func (e *emitter) Gap(id int, d flow.Dir, off, n int64, frame uint64, kind stream.GapKind) {
	ev := e.add(evGap, e.open[id])
	ev.dir, ev.off, ev.n, ev.frame, ev.gap = d, off, n, frame, kind
}

// frame queues a frame for the FrameSinks: its bytes and headers are
// copied into the batch.
func (e *emitter) frame(c *Connection, d flow.Dir, r *state.Record, f *capture.Frame) {
	ev := e.add(evFrame, c)
	b := e.cur
	ev.dir, ev.fi = d, int32(len(b.frames))
	b.frames = append(b.frames, *f)
	ev.d0 = int32(len(b.data))
	b.data = append(b.data, f.Data...)
	ev.d1 = int32(len(b.data))
	b.data = append(b.data, f.Datagram...)
	ev.d2 = int32(len(b.data))
	ev.t0 = int32(len(b.hdrs))
	b.hdrs = append(b.hdrs, f.Headers...)
	ev.t1 = int32(len(b.hdrs))
	if r != nil {
		ev.rec, ev.hasRec = *r, true
	}
}

// finished queues a finished connection.
func (e *emitter) finished(c *Connection) { e.add(evFinished, c) }

// tick sends what is queued on, with a tick at the end.
func (e *emitter) tick() {
	e.add(evTick, nil)
	e.flush()
}

// close sends what is queued and ends the sink goroutine's loop.
func (e *emitter) close() {
	e.flush()
	close(e.full)
}

// deliver is the sink goroutine: it calls the sinks for every event, in
// order. After a sink error it only drains (and asks the reader to stop).
func (e *emitter) deliver() {
	for b := range e.full {
		if e.err == nil {
			e.run(b)
		}
		for i := range b.ev {
			b.ev[i] = event{}
		}
		clear(b.frames)
		b.ev, b.trans, b.data, b.hdrs, b.frames = b.ev[:0], b.trans[:0], b.data[:0], b.hdrs[:0], b.frames[:0]
		e.free <- b
	}
}

func (e *emitter) run(b *evBatch) {
	for i := range b.ev {
		ev := &b.ev[i]
		c := ev.conn
		switch ev.kind {
		case evSegment:
			for _, s := range e.segments {
				if err := s.Segment(c, &ev.rec, b.trans[ev.t0:ev.t1]); err != nil {
					e.fail(err)
					return
				}
			}
		case evData:
			for _, s := range e.bytes {
				s.Data(c, ev.dir, ev.off, b.data[ev.d0:ev.d1], ev.frame, ev.time)
			}
		case evGap:
			for _, s := range e.bytes {
				s.Gap(c, ev.dir, ev.off, ev.n, ev.frame, ev.gap)
			}
		case evFrame:
			f := Frame{Frame: b.frames[ev.fi], Conn: c, Dir: ev.dir}
			f.Data = b.data[ev.d0:ev.d1:ev.d1]
			if ev.d2 > ev.d1 {
				f.Datagram = b.data[ev.d1:ev.d2:ev.d2]
			}
			f.Headers = b.hdrs[ev.t0:ev.t1:ev.t1]
			if ev.hasRec {
				f.Record = &ev.rec
			}
			for _, s := range e.frames {
				if err := s.Frame(&f); err != nil {
					e.fail(err)
					return
				}
			}
		case evFinished:
			for _, s := range e.sinks {
				if err := s.Finished(c); err != nil {
					e.fail(err)
					return
				}
			}
			// Every sink has read the records: their blocks can be reused.
			c.Data.Records.Release()
			if e.recycle {
				c.Data.Delivered() // the tracker may reuse it (tracker.remember)
			}
		case evTick:
			for _, s := range e.flushers {
				if err := s.Flush(); err != nil {
					e.fail(err)
					return
				}
			}
		}
	}
}

func (e *emitter) fail(err error) {
	e.err = err
	e.stop.Store(true)
}
