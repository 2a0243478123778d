package state

import (
	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
)

// The segment analysis follows the rules of Wireshark's TCP expert analysis
// (epan/dissectors/packet-tcp.c, tcp_analyze_sequence_number, in TShark 4.0),
// re-expressed here: the same tests in the same order, so that every finding
// means what the tcp.analysis field of the same name means. docs/analysis.md
// states each rule in words.
//
// Wireshark analyzes the numbers as they are on the wire (absolute sequence
// and acknowledgment numbers, the unscaled window field), and it takes a
// tracked sequence number of 0 to mean "not seen yet": a connection whose
// numbers pass through 0 is judged by that rule too. The acknowledgment field
// is remembered from every segment, also when the ACK flag is not set (it is
// then whatever the sender put there, usually 0).

// analyzer holds the per-direction sequence tracking behind the findings.
type analyzer struct {
	dir [2]dirTrack
	// mruSYN is the time of the most recent SYN without ACK, and firstRTT
	// the time from it to the first segment with ACK and without SYN that
	// followed (tcp.analysis.initial_rtt): the out-of-order threshold.
	mruSYN, firstRTT int64
}

// unacked is a segment that carries sequence space (payload, SYN or FIN) and
// is not yet acknowledged. The list of them is Wireshark's: every such
// segment is listed, a retransmission too, and an ACK that ends exactly where
// one ends gives that segment's ACK RTT (ackSegments).
type unacked struct {
	frame        uint64
	time         int64
	seq, nextSeq flow.Seq // seq moves up to a partial acknowledgment
	// first is where the segment started (seq before any partial ACK).
	first flow.Seq
	// advanced is set on a segment that moved its sender's next sequence
	// number (it sent new data): the segments counted in flight and the only
	// ones that can give a Karn sample.
	advanced bool
	// resent is set when a later segment carried some of its sequence
	// space again: an ACK of it says nothing of the round trip (Karn).
	resent bool
}

// dirTrack is what is known of the segments one side has sent.
type dirTrack struct {
	nextSeq      flow.Seq // one past the highest sequence number sent; 0: none yet
	nextSeqTime  int64
	maxToBeAcked flow.Seq // highest sequence number the peer may acknowledge; 0: none yet
	lastAck      flow.Seq // acknowledgment field of the last segment (ACK flag or not)
	lastAckTime  int64
	window       int64 // last window field (unscaled); -1 before the first segment
	maxWin       int64 // largest window advertised in bytes, for judging RSTs
	// dupAcks counts duplicate ACKs since the acknowledgment number last
	// changed; -1 after an ACK of unseen data was reported against the
	// peer's stream, so that the same loss is not reported again.
	dupAcks      int32
	lastNonDup   uint64 // frame of the last ACK that was not a duplicate
	lastFindings Analysis
	validBIF     bool
	firstAck     bool // sent a SYN and no segment with ACK and without SYN since
	// segs are the unacknowledged segments in the order sent, at most
	// maxUnacked; segsSorted is set while each starts and ends at or after
	// the one before it (no retransmission or reordering among them), so
	// that an ACK needs to look only at the oldest ones. The slice is
	// allocated when the first segment is listed and given back when it
	// empties after having grown large.
	segs      []unacked
	segsMixed bool
	// rexmtEnd is the end of the latest segment sent again and not yet
	// acknowledged (rexmtSet): the ACK that covers it leaves no Karn
	// sample, even when the segment's first copy was never captured.
	rexmtEnd flow.Seq
	rexmtSet bool
}

func (a *analyzer) init() {
	for d := range a.dir {
		a.dir[d].window, a.dir[d].validBIF = -1, true
	}
}

const noFlags = capture.SYN | capture.FIN | capture.RST

// maxUnacked bounds the unacknowledged segments kept per direction
// (Wireshark's limit: beyond it, segments are no longer listed).
const maxUnacked = 10000

