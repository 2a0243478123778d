package flow

import (
	"crypto/sha256"
	"hash"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/reassembly"

	"github.com/tcpflow/tcpflow/capture"
)

// Stream reassembly: the bytes each side sent, in order, with every gap and
// differing overlap accounted for. gopacket/reassembly does the ordering, the
// buffering behind gaps and the trimming of retransmitted bytes; this file adds
// what it lacks for a post-mortem: stream offsets, gap records, a check that
// retransmitted bytes equal what was already delivered, hashes, and the
// recognition of the application protocol.
//
// Each connection gets its own Assembler and StreamPool. That costs a few
// hundred bytes per connection but lets a finished connection be flushed on
// its own (the Assembler only flushes by age across all of its connections),
// and keeps a reused 4-tuple, which flow.Table has already split into two
// connections, from mixing in one gopacket connection.

// StreamSink receives reassembled bytes as they are delivered: data of
// direction d of connection id at stream offset off (bytes since the first
// byte of the stream), from frame. b is only valid during the call.
type StreamSink interface {
	Data(id int, d Dir, off int64, b []byte, frame uint64, t int64)
	// Gap says n bytes at offset off were never captured; frame is the one
	// whose data follows the gap (0 at the end of the stream).
	Gap(id int, d Dir, off, n int64, frame uint64)
}

// Gap is a range of a stream the capture never showed.
type Gap struct {
	Offset int64  // stream offset of the first missing byte
	Size   int64  // missing bytes
	Frame  uint64 // the frame whose data came after the gap (0: at the end)
}

// Overlap is a retransmission whose bytes differ from those already delivered
// for the same stream offsets: a receiver keeps one version and an observer
// cannot know which (a classic IDS evasion, or a broken middlebox).
type Overlap struct {
	Offset    int64  // stream offset of the first differing byte
	Size      int    // bytes in the overlapping range
	Frame     uint64 // the segment that brought the different bytes
	FirstSeen uint64 // the frame whose bytes were delivered
}

// StreamFacts describes one direction's reassembled stream.
type StreamFacts struct {
	Bytes        int64 // bytes delivered, gaps excluded
	Gaps         []Gap
	GapBytes     int64
	Overlaps     []Overlap // differing overlaps (at most maxOverlaps kept)
	OverlapCount int       // differing overlaps in all
	// Retransmitted counts payload bytes that arrived again for offsets
	// already delivered (equal or not).
	Retransmitted int64
	SHA256        [32]byte // of the delivered bytes, set when the stream is closed
	// Proto is the application protocol recognized at the start of the
	// stream, in words ("HTTP request: GET / HTTP/1.1"); ProtoFrame its frame.
	Proto      string
	ProtoFrame uint64
}

const (
	maxGaps     = 1000
	maxOverlaps = 100
	// tailKeep is how many recently delivered bytes each direction keeps to
	// compare retransmissions with.
	tailKeep = 64 << 10
	// headKeep is how many bytes from the start of a stream are kept to
	// recognize its protocol.
	headKeep = 4 << 10
)

// StreamOptions bound the reassembly's memory.
type StreamOptions struct {
	// MaxPages caps the pages (about 1.9 KB each) buffered behind a gap per
	// connection; beyond it the oldest data is delivered and the gap recorded.
	MaxPages int
	// Idle is how long queued data may wait for a missing segment, in capture
	// time, before it is delivered with the gap recorded.
	Idle time.Duration
}

// DefaultStreamOptions: 2 MB behind a gap per connection, 30 s of waiting.
var DefaultStreamOptions = StreamOptions{MaxPages: 1024, Idle: 30 * time.Second}

// Streams reassembles both directions of one connection.
type Streams struct {
	ID    int
	Facts [2]StreamFacts
	sink  StreamSink
	opts  StreamOptions
	asm   *reassembly.Assembler
	half  [2]halfStream
	first Dir // direction of the first segment fed (gopacket's "client to server")
	tcp   layers.TCP
	ctx   streamContext
	// LastTime is the capture time of the last segment fed.
	LastTime int64
	closed   bool
}

