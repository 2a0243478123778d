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

// unacked is a segment that carries sequence space and is not yet acknowledged.
type unacked struct {
	frame        uint64
	time         int64
	seq, nextSeq flow.Seq
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
	firstAck     bool      // sent a SYN and no segment with ACK and without SYN since
	segs         []unacked // unacknowledged segments in the order sent
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
	// A segment whose number jumped too far to be real (rec.SeqJump) is
	// one a receiver discards: it moves nothing.
	if (seglen > 0 || flags&(capture.SYN|capture.FIN) != 0) && len(fwd.segs) < maxUnacked {
		if flags&(capture.SYN|capture.FIN) != 0 {
			next = next.Add(1)
		}
		if (fwd.nextSeq == 0 || fwd.nextSeq.LessThan(next)) && f&ZeroWindowProbe == 0 && flags&capture.RST == 0 && rec.SeqJump == 0 {
			// Listed for the ACK RTT: the segments that send new data.
			fwd.segs = append(fwd.segs, unacked{frame: seg.Frame, time: seg.Time, seq: seq, nextSeq: next})
		}
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
	if flags&capture.ACK != 0 {
		// Drop what this ACK covers; the first one gives the ACK's RTT.
		n, karn, resent := 0, int64(-1), false
		if rev.rexmtSet && rev.rexmtEnd.LessEq(ack) {
			resent, rev.rexmtSet = true, false
		}
		for n < len(rev.segs) && rev.segs[n].nextSeq.LessEq(ack) {
			if n == 0 {
				rec.AckOf, rec.AckRTT = rev.segs[0].frame, seg.Time-rev.segs[0].time
			}
			u := &rev.segs[n]
			resent = resent || u.resent
			if u.nextSeq == ack && !u.resent && seg.Time >= u.time {
				karn = seg.Time - u.time
			}
			n++
		}
		if karn >= 0 && !resent {
			// The segment this ACK names exactly, when nothing it
			// covers was sent twice: a round trip by Karn's rule (as
			// tcptrace samples it). An ACK that also covers a resent
			// segment came when the resending filled a hole: its time
			// is the recovery's, not a round trip.
			c.Dir[d.Reverse()].Karn.sample(karn)
		}
		if n > 0 {
			rev.segs = rev.segs[:copy(rev.segs, rev.segs[n:])]
		}
	}
	if seglen > 0 && fwd.validBIF && len(fwd.segs) > 0 {
		first, last := fwd.segs[0].seq, fwd.segs[0].nextSeq
		for _, u := range fwd.segs[1:] {
			if u.seq.LessThan(first) {
				first = u.seq
			}
			if last.LessThan(u.nextSeq) {
				last = u.nextSeq
			}
		}
		if in := last.Diff(first); in > 0 {
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
		if u := &t.segs[i]; lo.LessThan(u.nextSeq) && u.seq.LessThan(hi) {
			u.resent = true
		}
	}
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