// analyze classifies one segment sent in direction d and updates the tracking.
func (a *analyzer) analyze(c *Conn, seg *capture.Segment, d flow.Dir, rec *Record) {
	fwd, rev := &a.dir[d], &a.dir[d.Reverse()]
	seq, ack := flow.Seq(seg.Seq), flow.Seq(seg.Ack)
	seglen := seg.PayloadLen
	flags := seg.Flags
	plain := flags&noFlags == 0
	window := int64(seg.Window)
	var f Analysis

	if flags&capture.ACK != 0 {
		// An ACK lets the peer's bytes in flight be counted again.
		rev.validBIF = true
	}
	sameAck := seq == fwd.nextSeq && ack == fwd.lastAck

	if flags&capture.ACK == 0 && seg.Ack != 0 {
		f |= AckNonzero
	}

	// Tests in Wireshark's order; a zero window probe, keep-alive ACK or zero
	// window probe ACK ends the first group.
	func() {
		if seglen == 1 && seq == fwd.nextSeq && rev.window == 0 {
			f |= ZeroWindowProbe
			return
		}
		if window == 0 && plain {
			f |= ZeroWindow
		}
		if fwd.nextSeq != 0 && fwd.nextSeq.LessThan(seq) && flags&capture.RST == 0 {
			f |= LostSegment
			fwd.validBIF = false
			// A SYN's number is an ISN, not where the stream went on
			// (c.hole leaves it out); a jump too far to be real is
			// counted as damage, no gap.
			c.hole(d, fwd.nextSeq, seq, seg, rec, false)
		}
		if (seglen == 0 || seglen == 1) && seq == fwd.nextSeq-1 && plain {
			f |= KeepAlive
		}
		if seglen == 0 && window != 0 && window != fwd.window && sameAck && plain {
			f |= WindowUpdate
		}
		if seglen > 0 && plain && rev.windowFull(c, d, seq.Add(seglen)) {
			f |= WindowFull
		}
		if seglen != 0 || window != fwd.window || !sameAck || !plain {
			return
		}
		switch {
		case window != 0 && rev.lastFindings&KeepAlive != 0:
			f |= KeepAliveAck
		case window == 0 && rev.lastFindings&ZeroWindowProbe != 0:
			f |= ZeroWindowProbeAck
		case window != 0:
			if fwd.dupAcks < 0 {
				fwd.dupAcks = 0 // the count was held after an ACK of unseen data
			}
			fwd.dupAcks++
			f |= DuplicateAck
			rec.DupAckNum, rec.DupAckOf = uint32(fwd.dupAcks), fwd.lastNonDup
		}
	}()
	// The duplicate-ACK count restarts when the acknowledgment number
	// changes (not on every segment that is not a duplicate ACK: data
	// segments carrying the same ACK keep it, as in Wireshark 3.x and 4.0).
	if ack != fwd.lastAck {
		fwd.lastNonDup, fwd.dupAcks = seg.Frame, 0
	}

	// An ACK beyond everything the peer may have acknowledged acknowledges
	// data the capture missed. It is reported once per loss: the limit moves
	// up to the highest byte seen; when it is there already (the peer's
	// segments after the hole are missing too), the report is held until the
	// peer sends another acknowledgment number.
	if flags&capture.ACK != 0 && rev.maxToBeAcked != 0 && rev.maxToBeAcked.LessThan(ack) {
		c.hole(d.Reverse(), rev.nextSeq, ack, seg, rec, true)
		if rev.maxToBeAcked.LessThan(rev.nextSeq) {
			rev.maxToBeAcked = rev.nextSeq
			f |= AckLostSegment
		} else {
			if rev.dupAcks == 0 {
				f |= AckLostSegment
			}
			rev.dupAcks = -1
		}
	}

	// Sequence space sent again: which kind of retransmission. A segment
	// whose bytes the peer has all acknowledged is spurious whether or not it
	// is behind the highest sequence number seen; the other kinds need it to
	// be behind (except one byte behind with more than one byte: new data
	// after a zero window probe).
	if (seglen > 0 || flags&(capture.SYN|capture.FIN) != 0) && f&KeepAlive == 0 {
		notAdvanced := fwd.nextSeq != 0 && seq.LessThan(fwd.nextSeq)
		if seglen > 1 && fwd.nextSeq.Add(-1) == seq {
			notAdvanced = false
		}
		end := seq.Add(seglen)
		if flags&(capture.SYN|capture.FIN) != 0 {
			end = end.Add(1) // SYN and FIN occupy one sequence number each
		}
		if fwd.nextSeq != 0 && seq.LessThan(fwd.nextSeq) {
			fwd.resent(seq, end)
			if !fwd.rexmtSet || fwd.rexmtEnd.LessThan(end) {
				fwd.rexmtEnd, fwd.rexmtSet = end, true
			}
		}
		ooo := int64(3e6)
		if a.firstRTT != 0 {
			ooo = a.firstRTT
		}
		// Wireshark measures both delays as unsigned numbers: a segment
		// captured before the one it is compared with (timestamps going
		// backwards) is never within them.
		sinceAck, sinceNext := seg.Time-rev.lastAckTime, seg.Time-fwd.nextSeqTime
		switch {
		case seglen > 0 && rev.lastAck != 0 && seq.Add(seglen).LessEq(rev.lastAck):
			// Wireshark sets tcp.analysis.retransmission as well on
			// spurious and fast retransmissions.
			f |= SpuriousRetransmission | Retransmission
		case !notAdvanced:
		case rev.dupAcks >= 2 && rev.lastAck == seq && sinceAck >= 0 && sinceAck < 20e6:
			f |= FastRetransmission | Retransmission
		case sinceNext >= 0 && sinceNext < ooo && fwd.nextSeq != end:
			f |= OutOfOrder
		default:
			f |= Retransmission
		}
	}

	// Advance the tracking. A zero window probe does not advance it.
	next := seq.Add(seglen)
	if (seglen > 0 || flags&(capture.SYN|capture.FIN) != 0) && len(fwd.segs) < maxUnacked {
		// A SYN or FIN occupies one sequence number (Wireshark counts it
		// only for a segment it lists).
		if flags&(capture.SYN|capture.FIN) != 0 {
			next = next.Add(1)
		}
		// Every segment that carries sequence space is listed, as
		// Wireshark does. Those that send new data (not a zero window
		// probe, not a RST, not a jump too far to be real: rec.SeqJump,
		// which a receiver discards) are the ones in flight.
		adv := (fwd.nextSeq == 0 || fwd.nextSeq.LessThan(next)) && f&ZeroWindowProbe == 0 && flags&capture.RST == 0 && rec.SeqJump == 0
		fwd.list(unacked{frame: seg.Frame, time: seg.Time, seq: seq, nextSeq: next, first: seq, advanced: adv})
	}
	if (fwd.nextSeq == 0 || fwd.nextSeq.LessThan(next)) && f&ZeroWindowProbe == 0 && rec.SeqJump == 0 {
		fwd.nextSeq, fwd.nextSeqTime = next, seg.Time
	}
	// The highest sequence number the peer may acknowledge advances only
	// with contiguous segments (one that starts where it stands): an ACK
	// beyond a hole acknowledges bytes the capture missed.
	if (fwd.maxToBeAcked == 0 || seq == fwd.maxToBeAcked) && f&ZeroWindowProbe == 0 {
		fwd.maxToBeAcked = fwd.nextSeq
	}
	// Wireshark remembers the window and the acknowledgment field of every
	// segment, a RST's too (whose window is usually 0, so data the peer
	// still sends after it can be zero-window probes). The largest window,
	// for judging RSTs, leaves RSTs out.
	fwd.window = window
	fwd.lastAck, fwd.lastAckTime = ack, seg.Time
	if flags&capture.RST == 0 {
		w := rec.WinScaled
		if w < 0 {
			w = window // scale unknown: the field is the least it can be
		}
		fwd.maxWin = max(fwd.maxWin, w)
	}
	fwd.lastFindings = f
	rev.ackSegments(c, seg, d, rec)
	if seglen > 0 && fwd.validBIF {
		if in := fwd.inFlight(); in > 0 {
			rec.InFlight = in
		}
	}
	// The initial RTT: from the most recent SYN to the first segment with
	// ACK and without SYN after it (set after the analysis of that segment).
	switch {
	case flags&(capture.SYN|capture.ACK) == capture.SYN:
		a.mruSYN = seg.Time
		fwd.firstAck = true
	case flags&capture.SYN != 0:
		fwd.firstAck = true
	case flags&capture.ACK != 0:
		if a.mruSYN != 0 && a.firstRTT == 0 {
			a.firstRTT = seg.Time - a.mruSYN
		}
		fwd.firstAck = false
	}
	rec.Analysis |= f
}

