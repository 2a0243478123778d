package pipeline

import (
	"errors"
	"io"
	"sync"

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
	// read is finished and reported, and Summary.Interrupted is set.
	Stop <-chan struct{}
}

// Defaults. DefaultLinger is Linux's TIME_WAIT: a segment later than that on
// the same 4-tuple belongs to a new incarnation for the stacks, while
// Wireshark still counts it in the old tcp.stream, which a continuation does.
// DefaultMaxConns keeps the tracked connections' state to about 250 MB.
const (
	DefaultLinger       = 60e9
	DefaultMaxConns     = 100_000
	DefaultRecordMemory = 16 << 20
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
	arena []byte // copies of the payloads, when reassembling
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
	free := make(chan *batch, 6)
	for i := 0; i < cap(free); i++ {
		b := &batch{segs: make([]capture.Segment, 0, batchSize)}
		if copyPayload {
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
				t.feed(&b.segs[j])
			}
			b.segs, b.arena = b.segs[:0], b.arena[:0]
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
		if opts.Stop != nil && len(cur.segs)&255 == 0 {
			select {
			case <-opts.Stop:
				sum.Interrupted = true
			default:
			}
			if sum.Interrupted {
				break
			}
		}
		if !nextSegment(r, &seg, sum) {
			break
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

	sum.Inputs, sum.Stats = r.Inputs, r.Stats
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

// nextSegment reads the next segment into seg and reports whether there is
// one. A faulty input is recorded in sum.Errors and reading goes on with the
// next input; any other error ends the run.
func nextSegment(r *capture.Reader, seg *capture.Segment, sum *Summary) bool {
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
			sum.Errors = append(sum.Errors, err)
			return false
		}
		sum.Errors = append(sum.Errors, re)
	}
}
