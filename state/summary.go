package state

import (
	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
)

// DirStats are the per-direction facts a connection summary needs. They are
// accumulated segment by segment, so summary modes need no Records.
type DirStats struct {
	// ACK are the ACK RTTs of the segments sent in this direction, in ns:
	// every Record.AckRTT sample (Record.HasAckRTT), the time from a segment
	// to the ACK that ends exactly where it ends, as tcp.analysis.ack_rtt
	// (retransmission waits included; see Karn).
	ACK RTTStats
	// Karn are the round-trip times of this direction's segments that
	// were never sent again (Karn's rule: an ACK of a segment sent twice
	// does not say which copy it answers), from the segment to the ACK
	// that names its end exactly, as tcptrace samples them: no
	// retransmission timeout or SYN retry in them.
	Karn RTTStats
	// ZeroWindow is how long this side advertised a zero window, in ns (up to
	// the connection's last segment when it never reopened it).
	ZeroWindow int64
	zwSince    int64
	zwOpen     bool

	// The payload this side sent, as the capture saw it: UniqueBytes were
	// captured for the first time (lost before the capture point and
	// resent counts once, here); RexmtBytes had been captured before, in
	// RexmtSegs segments (tcptrace's "rexmt data bytes" and "rexmt data
	// pkts": a frame captured twice counts too). DataSegs counts the
	// segments with payload.
	DataSegs, UniqueBytes, RexmtSegs, RexmtBytes int64
	// seen is one past the highest payload byte captured (seenSet once
	// there is one); bytes below it were captured unless in a hole.
	seen    flow.Seq
	seenSet bool

	// holes are byte ranges of this direction's stream that were skipped
	// (a later segment or an ACK showed they were sent) and not seen since;
	// settled counts gap bytes dropped from the list when it was full.
	holes   []openHole
	settled int64

	// Out classifies this side's out-of-sequence segments and counts the
	// D-SACKs it sent (outseq.go).
	Out OutSeq
}

type hole struct{ lo, hi flow.Seq }

// openHole is a byte range not captured: at is when the capture first showed
// it missing, ipid the IPv4 id of the segment that did (0: none).
type openHole struct {
	hole
	at   int64
	ipid uint16
}

// maxHoles bounds the open holes kept per direction; older ones are counted
// as never filled.
const maxHoles = 64

// RTTStats are round-trip time samples in ns: count, min, max and sum.
type RTTStats struct {
	Min, Max, Sum int64
	Count         int
	// hist holds the samples for percentiles, Karn's only (rtthist.go).
	hist *rttHist
}

func (r *RTTStats) add(ns int64) {
	if r.Count == 0 || ns < r.Min {
		r.Min = ns
	}
	r.Max = max(r.Max, ns)
	r.Sum += ns
	r.Count++
}

// Avg is the mean in ns, or -1 without samples.
func (r *RTTStats) Avg() int64 {
	if r.Count == 0 {
		return -1
	}
	return r.Sum / int64(r.Count)
}

// RetransmissionRate is the share of the payload captured from this side
// that had been captured before: RexmtBytes / (UniqueBytes + RexmtBytes);
// 0 without payload.
func (s *DirStats) RetransmissionRate() float64 {
	if t := s.UniqueBytes + s.RexmtBytes; t > 0 {
		return float64(s.RexmtBytes) / float64(t)
	}
	return 0
}

// payload counts a segment's payload [lo, hi) as unique or retransmitted:
// the bytes below the highest one captured and not in a hole had been
// captured before. Call it before fill. It returns how many of its bytes
// had been captured before, and whether it started below the highest byte
// captured (out of sequence).
func (s *DirStats) payload(lo, hi flow.Seq) (again int64, behind bool) {
	n := hi.Diff(lo)
	s.DataSegs++
	if s.seenSet && lo.LessThan(s.seen) {
		behind = true
		top := hi
		if s.seen.LessThan(top) {
			top = s.seen
		}
		again = top.Diff(lo)
		for _, h := range s.holes {
			a, b := h.lo, h.hi
			if a.LessThan(lo) {
				a = lo
			}
			if top.LessThan(b) {
				b = top
			}
			if a.LessThan(b) {
				again -= b.Diff(a)
			}
		}
	}
	if again > 0 {
		s.RexmtSegs++
		s.RexmtBytes += again
	}
	s.UniqueBytes += n - max(again, 0)
	if !s.seenSet || s.seen.LessThan(hi) {
		s.seen, s.seenSet = hi, true
	}
	return max(again, 0), behind
}

// GapBytes is the payload this direction sent that the capture never showed:
// the sum of the holes in its sequence space that no segment filled. It is the
// observer's equivalent of Zeek's missed_bytes.
func (s *DirStats) GapBytes() int64 {
	n := s.settled
	for _, h := range s.holes {
		n += h.hi.Diff(h.lo)
	}
	return n
}

// Gaps is the number of distinct holes still open.
func (s *DirStats) Gaps() int { return len(s.holes) }