// resent marks the unacknowledged segments that [lo, hi) overlaps as sent
// again.
func (t *dirTrack) resent(lo, hi flow.Seq) {
	for i := range t.segs {
		if u := &t.segs[i]; lo.LessThan(u.nextSeq) && u.first.LessThan(hi) {
			u.resent = true
		}
	}
}

// list adds a segment to the unacknowledged ones.
func (t *dirTrack) list(u unacked) {
	if n := len(t.segs); n > 0 {
		last := &t.segs[n-1]
		if u.seq.LessThan(last.seq) || u.nextSeq.LessThan(last.nextSeq) {
			t.segsMixed = true
		}
	}
	t.segs = append(t.segs, u)
}

// ackSegments applies the acknowledgment field of a segment sent in direction
// d to t, the peer's unacknowledged segments, as Wireshark 4.0 does
// (tcp.analysis.acks_frame and tcp.analysis.ack_rtt): the field is taken from
// every segment, with or without the ACK flag. Segments that end at or before
// it are dropped; one it falls inside is cut to start there; the oldest
// segment that ends exactly at it is the one acknowledged, and the time since
// it was captured is the ACK RTT (even when it was sent again later, or
// when timestamps went backwards). An ACK that ends inside a segment, a
// duplicate ACK and an ACK of nothing newer acknowledge no frame.
//
// With the ACK flag, the segment acknowledged exactly, never sent twice and
// sent no later than the ACK also gives a Karn sample (as tcptrace takes it).
func (t *dirTrack) ackSegments(c *Conn, seg *capture.Segment, d flow.Dir, rec *Record) {
	if len(t.segs) == 0 {
		return
	}
	ack := flow.Seq(seg.Ack)
	var acked unacked // the segment acknowledged; frame 0: none
	// resent: a segment this ACK covers was sent twice, or the ACK covers
	// the end of the latest repeat (its first copy perhaps never captured):
	// the ACK came when the resending filled a hole, its time is the
	// recovery's, not a round trip, so it gives no Karn sample (as tcptrace
	// samples).
	resent := false
	if t.rexmtSet && t.rexmtEnd.LessEq(ack) {
		resent, t.rexmtSet = true, false
	}
	keep := t.segs[:0]
	for i := range t.segs {
		u := &t.segs[i]
		if u.nextSeq.LessEq(ack) {
			if u.nextSeq == ack && acked.frame == 0 {
				acked = *u
				rec.AckOf, rec.AckRTT = u.frame, seg.Time-u.time
			}
			resent = resent || u.resent
			continue
		}
		if !t.segsMixed && !u.seq.LessThan(ack) {
			// Sorted: every later segment starts and ends at or
			// after this one, beyond the acknowledgment.
			if len(keep) == i {
				return // nothing dropped
			}
			keep = append(keep, t.segs[i:]...)
			break
		}
		if u.seq.LessThan(ack) {
			u.seq = ack
		}
		keep = append(keep, *u)
	}
	if acked.frame != 0 && seg.Flags&capture.ACK != 0 && acked.advanced && !resent && seg.Time >= acked.time {
		c.Dir[d.Reverse()].Karn.sample(seg.Time - acked.time)
	}
	t.segs = keep
	if len(t.segs) == 0 {
		t.segsMixed = false
		if cap(t.segs) > 256 {
			t.segs = nil // give back what a burst grew
		}
	}
}

