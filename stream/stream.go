package stream

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"sync"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/reassembly"

	"github.com/tcpflow/tcpflow/appproto"
	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
)

// Stream reassembly: the bytes each side sent, in order, with every gap and
// differing overlap accounted for. gopacket/reassembly does the ordering, the
// buffering behind gaps and the trimming of retransmitted bytes; this file adds
// what it lacks for a post-mortem: stream offsets, gap records, a check that
// retransmitted bytes equal what was already delivered, hashes, and the
// recognition of the application protocol.
//
// One Reassembler (a gopacket Assembler and StreamPool) serves a whole run.
// Its connections are keyed by our connection id, not by the 4-tuple, so a
// reused 4-tuple, which flow.Table has already split into two connections,
// never mixes two sessions in one gopacket connection. gopacket flushes only
// by age across all connections; Streams.Close finishes one connection on its
// own by flushing what is older than its own oldest waiting data (anything
// that old elsewhere is overdue anyway) and then ending both halves with a
// RST at the next expected sequence number, so gopacket forgets it.

// Sink receives reassembled bytes as they are delivered: data of
// direction d of connection id at stream offset off (bytes since the first
// byte of the stream), from frame. b is only valid during the call.
type Sink interface {
	Data(id int, d flow.Dir, off int64, b []byte, frame uint64, t int64)
	// Gap says n bytes at offset off are missing from the stream, for the
	// reason kind says; frame is the one whose data follows the gap (0 at
	// the end of the stream).
	Gap(id int, d flow.Dir, off, n int64, frame uint64, kind GapKind)
}

// GapKind says why bytes are missing from a reassembled stream.
type GapKind uint8

// Kinds of gaps.
const (
	// NotCaptured: the capture never showed the bytes in time (lost before
	// the capture point, dropped by the capture, cut by the snap length,
	// or not come within Options.Idle).
	NotCaptured GapKind = iota
	// BufferLimit: the bytes had not come yet when the data waiting behind
	// them filled the reassembly buffer (Options.MaxBytes or
	// MaxBytesTotal), so the reassembly went on without them. They may be
	// in the capture, later (a retransmission): they were not reassembled,
	// which says nothing of the capture.
	BufferLimit
)

// String is the kind's name in JSON: "not_captured" or "buffer_limit".
func (k GapKind) String() string {
	if k == BufferLimit {
		return "buffer_limit"
	}
	return "not_captured"
}

