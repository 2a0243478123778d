package state

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/stream"
)

// ICMPError is an ICMP error message quoting a segment of a connection, e.g. a
// "fragmentation needed" of path MTU discovery or a "port unreachable".
type ICMPError struct {
	Frame      uint64
	Time       int64
	Dir        flow.Dir // direction of the quoted segment
	V6         bool     // ICMPv6
	Type, Code uint8
	Seq        uint32 // sequence number of the quoted segment (absolute)
	// Partial is set when only 8 bytes of the TCP header were quoted:
	// Wireshark gives such a frame no tcp.stream.
	Partial bool
}

// BadHeader is a frame whose TCP header has a bogus length (below 20 bytes,
// or past the end of the IP payload): Wireshark numbers it in the
// connection's tcp.stream but reads nothing after the window.
type BadHeader struct {
	Frame  uint64
	Time   int64
	Dir    flow.Dir
	HdrLen uint8 // the header length the segment claims, in bytes
}

// EndedBy says how a connection ended, as far as the capture shows.
type EndedBy uint8

// Ends of a connection.
const (
	Open    EndedBy = iota // still open (or half-closed) at the end of the capture
	Fin                    // both sides sent FIN
	Rst                    // a RST ended it
	Refused                // the SYN was answered by RST
)

func (e EndedBy) String() string { return [...]string{"open", "fin", "rst", "refused"}[e] }

// Connection is a flow connection together with its analysis.
type Connection = flow.Conn[*Conn]

// Conn is the analysis of one connection. Feed it every segment with Process.
type Conn struct {
	EP          [2]Endpoint // indexed by the direction each endpoint sends in (flow.Client, flow.Server)
	Transitions []Transition
	// Records are the segments' records, when the run keeps them (Keep).
	Records Records

	// HandshakeRTT is the time from the first SYN to the client's ACK of the
	// SYN-ACK (Wireshark's tcp.analysis.initial_rtt), in ns; -1 when not seen.
	// SynAckRTT is the SYN to SYN-ACK part of it.
	HandshakeRTT, SynAckRTT int64
	EndedBy                 EndedBy
	// SimultaneousOpen is set when both sides opened with a bare SYN (RFC
	// 9293 figure 8); SimultaneousClose when the FINs crossed on the wire,
	// each sent before the other's arrived (figure 13).
	SimultaneousOpen, SimultaneousClose bool
	// Closer is the side that sent the first FIN or the RST that ended the
	// connection; valid when EndedBy is not Open or when a FIN was seen.
	Closer    flow.Dir
	CloseSeen bool
	// ResetBy is the side that sent the RST that ended the connection
	// (EndedBy Rst or Refused), which may not be the Closer: the side of
	// the first FIN. ResetAfterClose says both sides had sent a FIN and
	// seen it acknowledged before that RST: the close was complete and the
	// RST aborted nothing (a late segment answered in TIME_WAIT, or a
	// socket closed with SO_LINGER 0).
	ResetBy         flow.Dir
	ResetAfterClose bool
	// ConnectTime is from the client's first SYN to the ACK that completed
	// the handshake, SYNs and SYN-ACKs sent again included, in ns; -1 when
	// the handshake was not seen whole (HandshakeRTT counts from the last
	// SYN only, as Wireshark's initial_rtt). SYNs and SYNACKs count the
	// client's SYNs and the server's SYN-ACKs up to then.
	ConnectTime   int64
	SYNs, SYNACKs int

	Count [2][NumAnalysis]uint32 // findings per direction
	// ICMP lists the ICMP errors that quote a segment of this connection.
	ICMP []ICMPError
	// BadHeaders lists the frames of this connection whose TCP header is
	// bogus; they are not analyzed.
	BadHeaders []BadHeader
	// Dir holds the per-direction summary facts (RTT, gaps, zero-window time).
	Dir [2]DirStats
	// Damage counts what each direction's segments had damaged or crafted.
	Damage [2]Damage
	// Artifacts counts each direction's capture artifacts (artifact.go).
	Artifacts [2]ArtifactCount
	// MaxIdle is the longest time between two consecutive segments, in ns.
	MaxIdle int64
	// Stalls are the periods without progress (stall.go); nil when none.
	// Rate is each direction's evidence for what limited its rate
	// (ratelimit.go).
	Stalls *Stalls
	Rate   [2]RateEvidence
	// Zeek is Zeek's view of the connection: its conn_state and history.
	Zeek Zeek
	// Streams is the reassembly of both directions, when the run
	// reassembles.
	Streams *stream.Streams

	synTime  int64 // time of the client's most recent SYN, for the handshake RTT
	synFirst int64 // time of the client's first SYN, for the connect time
	synAck   bool  // the client's SYN was answered with SYN-ACK
	lastTime int64 // time of the last segment
	resumed  bool  // a continuation's analysis (Resume): its first segment is not a start
	// delivered: every output has read it (Delivered), so Recycle may
	// reuse it. Set by the outputs' goroutine, read by the tracker's.
	delivered atomic.Bool
	// handshakeReset is set when a RST ended the connection before both
	// sides were synchronized: a later SYN or SYN-ACK on it revives it.
	handshakeReset bool
	an             analyzer
	art            artifactTrack
	stallT         stallTrack
}