// inFlight is the span of sequence space from the start of the oldest
// unacknowledged segment that sent new data to the end of the newest: the
// bytes in flight.
func (t *dirTrack) inFlight() int64 {
	var lo, hi flow.Seq
	found := false
	for i := range t.segs {
		u := &t.segs[i]
		if !u.advanced {
			continue
		}
		if !found || u.first.LessThan(lo) {
			lo = u.first
		}
		if !found || hi.LessThan(u.nextSeq) {
			hi = u.nextSeq
		}
		found = true
	}
	if !found {
		return 0
	}
	return hi.Diff(lo)
}

// windowFull reports whether a segment ending at end fills the window this
// side (the receiver) last advertised: its last acknowledgment plus its window
// scaled by its shift, when the shift is known. Until it has sent a segment
// with ACK and without SYN after its SYN, its window is taken unscaled, as
// Wireshark does (its SYN-ACK's window is never scaled).
func (t *dirTrack) windowFull(c *Conn, d flow.Dir, end flow.Seq) bool {
	if t.window < 0 {
		return false
	}
	s, _ := c.EP[d.Reverse()].Scale(&c.EP[d])
	if s < 0 {
		return false
	}
	if t.firstAck {
		s = 0
	}
	return end == t.lastAck+flow.Seq(uint32(t.window)<<s)
}

// synAgain handles a SYN that repeats its side's first SYN (same sequence
// number): the expected sequence number goes back to the highest contiguous
// one, since a RST in between may have moved it (Wireshark restores it so).
func (a *analyzer) synAgain(d flow.Dir) {
	a.dir[d].nextSeq = a.dir[d].maxToBeAcked
}

// rstInWindow reports whether a RST sent in direction d is plausibly inside the
// receiver's window (see Conn.acceptRST).
func (a *analyzer) rstInWindow(seg *capture.Segment, d flow.Dir) bool {
	t, peer := &a.dir[d], &a.dir[d.Reverse()]
	if t.nextSeq == 0 || peer.maxWin == 0 {
		return true
	}
	off := flow.Seq(seg.Seq).Diff(t.nextSeq)
	return off >= -peer.maxWin-1 && off <= peer.maxWin
}