// Gap is a range of a stream missing from the reassembly.
type Gap struct {
	Offset int64  // stream offset of the first missing byte
	Size   int64  // missing bytes
	Frame  uint64 // the frame whose data came after the gap (0: at the end)
	Kind   GapKind
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

// Facts describes one direction's reassembled stream.
type Facts struct {
	Bytes int64 // bytes delivered, gaps excluded
	Gaps  []Gap
	// GapBytes are the bytes the capture did not show (NotCaptured gaps);
	// LimitBytes those skipped at the buffer limit (BufferLimit gaps).
	GapBytes, LimitBytes int64
	Overlaps             []Overlap // differing overlaps (at most maxOverlaps kept)
	OverlapCount         int       // differing overlaps in all
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
	// compare retransmissions with (a ring, from a pool).
	tailKeep = 16 << 10
	// marksKeep is how many recent deliveries keep their frame number.
	marksKeep = 64
	// headKeep is how many bytes from the start of a stream are kept to
	// recognize its protocol.
	headKeep = appproto.Enough
)

// Options bound the reassembly's memory.
type Options struct {
	// MaxBytes caps the bytes buffered behind a gap per connection, and
	// MaxBytesTotal over all connections; beyond them the oldest data is
	// delivered and the gap recorded. gopacket counts in pages of about
	// 1.9 KB.
	MaxBytes, MaxBytesTotal int64
	// Idle is how long queued data may wait for a missing segment, in capture
	// time, before it is delivered with the gap recorded.
	Idle time.Duration
}

// DefaultOptions: 32 MB behind a gap per connection (more than a Linux
// receive window holds, so a bulk transfer over a lossy path reassembles
// completely, as in tshark), 256 MB in all, 30 s of waiting.
var DefaultOptions = Options{MaxBytes: 32 << 20, MaxBytesTotal: 256 << 20, Idle: 30 * time.Second}

// pageBytes is the size of gopacket's reassembly pages.
const pageBytes = 1900

// Reassembler reassembles the streams of many connections.
type Reassembler struct {
	asm  *reassembly.Assembler
	opts Options
	sink Sink
	cur  *Streams // the Streams being fed, for the factory
	tcp  layers.TCP
	ctx  streamContext
	// feeding is set while a segment is assembled: gopacket then skips
	// over a gap only because its buffer limits were hit (its handleBytes),
	// while a flush skips gaps whose data did not come in time.
	feeding bool
}

// NewReassembler returns a Reassembler that hands bytes to sink (may be nil).
func NewReassembler(sink Sink, opts Options) *Reassembler {
	r := &Reassembler{opts: opts, sink: sink}
	r.asm = reassembly.NewAssembler(reassembly.NewStreamPool(streamFactory{r}))
	r.asm.MaxBufferedPagesPerConnection = int(max(opts.MaxBytes/pageBytes, 1))
	r.asm.MaxBufferedPagesTotal = int(max(opts.MaxBytesTotal/pageBytes, 1))
	return r
}

// FlushIdle delivers data that has waited behind a gap for longer than the
// idle time, recording the gaps; now is the capture time.
func (r *Reassembler) FlushIdle(now int64) {
	r.asm.FlushWithOptions(reassembly.FlushOptions{T: time.Unix(0, now).Add(-r.opts.Idle)})
}

// FlushAll delivers everything still waiting, at the end of the input.
func (r *Reassembler) FlushAll() { r.asm.FlushAll() }

type streamFactory struct{ r *Reassembler }

func (f streamFactory) New(_, _ gopacket.Flow, _ *layers.TCP, _ reassembly.AssemblerContext) reassembly.Stream {
	return (*gopacketStream)(f.r.cur)
}

// Streams reassembles both directions of one connection.
type Streams struct {
	ID    int
	Facts [2]Facts
	r     *Reassembler
	half  [2]halfStream
	first flow.Dir // direction of the first segment gopacket saw (its "client to server")
	seen  bool     // gopacket saw a segment: first is set
	key   [2]gopacket.Flow
	// LastTime is the capture time of the last segment fed.
	LastTime int64
	// waitSince is when data first waited behind a gap, since everything was
	// last delivered; waitLast the time of the last segment fed while data
	// waited (every waiting page was seen by then).
	waitSince, waitLast int64
	closing             bool // Close is ending gopacket's halves
	closed              bool
	// Until the connection carries more than bare SYNs, gopacket does not
	// see it: the SYNs are held here and handed over, in order, before the
	// first other segment. A connection that never gets further (a SYN
	// flood, a scan, a refused port: most connections of such captures)
	// then costs gopacket nothing, neither its connection and halves nor
	// the RSTs Close would feed to make it forget them.
	fed   bool
	held  [maxHeld]heldSYN
	nHeld uint8
}

// maxHeld is how many bare SYNs a connection holds before gopacket sees it
// (a SYN, its retransmissions and the SYN-ACKs).
const maxHeld = 4

// heldSYN is a bare SYN (no payload, no FIN or RST) gopacket has not seen
// yet, as it will see it.
type heldSYN struct {
	seq, ack    uint32
	window, urg uint16
	d           flow.Dir
	ackF, pshF  bool
	urgF        bool
	time        int64
	frame       uint64
}

// halfStream is the state of one direction.
type halfStream struct {
	offset  int64 // stream offset of the next byte to deliver
	base    reassembly.Sequence
	started bool
	sum     hash.Hash
	tail    *recentBytes // the last delivered bytes and their frames, from a pool
	tailLen int64        // valid bytes in the ring, ending at offset
	nMarks  int          // deliveries so far (tail.marks is a ring)
	head    []byte       // the first bytes of the stream, for protocol recognition
	headFr  uint64
	recog   bool   // recognition done
	ackMax  uint32 // highest ACK the peer sent for this direction
	ackSet  bool
	cutNext bool                // a snap-length-cut segment left a hole: deliver past it
	fin     bool                // a FIN was seen
	maxEnd  reassembly.Sequence // one past the highest payload byte seen
	endSet  bool
	// A side that sends SYNs with different ISNs before any data (a server
	// answering one SYN with two SYN-ACKs): first is the ISN gopacket
	// started the half with, cur the one the peer acknowledged last, alt
	// another one seen. Segments of this half reach gopacket moved by
	// cur-first, so that the numbering the peer took is the stream's.
	first, cur, alt uint32
	synSet, altSet  bool
}

// shift is how far this half's sequence numbers are moved before gopacket.
func (h *halfStream) shift() uint32 { return h.cur - h.first }

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

// recentBytes is what a direction keeps to compare retransmitted bytes with
// those delivered: a ring of the last bytes (offset o at o%tailKeep) and of
// the frames that delivered them. It comes from a pool while data flows and
// goes back when the connection closes (Quiesce).
type recentBytes struct {
	ring  [tailKeep]byte
	marks [marksKeep]frameMark
}

var tailPool = sync.Pool{New: func() any { return new(recentBytes) }}

// frameMark says which frame delivered the bytes from a tail offset on.
type frameMark struct {
	off   int64
	frame uint64
}

// streamContext carries a segment's capture info through gopacket.
// gopacket's CaptureInfo has no frame number; InterfaceIndex carries it into
// Accept and ReassembledSG (CaptureInfo(offset) names the delivering packet).
type streamContext struct{ ci gopacket.CaptureInfo }

func (c *streamContext) GetCaptureInfo() gopacket.CaptureInfo { return c.ci }

// NewStreams prepares the reassembly of connection id (a key unique in the
// run: gopacket's connection is keyed by it, with two endpoints standing for
// the two sides, also when both sides share an address).
func (r *Reassembler) NewStreams(id int) *Streams {
	s, _ := streamsPool.Get().(*Streams)
	if s == nil {
		s = new(Streams)
	}
	*s = Streams{ID: id, r: r}
	var a, b [8]byte
	binary.BigEndian.PutUint64(a[:], uint64(id)<<1)
	binary.BigEndian.PutUint64(b[:], uint64(id)<<1|1)
	s.key[0] = gopacket.NewFlow(layers.EndpointIPv4, a[:], b[:])
	s.key[1] = s.key[0].Reverse()
	return s // each side's hash is made with its first byte (deliver)
}

// streamsPool keeps the Streams of finished connections for new ones
// (Recycle): 800 bytes each, a sixth of what a run allocates on a SYN flood.
var streamsPool sync.Pool

// Recycle gives s back for a later NewStreams, if it is closed: Close made
// gopacket forget it (or gopacket never saw it), so nothing refers to it
// but the caller, which drops it.
func Recycle(s *Streams) {
	if s.closed {
		streamsPool.Put(s)
	}
}

// gopacketStream is Streams seen as a reassembly.Stream.
type gopacketStream Streams

// Feed gives the reassembly one segment travelling in direction d.
func (s *Streams) Feed(seg *capture.Segment, d flow.Dir) {
	if s.closed {
		return
	}
	s.LastTime = seg.Time
	if seg.Flags&capture.SYN != 0 {
		s.synISN(d, seg.Seq)
	}
	ack := seg.Ack
	if seg.Flags&capture.ACK != 0 {
		h := &s.half[d.Reverse()]
		if h.altSet && !h.endSet && (ack == h.alt+1 || ack == h.first+1) {
			// The peer takes this ISN: the half counts from it.
			if ack-1 != h.cur {
				h.alt, h.cur = h.cur, ack-1
			}
		}
		ack -= h.shift()
		if !h.ackSet || flow.Seq(h.ackMax).LessThan(flow.Seq(ack)) {
			h.ackMax, h.ackSet = ack, true
		}
	}
	if seg.Flags&capture.FIN != 0 {
		s.half[d].fin = true
	}
	if seg.Flags&capture.RST != 0 && !s.half[0].endSet && !s.half[1].endSet {
		// A RST before any data ends no stream, and a handshake may go on
		// after it (a retried SYN, a RST the client did not accept):
		// gopacket would close the half for good.
		return
	}
	r := s.r
	if !s.fed {
		if seg.Flags&(capture.SYN|capture.FIN|capture.RST) == capture.SYN && len(seg.Payload) == 0 && int(s.nHeld) < maxHeld {
			s.held[s.nHeld] = heldSYN{seq: seg.Seq - s.half[d].shift(), ack: ack, window: seg.Window, urg: seg.Urgent, d: d,
				ackF: seg.Flags&capture.ACK != 0, pshF: seg.Flags&capture.PSH != 0, urgF: seg.Flags&capture.URG != 0,
				time: seg.Time, frame: seg.Frame}
			s.nHeld++
			s.half[d].cutNext = seg.Truncated
			return
		}
		s.handOver()
	}
	t := &r.tcp
	*t = layers.TCP{
		Seq: seg.Seq - s.half[d].shift(), Ack: ack, Window: seg.Window, Urgent: seg.Urgent,
		FIN: seg.Flags&capture.FIN != 0, SYN: seg.Flags&capture.SYN != 0, RST: seg.Flags&capture.RST != 0,
		PSH: seg.Flags&capture.PSH != 0, ACK: seg.Flags&capture.ACK != 0, URG: seg.Flags&capture.URG != 0,
	}
	t.Payload = seg.Payload
	r.ctx.ci = gopacket.CaptureInfo{Timestamp: time.Unix(0, seg.Time), InterfaceIndex: int(seg.Frame)}
	r.feeding = true
	s.assemble(d, t)
	r.feeding = false
	switch pending := s.Pending(); {
	case !pending:
		s.waitSince = 0
	case s.waitSince == 0:
		s.waitSince = seg.Time
		fallthrough
	default:
		s.waitLast = seg.Time
	}
	h := &s.half[d]
	if h.cutNext && len(seg.Payload) > 0 && s.waitSince != 0 {
		// The previous segment was cut by the snap length: its missing bytes
		// will never come, so deliver what waits behind them now.
		s.flushOwn()
	}
	h.cutNext = seg.Truncated
}

// handOver gives gopacket the held SYNs, in order: the connection is about
// to carry more than SYNs.
func (s *Streams) handOver() {
	s.fed = true
	r := s.r
	for _, h := range s.held[:s.nHeld] {
		r.tcp = layers.TCP{Seq: h.seq, Ack: h.ack, Window: h.window, Urgent: h.urg, SYN: true, ACK: h.ackF, PSH: h.pshF, URG: h.urgF}
		r.ctx.ci = gopacket.CaptureInfo{Timestamp: time.Unix(0, h.time), InterfaceIndex: int(h.frame)}
		r.feeding = true
		s.assemble(h.d, &r.tcp)
		r.feeding = false
	}
	s.nHeld = 0
}

// synISN notes the ISN of a SYN sent in direction d: the first one starts
// the half; another before any data is a candidate the peer may take.
func (s *Streams) synISN(d flow.Dir, isn uint32) {
	h := &s.half[d]
	switch {
	case !h.synSet:
		h.first, h.cur, h.synSet = isn, isn, true
	case isn != h.cur && !h.endSet:
		h.alt, h.altSet = isn, true
	}
}

func (s *Streams) assemble(d flow.Dir, t *layers.TCP) {
	if !s.seen {
		// gopacket numbers the directions from the first segment it sees
		// (not the first fed: a RST before any data, or a held SYN, is not
		// seen; nor is a capture time of 0 a sign of the first segment).
		s.first, s.seen = d, true
	}
	k := s.key[0]
	if d != s.first {
		k = s.key[1]
	}
	s.r.cur = s
	s.r.asm.AssembleWithContext(k, t, &s.r.ctx)
}

// flushOwn delivers this connection's waiting data, recording gaps: it
// flushes what waited at least as long as this connection's oldest data.
func (s *Streams) flushOwn() {
	if s.waitSince != 0 {
		s.r.asm.FlushWithOptions(reassembly.FlushOptions{T: time.Unix(0, s.waitSince+1)})
		s.waitSince = 0
	}
}

// Close delivers everything still buffered, records the gaps the capture
// shows at the end of each stream (data the peer acknowledged but the capture
// never showed), sets the hashes, and makes gopacket forget the connection.
func (s *Streams) Close() {
	if s.closed {
		return
	}
	if s.Pending() {
		// Everything this connection has waiting, behind every gap: a
		// flush stops at pages newer than its time, so flushing from the
		// oldest waiting data would leave what waits behind a second gap
		// to be dropped by the RST below, neither delivered nor counted
		// (found by FuzzReassemble). As in flushOwn, what is that old
		// elsewhere is overdue anyway.
		s.r.asm.FlushWithOptions(reassembly.FlushOptions{T: time.Unix(0, s.waitLast+1)})
		s.waitSince = 0
	}
	if !s.fed {
		// gopacket never saw it: a half starts with its first SYN, as
		// Accept would have started it.
		for _, h := range s.held[:s.nHeld] {
			if hs := &s.half[h.d]; !hs.started {
				hs.started, hs.base = true, reassembly.Sequence(h.seq).Add(1)
			}
		}
		s.nHeld = 0
	}
	// End each half gopacket still has open with a RST where it expects the
	// next byte: an in-order RST closes the half, and with both halves closed
	// gopacket drops the connection (ReassemblyComplete).
	s.closing = true
	for d := range s.half {
		if !s.fed {
			break
		}
		var next reassembly.Sequence
		if h := &s.half[d]; h.started {
			next = h.base.Add(int(h.offset))
		}
		s.r.tcp = layers.TCP{Seq: uint32(next), RST: true}
		s.r.ctx.ci.InterfaceIndex = 0
		s.assemble(flow.Dir(d), &s.r.tcp)
	}
	s.closed = true
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
				s.gap(flow.Dir(d), int64(missing), 0, NotCaptured)
			}
		}
		if !h.recog {
			s.recognize(flow.Dir(d))
		}
		if h.sum == nil { // no byte: the hash of nothing
			f.SHA256 = sha256.Sum256(nil)
		} else {
			copy(f.SHA256[:], h.sum.Sum(nil))
		}
		if h.tail != nil {
			tailPool.Put(h.tail)
		}
		h.tail, h.tailLen, h.head = nil, 0, nil
	}
}