// NewConn prepares the analysis of a connection.
func NewConn() *Conn {
	c, _ := connPool.Get().(*Conn)
	if c == nil {
		c = new(Conn)
	} else {
		*c = Conn{}
		reused.Add(1)
	}
	c.HandshakeRTT, c.SynAckRTT, c.ConnectTime = -1, -1, -1
	for r := range c.EP {
		e := &c.EP[r]
		e.Side, e.MSS, e.WScale, e.ws, e.initial = flow.Dir(r), -1, -1, wsUnknown, Closed
		e.State = Closed
	}
	c.an.init()
	return c
}

// connPool keeps the analysis state of finished connections for new ones:
// about 2 KB each, it was half of all a run allocated on a capture of
// millions of short or half-open connections (a SYN flood), and most of the
// garbage collector's work.
var connPool sync.Pool

// reused counts the connections NewConn made from recycled state.
var reused atomic.Int64

// Reused is how many connections of this process were given recycled
// analysis state (a test's witness that reuse happened).
func Reused() int64 { return reused.Load() }

// Delivered says every output has read c and keeps nothing of it.
func (c *Conn) Delivered() { c.delivered.Store(true) }

// Recycle gives c back for a new connection, if every output has read it
// (Delivered), and reports whether it did. The caller holds the last
// reference to c and drops it.
func Recycle(c *Conn) bool {
	if !c.delivered.Load() {
		return false
	}
	if c.Streams != nil {
		stream.Recycle(c.Streams)
	}
	connPool.Put(c)
	return true
}

