package state

import (
	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
)

// Out-of-sequence segments told apart as a passive observer can, after
// Jaiswal, Iannaccone, Diot, Kurose and Towsley, "Measurement and
// classification of out-of-sequence packets in a tier-1 IP backbone"
// (IEEE/ACM ToN 15(1), 2007). The segments are those Wireshark's analysis
// finds out of sequence (behind the highest sequence number sent) and
// names by timing alone: a retransmission, or "out-of-order" when it came
// soon after the highest one. Those names stay on the segment
// (Record.Analysis), and a keep-alive is left out. These counts say what the capture can
// tell of the cause, from what it saw before, the round-trip time, the IPv4
// id and where it was taken:
//
//  1. A copy of a frame (the same IP id, header and checksum, found by the
//     capture-artifact rules, Record.Artifacts DuplicateFrame) is a
//     duplicate: the network or the capture made it, the sender sent it once.
//  2. Otherwise, when the peer had acknowledged all of its bytes before it
//     came (Wireshark's spurious retransmission), it is an unneeded
//     retransmission, counted among the retransmissions.
//  3. Otherwise, when some of its bytes had been captured before, it is a
//     retransmission.
//  4. Its bytes are all new to the capture: they filled a hole. When the
//     capture was taken next to the sender (the capture point says so, or
//     both ends are on the capturing host), the network had no room to
//     reorder them before the capture: a retransmission. Otherwise, when they came an RTT or more after the hole
//     opened, no reordering delays a segment that long, while a sender
//     needs at least a round trip to learn of a loss: a retransmission of
//     bytes lost before the capture point. When they came sooner, and the
//     IPv4 id does not show them sent after the segment that opened the hole,
//     they were reordered by the network. A segment sent later (the id is
//     higher) yet sooner than an RTT is told as neither: ambiguous.
//
// The RTT estimate is the handshake's round trip (SYN to the client's ACK:
// the whole path, wherever the capture was taken); without a handshake, the
// sum of the shortest ACK RTTs of both directions; without those, 3 ms (the
// default Wireshark's out-of-order test uses).

// OutSeq counts one direction's out-of-sequence segments by class, and the
// D-SACKs this direction sent. The counts are small and fixed: a connection
// keeps them without allocating.
type OutSeq struct {
	// Retransmissions are the out-of-sequence segments the sender sent
	// again (rules 2 to 4), a SYN or FIN sent again included.
	// LostBeforeCapture are those whose bytes the capture had not seen
	// before (lost between the sender and the capture point); Unneeded
	// those whose bytes the peer had all acknowledged before they came.
	// Fast are those Wireshark calls fast retransmissions.
	Retransmissions, LostBeforeCapture, Unneeded, Fast uint32
	// Reordered: bytes never captured before, arriving within an RTT of
	// the hole they fill and sent before the segment that opened it.
	Reordered uint32
	// Duplicates: copies of frames (the same IP id and bytes).
	Duplicates uint32
	// Ambiguous: new bytes arriving within an RTT but sent after the
	// segment that opened the hole (its IPv4 id is higher).
	Ambiguous uint32
	// DSACKs are the D-SACKs this side sent as a receiver (RFC 2883: the
	// first SACK block starts below the cumulative ACK, or lies inside the
	// second block): each says a segment of the peer arrived twice.
	DSACKs uint32
	// UnneededDSACK are this side's retransmissions the peer's D-SACKs
	// reported as unneeded: one per D-SACK, at most one per
	// retransmission (a D-SACK of a duplicate the network made counts too;
	// the capture cannot always tell them apart).
	UnneededDSACK uint32
}

// Spurious is the number of this side's retransmissions known to be
// unneeded: acknowledged before they came, or reported by the peer's
// D-SACKs, whichever says more (the two often tell of the same segment).
func (o *OutSeq) Spurious() uint32 { return max(o.Unneeded, o.UnneededDSACK) }

// defaultRTT is the RTT estimate without any measurement (Wireshark's
// out-of-order threshold without an initial RTT).
const defaultRTT = 3e6 // ns