// Quiesce returns the buffers kept to compare retransmitted bytes with those
// delivered (16 KB per direction) when the connection has closed on the wire
// and nothing waits behind a gap: a closed connection may linger a long time
// for late segments, and those rarely carry data. Data that still comes is
// delivered as usual; only bytes retransmitted over what was delivered before
// Quiesce are not compared.
func (s *Streams) Quiesce() {
	if s.closed || s.Pending() {
		return
	}
	for d := range s.half {
		h := &s.half[d]
		if h.tail != nil {
			tailPool.Put(h.tail)
			h.tail, h.tailLen = nil, 0
		}
	}
}

func (s *Streams) gap(d flow.Dir, n int64, frame uint64, kind GapKind) {
	h, f := &s.half[d], &s.Facts[d]
	if len(f.Gaps) < maxGaps {
		f.Gaps = append(f.Gaps, Gap{Offset: h.offset, Size: n, Frame: frame, Kind: kind})
	}
	if kind == BufferLimit {
		f.LimitBytes += n
	} else {
		f.GapBytes += n
	}
	if sink := s.r.sink; sink != nil {
		sink.Gap(s.ID, d, h.offset, n, frame, kind)
	}
	h.offset += n
	h.tailLen = 0
	if !h.recog && h.offset > int64(len(h.head)) {
		s.recognize(d) // what came before the gap is all there is to go on
	}
}