// Process analyzes one segment travelling in direction d. reused says the
// segment is the SYN that reopened a 4-tuple (flow.Result.Reused). It returns the
// segment's Record, which is also appended to Records when they are kept.
func (c *Conn) Process(seg *capture.Segment, d flow.Dir, first, reused bool) Record {
	snd, rcv := &c.EP[d], &c.EP[d.Reverse()]
	first = first && !c.resumed // a continuation carries on
	if first {
		c.start(seg, d)
	}
	syn, ack, fin, rst := seg.Flags&capture.SYN != 0, seg.Flags&capture.ACK != 0, seg.Flags&capture.FIN != 0, seg.Flags&capture.RST != 0

	// A SYN-ACK whose sequence number is not the base its sender already has
	// starts a new session on the same ports (Wireshark flags reused_ports on
	// it without splitting the stream, and counts the sender's numbers from
	// it; a bare SYN splits in flow.Table). When the sender's SYN-ACK was
	// seen, this one is another answer with another ISN: which one the
	// connection uses, the peer's acknowledgment decides.
	if syn && ack && snd.baseSet && seg.Seq != snd.base && !reused {
		reused = true
		if snd.SYNSeen {
			snd.base = seg.Seq
			snd.altISN, snd.altFrame, snd.altSet = seg.Seq, seg.Frame, true
		}
	}
	if ack && rcv.altSet && seg.Ack == rcv.altISN+1 {
		// The peer took the other ISN.
		rcv.ISN, rcv.altISN = rcv.altISN, rcv.ISN
		rcv.SYNFrame, rcv.altFrame = rcv.altFrame, rcv.SYNFrame
		rcv.synSeq = rcv.ISN
	}
	// A SYN repeating this side's first one (the same sequence number).
	if syn && !ack && snd.baseSet && seg.Seq == snd.base {
		c.an.synAgain(d)
	}
	// Handshake options and ISN.
	if syn && !snd.SYNSeen {
		snd.SYNSeen, snd.SYNFrame, snd.ISN, snd.synSeq = true, seg.Frame, seg.Seq, seg.Seq
		snd.SYNACK = seg.Flags&capture.ACK != 0
		snd.MSS, snd.WScale = seg.Opts.MSS, seg.Opts.WScale
		snd.SACKPermitted, snd.Timestamps = seg.Opts.SACKPermitted, seg.Opts.HasTS
		snd.base, snd.baseSet = seg.Seq, true
		snd.Refused = false // it answers a SYN at last: a later session on the ports
	}
	if !snd.baseSet {
		snd.base, snd.baseSet = seg.Seq-1, true
		snd.Timestamps = snd.Timestamps || seg.Opts.HasTS
	}
	if ack && !rcv.baseSet {
		rcv.base, rcv.baseSet = seg.Ack-1, true
	}

	rec := Record{
		Frame: seg.Frame, FileFrame: seg.FileFrame, File: int32(seg.File), Time: seg.Time, Dir: d, Flags: seg.Flags,
		Seq: seg.Seq, Ack: seg.Ack, RelSeq: seg.Seq - snd.base,
		Len: seg.PayloadLen, Win: seg.Window, Urgent: seg.Urgent, HdrLen: seg.HdrLen, Opts: seg.Opts, Truncated: seg.Truncated,
		IPChecksum: seg.IPChecksum, TCPChecksum: seg.TCPChecksum,
		WinScaled: -1, AckRTT: -1, InFlight: -1,
	}
	rec.PreviewN = uint8(copy(rec.Preview[:], seg.Payload))
	if ack {
		rec.RelAck = seg.Ack - rcv.base
	}
	if syn {
		rec.WinScaled = int64(seg.Window) // RFC 7323: the window in a SYN is never scaled
	} else if s, assumed := snd.Scale(rcv); s >= 0 {
		rec.WinScaled, rec.ScaleAssumed = int64(seg.Window)<<s, assumed
	}

	c.Damage[d].count(seg)
	c.an.analyze(c, seg, d, &rec)
	c.artifacts(seg, d, &rec)
	scaleState(snd, rcv, seg.Opts.WScale, syn, ack)
	c.summarize(seg, d, &rec)
	c.stall(seg, d, &rec)
	c.rate(seg, d, &rec)
	c.Zeek.observe(seg, d, first, &rec)
	if reused {
		rec.Analysis |= ReusedPorts
	}
	for i := 0; i < NumAnalysis; i++ {
		if rec.Analysis&(1<<i) != 0 {
			c.Count[d][i]++
		}
	}

	c.lifecycle(seg, d, syn, ack, fin, rst)
	if rst && snd.Refused {
		// The refusing RST: its sender never sent a SYN, so no scale applies
		// to its window (Endpoint.Scale).
		rec.WinScaled = int64(seg.Window)
	}
	c.Records.Append(&rec)
	return rec
}

