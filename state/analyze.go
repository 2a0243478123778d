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

// analyzer holds the per-direction sequence tracking behind the findings.
type analyzer struct {
	dir [2]dirTrack
}

// unacked is a segment that carries sequence space and is not yet acknowledged.
type unacked struct {
	frame        uint64
	time         int64
	seq, nextSeq flow.Seq
}

// dirTrack is what is known of the segments one side has sent.
type dirTrack struct {
	nextSeq      flow.Seq // one past the highest sequence number sent
	nextSeqSet   bool
	nextSeqTime  int64
	maxToBeAcked flow.Seq // highest sequence number the peer may acknowledge
	maxSet       bool
	lastAck      flow.Seq // last acknowledgment number this side sent
	lastAckSet   bool
	lastAckTime  int64
	window       int64 // last window this side advertised (scaled when the scale is known)
	windowSet    bool
	maxWin       int64 // largest window advertised, for judging RSTs
	dupAcks      uint32
	lastNonDup   uint64 // frame of the last ACK that was not a duplicate
	lastFindings Analysis
	validBIF     bool
	segs         []unacked // unacknowledged segments in the order sent
}

func (a *analyzer) init() {}

const noFlags = capture.SYN | capture.FIN | capture.RST

// analyze classifies one segment sent in direction d and updates the tracking.
func (a *analyzer) analyze(c *Conn, seg *capture.Segment, d flow.Dir, rec *Record) {
	fwd, rev := &a.dir[d], &a.dir[d.Reverse()]
	seq, ack := flow.Seq(seg.Seq), flow.Seq(seg.Ack)
	seglen := seg.PayloadLen
	flags := seg.Flags
	plain := flags&noFlags == 0
	window := rec.WinScaled
	if window < 0 {
		window = int64(seg.Window)
	}
	var f Analysis

	// Tests in Wireshark's order; a zero window probe, keep-alive ACK or zero
	// window probe ACK ends the first group.
	func() {
		if seglen == 1 && fwd.nextSeqSet && seq == fwd.nextSeq && rev.windowSet && rev.window == 0 {
			f |= ZeroWindowProbe
			return
		}
		if window == 0 && plain {
			f |= ZeroWindow
		}
		if fwd.nextSeqSet && fwd.nextSeq.LessThan(seq) && flags&capture.RST == 0 {
			f |= LostSegment
			fwd.validBIF = false
			c.hole(d, fwd.nextSeq, seq, seg, rec, false)
		}
		if (seglen == 0 || seglen == 1) && fwd.nextSeqSet && seq == fwd.nextSeq-1 && plain {
			f |= KeepAlive
		}
		sameAck := fwd.nextSeqSet && seq == fwd.nextSeq && fwd.lastAckSet && ack == fwd.lastAck
		if seglen == 0 && window != 0 && fwd.windowSet && window != fwd.window && sameAck && plain {
			f |= WindowUpdate
		}
		if seglen > 0 && rev.windowSet && rev.lastAckSet && rev.scaleKnown(c, d) &&
			seq.Add(seglen) == rev.lastAck.Add(int(rev.window)) && plain {
			f |= WindowFull
		}
		if seglen == 0 && fwd.windowSet && window == fwd.window && sameAck && plain {
			if rev.lastFindings&KeepAlive != 0 {
				f |= KeepAliveAck
				return
			}
			if window == 0 && rev.lastFindings&ZeroWindowProbe != 0 {
				f |= ZeroWindowProbeAck
				return
			}
			if window != 0 {
				fwd.dupAcks++
				f |= DuplicateAck
				rec.DupAckNum, rec.DupAckOf = fwd.dupAcks, fwd.lastNonDup
			}
		}
	}()
	// The duplicate-ACK count restarts when the acknowledgment number
	// changes (not on every segment that is not a duplicate ACK: data
	// segments carrying the same ACK keep it, as in Wireshark 3.x and 4.0).
	if !fwd.lastAckSet || ack != fwd.lastAck {
		fwd.lastNonDup, fwd.dupAcks = seg.Frame, 0
	}

	// An ACK beyond everything seen from the peer acknowledges data the
	// capture missed.
	if flags&capture.ACK != 0 && rev.maxSet && rev.maxToBeAcked.LessThan(ack) {
		f |= AckLostSegment
		c.hole(d.Reverse(), rev.nextSeq, ack, seg, rec, true)
		rev.maxToBeAcked = rev.nextSeq
	}

	// Sequence space sent again: which kind of retransmission. A segment
	// whose bytes the peer has all acknowledged is spurious whether or not it
	// is behind the highest sequence number seen; the other kinds need it to
	// be behind (except one byte behind with more than one byte: new data
	// after a zero window probe).
	if (seglen > 0 || flags&(capture.SYN|capture.FIN) != 0) && f&KeepAlive == 0 {
		notAdvanced := fwd.nextSeqSet && seq.LessThan(fwd.nextSeq)
		if seglen > 1 && fwd.nextSeqSet && fwd.nextSeq.Add(-1) == seq {
			notAdvanced = false
		}
		end := seq.Add(seglen)
		if flags&(capture.SYN|capture.FIN) != 0 {
			end = end.Add(1) // SYN and FIN occupy one sequence number each
		}
		ooo := int64(3e6)
		if c.HandshakeRTT > 0 {
			ooo = c.HandshakeRTT
		}
		switch {
		case seglen > 0 && rev.lastAckSet && seq.Add(seglen).LessEq(rev.lastAck):
			// Wireshark sets tcp.analysis.retransmission as well on
			// spurious and fast retransmissions.
			f |= SpuriousRetransmission | Retransmission
		case !notAdvanced:
		case rev.dupAcks >= 2 && rev.lastAck == seq && seg.Time-rev.lastAckTime < 20e6:
			f |= FastRetransmission | Retransmission
		case seg.Time-fwd.nextSeqTime < ooo && fwd.nextSeq != end:
			f |= OutOfOrder
		default:
			f |= Retransmission
		}
	}

	// Advance the tracking.
	next := seq.Add(seglen)
	if flags&(capture.SYN|capture.FIN) != 0 {
		next = next.Add(1)
	}
	if (!fwd.nextSeqSet || fwd.nextSeq.LessThan(next)) && f&ZeroWindowProbe == 0 && flags&capture.RST == 0 && rec.SeqJump == 0 {
		fwd.nextSeq, fwd.nextSeqSet, fwd.nextSeqTime = next, true, seg.Time
		if seglen > 0 || flags&(capture.SYN|capture.FIN) != 0 {
			fwd.segs = append(fwd.segs, unacked{frame: seg.Frame, time: seg.Time, seq: seq, nextSeq: next})
		}
	}
	// The highest sequence number the peer may acknowledge advances only
	// with contiguous segments (one that starts where it stands): an ACK
	// beyond a hole acknowledges bytes the capture missed.
	if (!fwd.maxSet || seq == fwd.maxToBeAcked) && f&ZeroWindowProbe == 0 && fwd.nextSeqSet {
		fwd.maxToBeAcked, fwd.maxSet = fwd.nextSeq, true
	}
	// Wireshark remembers the window of every segment, a RST's too (whose
	// window is usually 0, so data the peer still sends after it can be
	// zero-window probes). The largest window, for judging RSTs, leaves
	// RSTs out.
	fwd.window, fwd.windowSet = window, true
	if flags&capture.RST == 0 {
		fwd.maxWin = max(fwd.maxWin, window)
	}
	if flags&capture.ACK != 0 {
		fwd.lastAck, fwd.lastAckSet, fwd.lastAckTime = ack, true, seg.Time
		fwd.validBIF = true
		// Drop what this ACK covers; the first one gives the ACK's RTT.
		n := 0
		for n < len(rev.segs) && rev.segs[n].nextSeq.LessEq(ack) {
			if n == 0 {
				rec.AckOf, rec.AckRTT = rev.segs[0].frame, seg.Time-rev.segs[0].time
			}
			n++
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
	fwd.lastFindings = f
	rec.Analysis |= f
}

// scaleKnown reports whether the window scale of the side that receives in
// direction d is known (Wireshark's win_scale != -1).
func (t *dirTrack) scaleKnown(c *Conn, d flow.Dir) bool {
	s, _ := c.EP[d.Reverse()].Scale(&c.EP[d])
	return s >= 0
}

// rstInWindow reports whether a RST sent in direction d is plausibly inside the
// receiver's window (see Conn.acceptRST).
func (a *analyzer) rstInWindow(seg *capture.Segment, d flow.Dir) bool {
	t, peer := &a.dir[d], &a.dir[d.Reverse()]
	if !t.nextSeqSet || peer.maxWin == 0 {
		return true
	}
	off := flow.Seq(seg.Seq).Diff(t.nextSeq)
	return off >= -peer.maxWin-1 && off <= peer.maxWin
}