// halfStream is the state of one direction.
type halfStream struct {
	offset  int64 // stream offset of the next byte to deliver
	base    reassembly.Sequence
	started bool
	sum     hash.Hash
	tail    []byte // the last delivered bytes, up to tailKeep, ending at offset
	tailFr  []frameMark
	head    []byte // the first bytes of the stream, for protocol recognition
	headFr  uint64
	recog   bool   // recognition done
	ackMax  uint32 // highest ACK the peer sent for this direction
	ackSet  bool
	cutNext bool                // a snap-length-cut segment left a hole: deliver past it
	fin     bool                // a FIN was seen
	maxEnd  reassembly.Sequence // one past the highest payload byte seen
	endSet  bool
}

// Pending reports whether data waits behind a gap in either direction:
// payload was seen beyond what has been delivered.
func (s *Streams) Pending() bool {
	for d := range s.half {
		h := &s.half[d]
		if h.started && h.endSet && h.base.Add(int(h.offset)).Difference(h.maxEnd) > 0 {
			return true
		}
	}
	return false
}

// frameMark says which frame delivered the bytes from a tail offset on.
type frameMark struct {
	off   int64
	frame uint64
}

// streamContext carries a segment's capture info and frame through gopacket.
type streamContext struct {
	ci    gopacket.CaptureInfo
	frame uint64
}

func (c *streamContext) GetCaptureInfo() gopacket.CaptureInfo { return c.ci }

// Endpoints standing for the two sides: the Assembler keys connections by
// (network flow, transport flow), and each Streams has its own Assembler, so
// two fixed endpoints suffice, also when both sides share an address.
var (
	sideA = gopacket.NewFlow(layers.EndpointIPv4, []byte{0, 0, 0, 1}, []byte{0, 0, 0, 2})
	sideB = sideA.Reverse()
)

// NewStreams prepares the reassembly of connection id; sink may be nil.
func NewStreams(id int, sink StreamSink, opts StreamOptions) *Streams {
	s := &Streams{ID: id, sink: sink, opts: opts}
	pool := reassembly.NewStreamPool(streamFactory{s})
	s.asm = reassembly.NewAssembler(pool)
	s.asm.MaxBufferedPagesPerConnection = opts.MaxPages
	for d := range s.half {
		s.half[d].sum = sha256.New()
	}
	return s
}

type streamFactory struct{ s *Streams }

func (f streamFactory) New(_, _ gopacket.Flow, _ *layers.TCP, _ reassembly.AssemblerContext) reassembly.Stream {
	return (*gopacketStream)(f.s)
}

// gopacketStream is Streams seen as a reassembly.Stream.
type gopacketStream Streams

// Feed gives the reassembly one segment travelling in direction d.
func (s *Streams) Feed(seg *capture.Segment, d Dir) {
	if s.closed {
		return
	}
	if !s.half[0].started && !s.half[1].started && s.LastTime == 0 {
		s.first = d
	}
	s.LastTime = seg.Time
	if seg.Flags&capture.ACK != 0 {
		h := &s.half[d^1]
		if !h.ackSet || int32(seg.Ack-h.ackMax) > 0 {
			h.ackMax, h.ackSet = seg.Ack, true
		}
	}
	if seg.Flags&capture.FIN != 0 {
		s.half[d].fin = true
	}
	t := &s.tcp
	*t = layers.TCP{
		Seq: seg.Seq, Ack: seg.Ack, Window: seg.Window, Urgent: seg.Urgent,
		FIN: seg.Flags&capture.FIN != 0, SYN: seg.Flags&capture.SYN != 0, RST: seg.Flags&capture.RST != 0,
		PSH: seg.Flags&capture.PSH != 0, ACK: seg.Flags&capture.ACK != 0, URG: seg.Flags&capture.URG != 0,
	}
	t.Payload = seg.Payload
	s.ctx = streamContext{ci: gopacket.CaptureInfo{Timestamp: time.Unix(0, seg.Time)}, frame: seg.Frame}
	// gopacket's CaptureInfo has no frame number; InterfaceIndex carries it
	// into ReassembledSG, where CaptureInfo(offset) names the delivering packet.
	s.ctx.ci.InterfaceIndex = int(seg.Frame)
	net := sideA
	if d != s.first {
		net = sideB
	}
	s.asm.AssembleWithContext(net, t, &s.ctx)
	h := &s.half[d]
	if h.cutNext && len(seg.Payload) > 0 {
		// The previous segment was cut by the snap length: its missing bytes
		// will never come, so deliver what waits behind them now.
		h.cutNext = false
		s.flush(time.Unix(0, seg.Time+1), time.Time{})
	}
	if seg.Truncated {
		h.cutNext = true
	}
}