// start sets the endpoints' starting states from the connection's first segment.
func (c *Conn) start(seg *capture.Segment, d flow.Dir) {
	cl, sv := &c.EP[flow.Client], &c.EP[flow.Server]
	switch {
	case seg.Flags&(capture.SYN|capture.ACK) == capture.SYN && d == flow.C2S:
		sv.initial, sv.State = Listen, Listen
		c.synTime = seg.Time
	case seg.Flags&capture.SYN != 0: // the capture starts at the SYN-ACK: the client's SYN was missed
		cl.sentSYN, sv.gotSYN = true, true
		c.note(seg.Frame, flow.Client, Unknown, SynSent, "its SYN was not captured; the SYN-ACK shows it had sent one")
		cl.State = SynSent
		sv.initial, sv.State = Listen, Listen
		c.note(seg.Frame, flow.Server, Listen, SynReceived, "received the client's SYN (not captured)")
		sv.State = SynReceived
	default: // joined mid-stream
		for r := range c.EP {
			e := &c.EP[r]
			e.sentSYN, e.gotSYN, e.synAcked, e.assumed = true, true, true, true
			c.note(seg.Frame, flow.Dir(r), Unknown, Established, "the capture starts mid-stream; assumed established")
			e.State = Established
		}
	}
}

// lifecycle updates the facts behind the endpoints' states and records the
// transitions the segment caused. Within one segment the acknowledgment is
// processed before the segment's own SYN or FIN, as a receiver does (RFC 9293
// section 3.10.7.4: check the ACK field, then the FIN bit).
func (c *Conn) lifecycle(seg *capture.Segment, d flow.Dir, syn, ack, fin, rst bool) {
	snd, rcv := &c.EP[d], &c.EP[d.Reverse()]
	sndRole, rcvRole := d, d.Reverse()
	before := [2]State{c.EP[0].State, c.EP[1].State}
	why := [2]string{}

	revived := false
	if syn && !rst && c.handshakeReset && (snd.reset || rcv.reset) {
		c.revive()
		revived = true
	}
	if rst {
		if c.acceptRST(seg, d, snd, rcv) {
			if !before[0].Synchronized() || !before[1].Synchronized() {
				c.handshakeReset = true
			}
			refused := sndRole == flow.Server && !snd.sentSYN && rcv.sentSYN
			snd.reset, rcv.reset = true, true
			if snd.RSTFrame == 0 {
				snd.RSTFrame = seg.Frame
			}
			if c.EndedBy == Open || c.EndedBy == Fin {
				if refused {
					c.EndedBy = Refused
				} else {
					c.EndedBy = Rst
				}
				if !c.CloseSeen || c.EndedBy == Refused {
					c.Closer, c.CloseSeen = sndRole, true
				}
				c.ResetBy = sndRole
				c.ResetAfterClose = snd.sentFIN && snd.finAcked && rcv.sentFIN && rcv.finAcked
			}
			if refused {
				// Nothing was listening: the server side never left CLOSED.
				c.dropTransitions(flow.Server)
				snd.Refused = true
				snd.initial, snd.State, before[flow.Server] = Closed, Closed, Closed
				why[sndRole] = "answered the SYN with RST: nothing listens on this port"
				why[rcvRole] = "its SYN was refused with RST"
			} else {
				why[sndRole] = "sent RST: aborts the connection"
				why[rcvRole] = "received RST: the connection is aborted"
			}
		}
	} else {
		if syn && !ack && sndRole == flow.Client && c.synTime != 0 && !c.synAck {
			// A retransmitted SYN: the handshake RTT counts from the most
			// recent one, which is the one the SYN-ACK answers (as
			// Wireshark's tcp.analysis.initial_rtt).
			c.synTime = seg.Time
		}
		if syn && c.ConnectTime < 0 {
			// The SYNs and SYN-ACKs of the handshake, repeats included.
			switch {
			case !ack && sndRole == flow.Client:
				c.SYNs++
				if c.synFirst == 0 {
					c.synFirst = seg.Time
				}
			case ack && sndRole == flow.Server:
				c.SYNACKs++
			}
		}
		if ack && !syn && snd.sentSYN && !snd.gotSYN && !rcv.sentSYN {
			// The SYN-ACK was not captured, but this ACK shows it arrived.
			rcv.sentSYN, rcv.synSeq = true, seg.Ack-1
			snd.gotSYN, snd.synAcked = true, true
			why[sndRole] = "acknowledged a SYN-ACK that was not captured"
			why[rcvRole] = "its SYN-ACK (not captured) was acknowledged"
		}
		if ack {
			a := flow.Seq(seg.Ack)
			if rcv.sentSYN && !rcv.synAcked && flow.Seq(rcv.synSeq).LessThan(a) {
				rcv.synAcked = true
				if rcvRole == flow.Client && c.synTime != 0 && !c.synAck {
					c.synAck = true
					c.SynAckRTT = seg.Time - c.synTime
				}
				why[rcvRole] = "its SYN was acknowledged"
			}
			if sndRole == flow.Client && c.HandshakeRTT < 0 && c.synAck && !syn && snd.synAcked && snd.gotSYN {
				c.HandshakeRTT = seg.Time - c.synTime
				if c.synFirst != 0 {
					c.ConnectTime = seg.Time - c.synFirst
				}
			}
			if rcv.sentFIN && !rcv.finAcked && flow.Seq(rcv.finSeq).LessThan(a) {
				rcv.finAcked = true
				why[rcvRole] = "its FIN was acknowledged"
			}
		}
		if syn {
			if !snd.sentSYN {
				snd.sentSYN = true
				why[sndRole] = "sent SYN"
				if ack {
					why[sndRole] = "answered with SYN-ACK"
				}
			}
			if !rcv.gotSYN {
				rcv.gotSYN = true
				if !rcv.sentSYN {
					why[rcvRole] = "received SYN"
				} else if ack {
					why[rcvRole] = "received SYN-ACK: its SYN is acknowledged and it knows the peer's ISN"
				} else {
					c.SimultaneousOpen = true
					why[rcvRole] = "received the peer's SYN while its own SYN was unanswered (simultaneous open)"
				}
			}
		}
		if fin && !snd.sentFIN {
			snd.sentFIN, snd.FINFrame = true, seg.Frame
			snd.finSeq = seg.Seq + uint32(seg.PayloadLen)
			if syn {
				snd.finSeq++
			}
			// A FIN that does not acknowledge the peer's FIN crossed it on the
			// wire: both sides closed at once (simultaneous close).
			simultaneous := rcv.sentFIN && (!ack || flow.Seq(seg.Ack).LessEq(flow.Seq(rcv.finSeq)))
			snd.finFirst = !snd.gotFIN || simultaneous
			if !c.CloseSeen {
				c.Closer, c.CloseSeen = sndRole, true
			}
			why[sndRole] = "sent FIN: it has no more data to send"
			if simultaneous {
				c.SimultaneousClose = true
				why[sndRole] = "sent FIN before the peer's FIN reached it (simultaneous close)"
			}
			if !rcv.gotFIN {
				rcv.gotFIN = true
				why[rcvRole] = "received FIN: the peer will send no more data"
			}
			if c.EP[0].sentFIN && c.EP[1].sentFIN && c.EndedBy == Open {
				c.EndedBy = Fin
			}
		}
	}
	for r := range c.EP {
		e := &c.EP[r]
		if now := e.derive(); now != before[r] {
			w := why[r]
			if w == "" {
				w = "peer's segment"
			}
			if revived {
				w = "the handshake goes on after the RST, which did not end the connection: " + w
			}
			c.note(seg.Frame, flow.Dir(r), before[r], now, w)
			e.State = now
		}
	}
}