// rttEstimate is the round trip over the whole path, as the classification
// needs it (see above).
func (c *Conn) rttEstimate() int64 {
	if c.HandshakeRTT > 0 {
		return c.HandshakeRTT
	}
	if a, b := &c.Dir[flow.C2S].ACK, &c.Dir[flow.S2C].ACK; a.Count > 0 && b.Count > 0 && a.Min+b.Min > 0 {
		return a.Min + b.Min
	}
	return defaultRTT
}

// nearSender reports whether the capture was taken next to the side that
// sends seg in direction d: on the host of both ends (as WhereCaptured), or
// where the handshake's timing puts it.
func (c *Conn) nearSender(seg *capture.Segment, d flow.Dir) bool {
	if src, dst := seg.Src.Addr(), seg.Dst.Addr(); src == dst || (src.IsLoopback() && dst.IsLoopback()) {
		return true
	}
	switch c.HandshakePoint() {
	case NearClient:
		return d == flow.Client
	case NearServer:
		return d == flow.Server
	}
	return false
}

// outOfSequence classifies a segment of direction d that Wireshark calls a
// retransmission (of any kind) or out-of-order: payload [lo, hi) (empty
// for a SYN or FIN without payload), again bytes of it captured before,
// behind when it started below the highest byte captured. Call it before
// its bytes fill the holes.
func (c *Conn) outOfSequence(seg *capture.Segment, d flow.Dir, rec *Record, lo, hi flow.Seq, again int64, behind bool) {
	o := &c.Dir[d].Out
	rexmt := false
	switch {
	case rec.Analysis&KeepAlive != 0:
		// A keep-alive repeats its last byte on purpose.
	case rec.Artifacts&DuplicateFrame != 0:
		o.Duplicates++
	case rec.Analysis&SpuriousRetransmission != 0:
		rexmt = true
		o.Unneeded++
	case again > 0 || lo == hi || !behind || c.nearSender(seg, d):
		rexmt = true
	default:
		at, ipid, ok := c.Dir[d].holeOpened(lo, hi)
		switch {
		case !ok || seg.Time-at >= c.rttEstimate():
			// Not in a hole the list still holds (one settled long
			// ago), or too late for reordering.
			rexmt = true
			o.LostBeforeCapture++
		case ipid != 0 && seg.IPID != 0 && int16(seg.IPID-ipid) > 0:
			o.Ambiguous++
		default:
			o.Reordered++
		}
	}
	if rexmt {
		o.Retransmissions++
		if rec.Analysis&FastRetransmission != 0 {
			o.Fast++
		}
	}
}

// holeOpened returns when the earliest hole that [lo, hi) overlaps opened,
// and the IPv4 id of the segment that opened it.
func (s *DirStats) holeOpened(lo, hi flow.Seq) (at int64, ipid uint16, ok bool) {
	for _, h := range s.holes {
		if lo.LessThan(h.hi) && h.lo.LessThan(hi) && (!ok || h.at < at) {
			at, ipid, ok = h.at, h.ipid, true
		}
	}
	return at, ipid, ok
}

// dsack counts a D-SACK sent in direction d (RFC 2883 section 4): the first
// SACK block starts below the cumulative acknowledgment (a SACK block never
// does), or lies inside the second block. It reports a segment of the peer received twice; when the
// peer had retransmitted more than the D-SACKs so far confirmed, one of
// those retransmissions was unneeded.
func (c *Conn) dsack(seg *capture.Segment, d flow.Dir) {
	if seg.Opts.NSACK == 0 || seg.Flags&capture.ACK == 0 {
		return
	}
	b := seg.Opts.SACK[0]
	l, r := flow.Seq(b.Left), flow.Seq(b.Right)
	if !l.LessThan(r) {
		return // an empty or inverted block is malformed, not a D-SACK
	}
	isD := l.LessThan(flow.Seq(seg.Ack))
	if !isD && seg.Opts.NSACK > 1 {
		b2 := seg.Opts.SACK[1]
		isD = flow.Seq(b2.Left).LessEq(l) && r.LessEq(flow.Seq(b2.Right))
	}
	if !isD {
		return
	}
	c.Dir[d].Out.DSACKs++
	if p := &c.Dir[d.Reverse()].Out; p.UnneededDSACK < p.Retransmissions {
		p.UnneededDSACK++
	}
}