// FlushIdle delivers data that has waited behind a gap for longer than the
// idle time, recording the gaps; now is the capture time.
func (s *Streams) FlushIdle(now int64) {
	if !s.closed && s.Pending() {
		s.flush(time.Unix(0, now).Add(-s.opts.Idle), time.Time{})
	}
}

func (s *Streams) flush(t, tc time.Time) {
	s.asm.FlushWithOptions(reassembly.FlushOptions{T: t, TC: tc})
}

// Close delivers everything still buffered, records the gaps the capture
// shows at the end of each stream (data the peer acknowledged but the capture
// never showed), and sets the hashes.
func (s *Streams) Close() {
	if s.closed {
		return
	}
	s.asm.FlushAll()
	s.asm, s.closed = nil, true
	for d := range s.half {
		h, f := &s.half[d], &s.Facts[d]
		if h.started && h.ackSet {
			end := h.base.Add(int(h.offset))
			missing := end.Difference(reassembly.Sequence(h.ackMax))
			if h.fin {
				missing-- // the FIN's own sequence number
			}
			if missing > 0 {
				// The peer acknowledged bytes that were never delivered.
				s.gap(Dir(d), int64(missing), 0)
			}
		}
		if !h.recog {
			s.recognize(Dir(d))
		}
		copy(f.SHA256[:], h.sum.Sum(nil))
		h.tail, h.tailFr, h.head = nil, nil, nil
	}
}

func (s *Streams) gap(d Dir, n int64, frame uint64) {
	h, f := &s.half[d], &s.Facts[d]
	if len(f.Gaps) < maxGaps {
		f.Gaps = append(f.Gaps, Gap{Offset: h.offset, Size: n, Frame: frame})
	}
	f.GapBytes += n
	if s.sink != nil {
		s.sink.Gap(s.ID, d, h.offset, n, frame)
	}
	h.offset += n
	h.tail, h.tailFr = h.tail[:0], h.tailFr[:0]
	if !h.recog && h.offset > int64(len(h.head)) {
		s.recognize(d) // what came before the gap is all there is to go on
	}
}

// dir maps gopacket's direction (relative to the first segment) to ours.
func (g *gopacketStream) dir(dir reassembly.TCPFlowDirection) Dir {
	if dir == reassembly.TCPDirClientToServer {
		return g.first
	}
	return g.first ^ 1
}

// Accept sees every segment before gopacket reassembles it: it starts
// streams that were joined mid-stream, and compares retransmitted bytes with
// those already delivered.
func (g *gopacketStream) Accept(tcp *layers.TCP, _ gopacket.CaptureInfo, dir reassembly.TCPFlowDirection, nextSeq reassembly.Sequence, start *bool, ac reassembly.AssemblerContext) bool {
	s := (*Streams)(g)
	d := g.dir(dir)
	h := &s.half[d]
	seq := reassembly.Sequence(tcp.Seq)
	if !h.started && nextSeq < 0 {
		switch {
		case tcp.SYN:
			h.started, h.base = true, seq.Add(1)
		case len(tcp.Payload) > 0:
			// Joined mid-stream: start at the first data seen. A bare ACK
			// does not start a stream: it may be a stray from an earlier
			// session on these ports, before a SYN that starts this one.
			h.started, h.base = true, seq
			*start = true
		}
	}
	if n := len(tcp.Payload); n > 0 && h.started {
		if end := seq.Add(n); !h.endSet || h.maxEnd.Difference(end) > 0 {
			h.maxEnd, h.endSet = end, true
		}
		if before := seq.Difference(nextSeq); nextSeq >= 0 && before > 0 {
			s.compare(d, seq, tcp.Payload[:min(n, before)], ac.(*streamContext).frame)
		}
	}
	return true
}