// revive starts the handshake again on a connection whose handshake a RST
// ended, when a SYN or SYN-ACK comes after it on the same connection (the
// same ISN, so Wireshark keeps one tcp.stream): a client that tries again, or
// a RST the client did not accept (one forged by a middlebox, or dropped for
// its timestamp), followed by the real SYN-ACK. What the endpoints did before
// is forgotten except the client's SYN, which the new segments answer.
func (c *Conn) revive() {
	for r := range c.EP {
		e := &c.EP[r]
		sent, seq := e.sentSYN, e.synSeq
		*e = Endpoint{Side: e.Side, State: e.State, SYNSeen: e.SYNSeen, SYNFrame: e.SYNFrame, ISN: e.ISN,
			MSS: e.MSS, WScale: e.WScale, SACKPermitted: e.SACKPermitted, Timestamps: e.Timestamps,
			base: e.base, baseSet: e.baseSet, ws: e.ws, initial: e.initial}
		e.sentSYN, e.synSeq = sent && flow.Dir(r) == flow.Client, seq
	}
	cl, sv := &c.EP[flow.Client], &c.EP[flow.Server]
	sv.gotSYN = cl.sentSYN
	if sv.initial == Closed {
		sv.initial = Listen // it answers now
	}
	c.EndedBy, c.CloseSeen, c.handshakeReset = Open, false, false
}

