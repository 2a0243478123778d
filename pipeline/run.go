package pipeline

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/internal/spool"
	"github.com/tcpflow/tcpflow/state"
	"github.com/tcpflow/tcpflow/stream"
)

// Options configure a run.
type Options struct {
	// Select decides which connections are analyzed and reported; it sees
	// each connection when its first segment arrives (id, endpoints). nil
	// selects all. The others are only numbered.
	Select func(c *Connection) bool
	// Reassemble reassembles the byte streams of selected connections
	// (stream facts in the reports); a ByteSink implies it.
	Reassemble bool
	// Stream bounds the reassembly's buffers; the zero value means
	// stream.DefaultOptions.
	Stream stream.Options
	// Linger is how long a closed connection is kept for late segments (a
	// retransmitted FIN, the last ACK) before it is finished, in ns of
	// capture time; 0 means DefaultLinger.
	Linger int64
	// MaxConns caps the connections tracked at once; 0 means
	// DefaultMaxConns, negative means no cap. When a new connection would
	// exceed it, the least valuable eighth of the tracked ones is finished
	// early, counted as evicted: closed ones first, then half-open or
	// one-sided ones, then the rest, each kind longest idle first.
	MaxConns int
	// MaxForgotten caps the finished connections remembered for numbering
	// later segments (flow.Table.MaxForgotten).
	MaxForgotten int
	// RecordMemory is how many bytes of segment records may stay in memory
	// before they spill to a temporary file (when a RecordSink keeps them);
	// 0 means DefaultRecordMemory.
	RecordMemory int64
	// TempDir is where spill files go ("" for the system's).
	TempDir string
	// Stop, when closed, ends the run as if the input had ended: what was
	// read is finished and reported, and Summary.Interrupted is set. It is
	// looked at every 256 segments and at every tick of a live capture,
	// which then reads the frames it captured until then (capture.Reader
	// Halt).
	Stop <-chan struct{}
	// Frames selects by number the frames FrameSinks receive; nil selects
	// all. It is called on the reading goroutine.
	Frames func(frame uint64) bool
	// Progress, when set, is kept up to date for a display on another
	// goroutine, at every tick of a live capture.
	Progress *Progress
}

// Progress is what a run has done so far, for a status line.
type Progress struct {
	Open atomic.Int64 // connections tracked that have not closed on the wire
}

// Defaults. DefaultLinger is Linux's TIME_WAIT: a segment later than that on
// the same 4-tuple belongs to a new incarnation for the stacks, while
// Wireshark still counts it in the old tcp.stream, which a continuation does.
// DefaultMaxConns keeps a run under about 500 MB even when every tracked
// connection is a half-open one of a SYN flood (docs/PERFORMANCE.md).
const (
	DefaultLinger       = 60e9
	DefaultMaxConns     = 50_000
	DefaultRecordMemory = 4 << 20
)

// A batch holds up to batchSize segments, or arenaSize bytes of payload
// copies when reassembling, whichever fills first, so memory stays bounded
// with large segments too.
const (
	batchSize = 2048
	arenaSize = 512 << 10
)

type batch struct {
	segs  []capture.Segment
	arena []byte // copies of the payloads, when reassembling, and of the frames FrameSinks want
	// frames parallels segs when a FrameSink wants frames: each segment's
	// frame, and the frames that are no segment (then segs holds only the
	// frame's number, file and time).
	frames []frameCopy
	// tick, when not 0, is the time of a live capture's tick after the
	// segments: every frame until then has been read.
	tick int64
}

// frameCopy is a frame in a batch: its bytes in the batch's arena when a
// FrameSink wants it (keep).
type frameCopy struct {
	capture.Frame
	keep bool
}