// dir maps gopacket's direction (relative to the first segment) to ours.
func (g *gopacketStream) dir(dir reassembly.TCPFlowDirection) flow.Dir {
	if dir == reassembly.TCPDirClientToServer {
		return g.first
	}
	return g.first.Reverse()
}

// Accept sees every segment before gopacket reassembles it: it starts
// streams that were joined mid-stream, and compares retransmitted bytes with
// those already delivered.
func (g *gopacketStream) Accept(tcp *layers.TCP, ci gopacket.CaptureInfo, dir reassembly.TCPFlowDirection, nextSeq reassembly.Sequence, start *bool, _ reassembly.AssemblerContext) bool {
	s := (*Streams)(g)
	d := g.dir(dir)
	h := &s.half[d]
	seq := reassembly.Sequence(tcp.Seq)
	if s.closing {
		// Close ends the halves gopacket still has open: start one that
		// never started, so that its RST is in order.
		*start = nextSeq < 0
		return tcp.RST
	}
	if h.started && nextSeq < 0 {
		// gopacket forgot this half after it ended (ReassemblyComplete) and
		// sees a late segment: nothing after the end is stream data.
		return false
	}
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
			s.compare(d, seq, tcp.Payload[:min(n, before)], uint64(ci.InterfaceIndex))
		}
	}
	return true
}

