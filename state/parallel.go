package state

import (
	"runtime"
	"slices"
	"sync"

	"github.com/tcpflow/tcpflow/capture"
)

// A parallel run reads and decodes in the calling goroutine and analyzes in
// worker goroutines, handing segments over in batches that are recycled, so
// the steady state allocates nothing. With one worker the analysis sees the
// segments in the same order as a sequential run, on one tracker, so
// everything (ids, callbacks, sinks) is as in a sequential run. With several,
// connections are sharded by a hash of their 4-tuple, each worker numbers its
// own, and the ids are renumbered by first frame at the end, which is how
// Wireshark numbers tcp.stream: the result is again identical. Several workers
// are used only when nothing needs final ids during the run (no Select, Done or
// stream sink).

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

// workers is how many analysis goroutines a run uses; 0 means sequential.
func workers(opts Options) int {
	n := opts.Workers
	switch {
	case n < 0:
		return 0
	case n == 0:
		n = runtime.GOMAXPROCS(0) - 1
		if n < 1 {
			return 0
		}
	}
	return n
}

func runParallel(r *capture.Reader, opts Options, sel Select, n int) *Result {
	if sel != nil || opts.Done != nil || opts.Segment != nil || (opts.Reassemble != nil && opts.Reassemble.Sink != nil) {
		n = 1
	}
	copyPayload := opts.Reassemble != nil
	free := make(chan *batch, 4*n+4)
	for i := 0; i < cap(free); i++ {
		b := &batch{segs: make([]capture.Segment, 0, batchSize)}
		if copyPayload {
			b.arena = make([]byte, 0, arenaSize+64<<10)
		}
		free <- b
	}
	in := make([]chan *batch, n)
	trackers := make([]*tracker, n)
	var wg sync.WaitGroup
	for i := range in {
		in[i] = make(chan *batch, 2)
		trackers[i] = newTracker(opts, sel)
		wg.Add(1)
		go func(t *tracker, ch <-chan *batch) {
			defer wg.Done()
			for b := range ch {
				for j := range b.segs {
					t.feed(&b.segs[j])
				}
				b.segs, b.arena = b.segs[:0], b.arena[:0]
				free <- b
			}
		}(trackers[i], in[i])
	}

	res := &Result{}
	cur := make([]*batch, n)
	for i := range cur {
		cur[i] = <-free
	}
	var seg capture.Segment
	for nextSegment(r, &seg, res) {
		s := 0
		if n > 1 {
			s = int(shardOf(&seg) % uint32(n))
		}
		b := cur[s]
		b.segs = append(b.segs, seg)
		last := &b.segs[len(b.segs)-1]
		if copyPayload {
			// The reader reuses its buffer: keep a copy. The arena may grow
			// and move; earlier segments' Payload slices keep their old,
			// still valid, backing arrays.
			start := len(b.arena)
			b.arena = append(b.arena, seg.Payload...)
			last.Payload = b.arena[start:len(b.arena):len(b.arena)]
		} else {
			last.Payload = nil
		}
		if len(b.segs) == batchSize || len(b.arena) >= arenaSize {
			in[s] <- b
			cur[s] = <-free
		}
	}
	for i, b := range cur {
		in[i] <- b
		close(in[i])
	}
	wg.Wait()

	var conns []*Connection
	for _, t := range trackers {
		conns = append(conns, t.end()...)
	}
	if n > 1 {
		slices.SortFunc(conns, func(a, b *Connection) int {
			switch {
			case a.FirstFrame < b.FirstFrame:
				return -1
			case a.FirstFrame > b.FirstFrame:
				return 1
			}
			return 0
		})
		for i, c := range conns {
			c.ID = i
			if c.Data.Streams != nil {
				c.Data.Streams.ID = i
			}
		}
	}
	res.Inputs, res.Stats, res.Conns = r.Inputs, r.Stats, conns
	return res
}

// shardOf hashes a segment's 4-tuple, the same both ways, so that both
// directions of a connection (and every connection on the 4-tuple) go to the
// same worker.
func shardOf(seg *capture.Segment) uint32 {
	h := func(b []byte, port uint16) uint32 {
		x := uint32(2166136261)
		for _, c := range b {
			x = (x ^ uint32(c)) * 16777619
		}
		return (x ^ uint32(port)) * 16777619
	}
	s, d := seg.Src.Addr().As16(), seg.Dst.Addr().As16()
	return h(s[:], seg.Src.Port()) ^ h(d[:], seg.Dst.Port())
}