// compare checks bytes retransmitted for offsets already delivered.
func (s *Streams) compare(d Dir, seq reassembly.Sequence, b []byte, frame uint64) {
	h, f := &s.half[d], &s.Facts[d]
	f.Retransmitted += int64(len(b))
	off := int64(h.base.Difference(seq))
	tailStart := h.offset - int64(len(h.tail))
	for i := 0; i < len(b); i++ {
		o := off + int64(i)
		if o < tailStart || o >= h.offset {
			continue
		}
		if h.tail[o-tailStart] != b[i] {
			f.OverlapCount++
			if len(f.Overlaps) < maxOverlaps {
				f.Overlaps = append(f.Overlaps, Overlap{Offset: o, Size: len(b) - i, Frame: frame, FirstSeen: h.frameAt(o)})
			}
			return
		}
	}
}

func (h *halfStream) frameAt(off int64) uint64 {
	var fr uint64
	for _, m := range h.tailFr {
		if m.off > off {
			break
		}
		fr = m.frame
	}
	return fr
}

// ReassembledSG receives bytes in stream order, after gopacket has skipped
// what never arrived.
func (g *gopacketStream) ReassembledSG(sg reassembly.ScatterGather, _ reassembly.AssemblerContext) {
	s := (*Streams)(g)
	dir, _, _, skip := sg.Info()
	d := g.dir(dir)
	avail, _ := sg.Lengths()
	if avail == 0 && skip <= 0 {
		return
	}
	frame := uint64(sg.CaptureInfo(0).InterfaceIndex)
	// gopacket reports skip -1 when a stream starts without its beginning
	// (joined mid-stream): nothing is known to be missing then.
	if skip > 0 {
		s.gap(d, int64(skip), frame)
	}
	if avail == 0 {
		return
	}
	b := sg.Fetch(avail)
	s.deliver(d, b, frame, sg.CaptureInfo(0).Timestamp.UnixNano())
}

func (s *Streams) deliver(d Dir, b []byte, frame uint64, t int64) {
	h, f := &s.half[d], &s.Facts[d]
	if s.sink != nil {
		s.sink.Data(s.ID, d, h.offset, b, frame, t)
	}
	h.sum.Write(b)
	if !h.recog && int64(len(h.head)) == h.offset && len(h.head) < headKeep {
		if len(h.head) == 0 {
			h.headFr = frame
		}
		h.head = append(h.head, b[:min(len(b), headKeep-len(h.head))]...)
		if p, decided := Recognize(h.head); decided || len(h.head) >= headKeep {
			h.recog = true
			f.Proto, f.ProtoFrame = p, h.headFr
			if p == "" {
				f.ProtoFrame = 0
			}
		}
	}
	// Keep the tail for comparing retransmissions.
	h.tailFr = append(h.tailFr, frameMark{h.offset, frame})
	h.tail = append(h.tail, b...)
	if extra := len(h.tail) - tailKeep; extra > 0 {
		h.tail = h.tail[:copy(h.tail, h.tail[extra:])]
		start := h.offset + int64(len(b)) - int64(len(h.tail))
		i := 0
		for i+1 < len(h.tailFr) && h.tailFr[i+1].off <= start {
			i++
		}
		h.tailFr = h.tailFr[:copy(h.tailFr, h.tailFr[i:])]
	}
	h.offset += int64(len(b))
	f.Bytes += int64(len(b))
}

// ReassemblyComplete is called when both directions ended (FIN or RST) or at
// a flush; keeping the connection lets late segments still be compared.
func (g *gopacketStream) ReassemblyComplete(reassembly.AssemblerContext) bool {
	return false
}

func (s *Streams) recognize(d Dir) {
	h := &s.half[d]
	h.recog = true
	if len(h.head) == 0 {
		return
	}
	if p, _ := Recognize(h.head); p != "" {
		s.Facts[d].Proto, s.Facts[d].ProtoFrame = p, h.headFr
	}
}