// compare checks bytes retransmitted for offsets already delivered.
func (s *Streams) compare(d flow.Dir, seq reassembly.Sequence, b []byte, frame uint64) {
	h, f := &s.half[d], &s.Facts[d]
	f.Retransmitted += int64(len(b))
	// Compare what is still in the tail: offsets [lo, hi).
	off := int64(h.base.Difference(seq))
	lo, hi := max(off, h.offset-h.tailLen), min(off+int64(len(b)), h.offset)
	for o := lo; o < hi; o++ {
		if h.tail.ring[o%tailKeep] != b[o-off] {
			f.OverlapCount++
			if len(f.Overlaps) < maxOverlaps {
				f.Overlaps = append(f.Overlaps, Overlap{Offset: o, Size: len(b) - int(o-off), Frame: frame, FirstSeen: h.frameAt(o)})
			}
			return
		}
	}
}

func (h *halfStream) frameAt(off int64) uint64 {
	// The newest delivery that starts at or before off.
	if h.tail == nil {
		return 0
	}
	for i := 1; i <= min(h.nMarks, marksKeep); i++ {
		if m := h.tail.marks[(h.nMarks-i)%marksKeep]; m.off <= off {
			return m.frame
		}
	}
	return 0
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
		kind := NotCaptured
		if s.r.feeding {
			kind = BufferLimit
		}
		s.gap(d, int64(skip), frame, kind)
	}
	if avail == 0 {
		return
	}
	b := sg.Fetch(avail)
	s.deliver(d, b, frame, sg.CaptureInfo(0).Timestamp.UnixNano())
}