// acceptRST decides whether a RST ends the connection. RFC 9293 section 3.10.7:
// in SYN_SENT a RST is acceptable only if it acknowledges the SYN; otherwise its
// sequence number must fall in the receiver's window. An observer does not know
// that window exactly, so a RST is accepted unless it is clearly outside: more
// than the largest window the receiver advertised away from the next expected
// byte.
func (c *Conn) acceptRST(seg *capture.Segment, d flow.Dir, snd, rcv *Endpoint) bool {
	if rcv.sentSYN && !rcv.gotSYN && !rcv.assumed {
		return seg.Flags&capture.ACK != 0 && flow.Seq(seg.Ack) == flow.Seq(rcv.synSeq).Add(1)
	}
	return c.an.rstInWindow(seg, d)
}

func (c *Conn) note(frame uint64, r flow.Dir, from, to State, why string) {
	c.Transitions = append(c.Transitions, Transition{Frame: frame, Endpoint: r, From: from, To: to, Why: why})
}

func (c *Conn) dropTransitions(r flow.Dir) {
	kept := c.Transitions[:0]
	for _, t := range c.Transitions {
		if t.Endpoint != r {
			kept = append(kept, t)
		}
	}
	c.Transitions = kept
}

// Resume returns the analysis of a continuation of c: segments that came on
// the connection's 4-tuple after the run had finished it. It carries on from
// where c stopped (both endpoints' states, sequence tracking, the Zeek view),
// so that a late FIN is a retransmission and a late probe a keep-alive, as in
// Wireshark's one tcp.stream; what is reported per part starts empty: counts,
// transitions, records, ICMP errors, RTTs, idle time. c is not changed.
func (c *Conn) Resume() *Conn {
	n := &Conn{EP: c.EP, EndedBy: c.EndedBy, Closer: c.Closer, CloseSeen: c.CloseSeen,
		ResetBy: c.ResetBy, ResetAfterClose: c.ResetAfterClose,
		HandshakeRTT: -1, SynAckRTT: -1, ConnectTime: -1, Zeek: c.Zeek, synTime: c.synTime, synAck: c.synAck,
		lastTime: c.lastTime, an: c.an, art: c.art}
	n.Zeek.history = slices.Clone(c.Zeek.history)
	for d := range n.Zeek.ep {
		// Its own blocks: the continuation reorders them in place.
		n.Zeek.ep[d].blocks = slices.Clone(c.Zeek.ep[d].blocks)
	}
	for d := range n.an.dir {
		n.an.dir[d].segs = slices.Clone(c.an.dir[d].segs)
		n.Dir[d].holes = slices.Clone(c.Dir[d].holes)
		n.Dir[d].seen, n.Dir[d].seenSet = c.Dir[d].seen, c.Dir[d].seenSet
		n.Dir[d].settled = c.Dir[d].settled
	}
	n.resumed = true
	return n
}