// addHole records [lo, hi) as not captured since time at (by a segment with
// IPv4 id ipid), merging with overlapping holes (the earliest time stays).
// It reports false, recording nothing, when the hole spans 2^31 bytes or
// more: sequence numbers that far apart cannot be ordered (RFC 9293 section
// 3.4; at exactly 2^31, lo comes before hi and hi before lo), so such a hole
// is no count of missing bytes. Merging never makes a wider one: a hole
// whose far end lies 2^31 bytes or more from the other's near end compares
// as lying before it, so the two are not taken to overlap.
func (s *DirStats) addHole(lo, hi flow.Seq, at int64, ipid uint16) bool {
	if hi.Diff(lo) <= 0 {
		return false
	}
	kept := s.holes[:0]
	for _, h := range s.holes {
		if hi.LessThan(h.lo) || h.hi.LessThan(lo) {
			kept = append(kept, h)
			continue
		}
		if h.lo.LessThan(lo) {
			lo = h.lo
		}
		if hi.LessThan(h.hi) {
			hi = h.hi
		}
		if h.at < at {
			at, ipid = h.at, h.ipid
		}
	}
	s.holes = append(kept, openHole{hole{lo, hi}, at, ipid})
	if len(s.holes) > maxHoles {
		s.settled += s.holes[0].hi.Diff(s.holes[0].lo)
		s.holes = s.holes[:copy(s.holes, s.holes[1:])]
	}
	return true
}

// fill removes [lo, hi) from the holes: those bytes were captured after all.
func (s *DirStats) fill(lo, hi flow.Seq) {
	if len(s.holes) == 0 || !lo.LessThan(hi) {
		return
	}
	// Rebuild the list after its current end, then move it down: no
	// allocation once the slice has room.
	n := len(s.holes)
	for i := 0; i < n; i++ {
		h := s.holes[i]
		if !lo.LessThan(h.hi) || !h.lo.LessThan(hi) {
			s.holes = append(s.holes, h)
			continue
		}
		if h.lo.LessThan(lo) {
			s.holes = append(s.holes, openHole{hole{h.lo, lo}, h.at, h.ipid})
		}
		if hi.LessThan(h.hi) {
			s.holes = append(s.holes, openHole{hole{hi, h.hi}, h.at, h.ipid})
		}
	}
	s.holes = s.holes[:copy(s.holes, s.holes[n:])]
}

// summarize updates the summary facts with one segment and its record.
func (c *Conn) summarize(seg *capture.Segment, d flow.Dir, rec *Record) {
	if c.lastTime != 0 {
		c.MaxIdle = max(c.MaxIdle, seg.Time-c.lastTime)
	}
	c.lastTime = seg.Time
	if rec.HasAckRTT() {
		c.Dir[d.Reverse()].ACK.add(rec.AckRTT)
	}
	s := &c.Dir[d]
	if seg.Flags&(capture.RST|capture.SYN) == 0 {
		switch {
		case seg.Window == 0 && !s.zwOpen:
			s.zwOpen, s.zwSince = true, seg.Time
		case seg.Window != 0 && s.zwOpen:
			s.zwOpen = false
			s.ZeroWindow += seg.Time - s.zwSince
		}
	}
	var lo, hi flow.Seq
	var again int64
	behind := false
	if seg.PayloadLen > 0 {
		lo = flow.Seq(seg.Seq)
		if seg.Flags&capture.SYN != 0 {
			lo = lo.Add(1) // a SYN's payload follows its sequence number
		}
		hi = lo.Add(seg.PayloadLen)
		if rec.SeqJump == 0 {
			again, behind = s.payload(lo, hi)
		} else {
			// A number too far to be real moves nothing: its bytes count
			// as new, the highest byte seen stays.
			s.DataSegs++
			s.UniqueBytes += int64(seg.PayloadLen)
			lo = hi
		}
	}
	if rec.Analysis&(Retransmission|OutOfOrder) != 0 {
		// Wireshark's out-of-sequence segments, told apart (outseq.go)
		// before their bytes fill the holes.
		c.outOfSequence(seg, d, rec, lo, hi, again, behind)
	}
	if seg.PayloadLen > 0 {
		s.fill(flow.Seq(seg.Seq), flow.Seq(seg.Seq).Add(seg.PayloadLen))
	}
	c.dsack(seg, d)
}

// finish closes what is still open at the end of the capture.
// Finish settles what can only be known at the end: it closes the
// reassembly (delivering what still waits and setting the hashes) and ends an
// open zero-window period at the last segment. Call it once, when the
// connection is finished.
func (c *Conn) Finish() {
	if c.Streams != nil {
		c.Streams.Close()
	}
	for d := range c.Dir {
		if s := &c.Dir[d]; s.zwOpen {
			s.zwOpen = false
			s.ZeroWindow += c.lastTime - s.zwSince
		}
	}
	c.finishStalls()
}