func (s *Streams) deliver(d flow.Dir, b []byte, frame uint64, t int64) {
	h, f := &s.half[d], &s.Facts[d]
	if sink := s.r.sink; sink != nil {
		sink.Data(s.ID, d, h.offset, b, frame, t)
	}
	if h.sum == nil {
		h.sum = sha256.New()
	}
	h.sum.Write(b)
	if !h.recog && int64(len(h.head)) == h.offset && len(h.head) < headKeep {
		if len(h.head) == 0 {
			h.headFr = frame
		}
		h.head = append(h.head, b[:min(len(b), headKeep-len(h.head))]...)
		if p, decided := appproto.Recognize(h.head); decided || len(h.head) >= headKeep {
			s.recognized(d, p)
		}
	}
	// Keep the tail for comparing retransmissions.
	if h.tail == nil {
		h.tail, h.nMarks = tailPool.Get().(*recentBytes), 0
	}
	h.tail.marks[h.nMarks%marksKeep] = frameMark{h.offset, frame}
	h.nMarks++
	keep := b
	if len(keep) > tailKeep {
		keep = keep[len(keep)-tailKeep:]
	}
	at := (h.offset + int64(len(b)-len(keep))) % tailKeep
	n := copy(h.tail.ring[at:], keep)
	copy(h.tail.ring[:], keep[n:])
	h.tailLen = min(h.tailLen+int64(len(b)), tailKeep)
	h.offset += int64(len(b))
	f.Bytes += int64(len(b))
}

// ReassemblyComplete is called when both directions ended (FIN or RST) or at
// a flush: gopacket may forget the connection. A late segment (a retransmitted
// FIN) then opens a new gopacket connection on the same key, which Accept
// leaves unstarted: nothing after the end is stream data.
func (g *gopacketStream) ReassemblyComplete(reassembly.AssemblerContext) bool {
	return true
}

// recognize settles the protocol of direction d on the bytes it has: no more
// will come at the start of the stream (a gap, or the end).
func (s *Streams) recognize(d flow.Dir) {
	p, _ := appproto.Recognize(s.half[d].head)
	s.recognized(d, p)
}

// recognized records the protocol of direction d (none when p is empty).
func (s *Streams) recognized(d flow.Dir, p string) {
	h := &s.half[d]
	h.recog, h.head = true, nil
	if p != "" {
		s.Facts[d].Proto, s.Facts[d].ProtoFrame = p, h.headFr
	}
}