// Run reads every segment of r, tracks every connection, hands the results to
// the sinks and returns the run's totals. The totals are complete even when
// inputs are faulty: the faults are listed in Summary.Errors and every frame
// before them is analyzed. The error is the first a sink returned; when a
// sink fails, reading stops (a closed output pipe ends the run quietly).
func Run(r *capture.Reader, opts Options, sinks ...Sink) (*Summary, error) {
	if opts.Linger <= 0 {
		opts.Linger = DefaultLinger
	}
	if opts.MaxConns == 0 {
		opts.MaxConns = DefaultMaxConns
	}
	if opts.RecordMemory == 0 {
		opts.RecordMemory = DefaultRecordMemory
	}
	if opts.Stream == (stream.Options{}) {
		opts.Stream = stream.DefaultOptions
	}
	out := newEmitter(sinks)
	if out.bytes != nil {
		opts.Reassemble = true
	}
	// Records spill in blocks that are freed once their connection is
	// reported (emitter.run), so the store holds what is open.
	var records *spool.Blocks
	if out.records {
		records = spool.NewBlocks(opts.TempDir, state.RecordBlockBytes, opts.RecordMemory)
		defer records.Close()
	}
	t := newTracker(&opts, out, records)
	sum := &Summary{}

	copyPayload := opts.Reassemble
	frames := len(out.frames) > 0
	r.AllFrames = r.AllFrames || frames
	free := make(chan *batch, 6)
	for i := 0; i < cap(free); i++ {
		b := &batch{segs: make([]capture.Segment, 0, batchSize)}
		if copyPayload || frames {
			b.arena = make([]byte, 0, arenaSize+64<<10)
		}
		free <- b
	}
	in := make(chan *batch, 2)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for b := range in {
			for j := range b.segs {
				var fr *frameCopy
				if frames {
					fr = &b.frames[j]
				}
				t.feed(&b.segs[j], fr)
			}
			if b.tick != 0 {
				t.tick(b.tick)
			}
			b.segs, b.arena, b.frames, b.tick = b.segs[:0], b.arena[:0], b.frames[:0], 0
			free <- b
		}
		t.end()
	}()
	go func() {
		defer wg.Done()
		out.deliver()
	}()

	cur := <-free
	var seg capture.Segment
	for !out.failed() {
		if opts.Stop != nil && !sum.Interrupted && len(cur.segs)&255 == 0 {
			select {
			case <-opts.Stop:
				// Stop reading: a file at once, a live capture once it
				// has read what it captured until now.
				sum.Interrupted = true
				r.Halt()
			default:
			}
		}
		got := nextSegment(r, &seg, sum, opts.Stop)
		if got == tick {
			// A live capture has nothing new for now: hand on what was
			// read, so that connections that closed a while ago finish
			// and the sinks write, then see whether to stop.
			cur.tick = r.Now()
			in <- cur
			cur = <-free
			continue
		}
		if got == end {
			break
		}
		if frames && !keepFrame(r.Frame(), cur, &opts) {
			continue
		}
		cur.segs = append(cur.segs, seg)
		last := &cur.segs[len(cur.segs)-1]
		if copyPayload {
			// The reader reuses its buffer: keep a copy. The arena may grow
			// and move; earlier segments' Payload slices keep their old,
			// still valid, backing arrays.
			start := len(cur.arena)
			cur.arena = append(cur.arena, seg.Payload...)
			last.Payload = cur.arena[start:len(cur.arena):len(cur.arena)]
		} else {
			last.Payload = nil
		}
		if len(cur.segs) == batchSize || len(cur.arena) >= arenaSize {
			in <- cur
			cur = <-free
		}
	}
	in <- cur
	close(in)
	wg.Wait()

	if err := r.Stop(); err != nil {
		sum.Errors = append(sum.Errors, err)
	}
	sum.Inputs, sum.Stats = r.Inputs, r.Stats
	if r.Filter != nil {
		sum.Filter = r.Filter.String()
	}
	t.totals(sum)
	err := out.err
	for _, s := range sinks {
		if e := s.End(sum); e != nil && err == nil {
			err = e
		}
	}
	if records != nil {
		if e := records.Close(); e != nil && err == nil {
			err = e
		}
	}
	return sum, err
}

// keepFrame adds the frame just read to the batch's frames, its bytes
// copied when a FrameSink wants it, and reports whether the batch takes
// it: a frame that is no segment is dropped unless a FrameSink wants it.
func keepFrame(f *capture.Frame, b *batch, opts *Options) bool {
	want := opts.Frames == nil || opts.Frames(f.Number)
	if !f.Segment && (!want || opts.Select != nil) {
		return false
	}
	n := len(b.frames)
	if n < cap(b.frames) {
		b.frames = b.frames[:n+1]
	} else {
		b.frames = append(b.frames, frameCopy{})
	}
	fc := &b.frames[n]
	fc.keep = want
	if want {
		f.Clone(&fc.Frame, &b.arena)
	} else {
		fc.Frame = capture.Frame{Headers: fc.Headers[:0], Segment: f.Segment}
	}
	return true
}

// What nextSegment got.
const (
	segment = iota
	tick    // a live capture's tick (capture.ErrTick)
	end
)

// nextSegment reads the next segment into seg. A faulty input is recorded in
// sum.Errors and reading goes on with the next input; any other error ends
// the run. An error after stop was closed is the stop itself (a read blocked
// on a quiet pipe, made to return): it ends the run as an interruption, not
// as a fault of the input.
func nextSegment(r *capture.Reader, seg *capture.Segment, sum *Summary, stop <-chan struct{}) int {
	for {
		err := r.Next(seg)
		switch {
		case err == nil:
			return segment
		case err == capture.ErrTick:
			return tick
		case err == io.EOF:
			return end
		case stopped(stop):
			sum.Interrupted = true
			if n := len(r.Inputs); n > 0 {
				r.Inputs[n-1].Err = nil
			}
			return end
		}
		var re *capture.ReadError
		if !errors.As(err, &re) {
			sum.Errors = append(sum.Errors, err)
			return end
		}
		sum.Errors = append(sum.Errors, re)
	}
}

// stopped reports whether stop is closed.
func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}
