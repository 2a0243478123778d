package state

import (
	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
)

// What limited a direction's rate, in the spirit of T-RAT (Zhang, Breslau,
// Paxson, Shenker, "On the characteristics and origins of Internet flow
// rates", SIGCOMM 2002): a sender whose flights fill the window its peer
// advertises is held back by the receiver; one that loses data and backs off
// by congestion; one that keeps going idle with nothing in flight by its own
// application; one that sends steadily below the window without loss by the
// path's bandwidth (or its own congestion window, which a passive observer
// cannot tell apart). T-RAT groups packets into flights by the RTT; here the
// same evidence is gathered segment by segment, with no per-segment memory
// (docs/analysis.md, "Rate-limiting factor", gives the rules).

// Limit is what limited a direction's rate.
type Limit uint8

// The limiting factors.
const (
	LimitUnknown        Limit = iota // too little data to tell
	LimitApplication                 // the sender's application had nothing more to send
	LimitReceiverWindow              // the peer's advertised window
	LimitCongestion                  // losses and the sender's backing off
	LimitBandwidth                   // steady below the window, no loss
)

var limitNames = [...]string{"unknown", "application", "receiver_window", "congestion", "bandwidth"}

// Name is the factor's name in JSON: "receiver_window", ...
func (l Limit) Name() string { return limitNames[l] }

// Text says the factor in words.
func (l Limit) Text() string {
	return [...]string{"too little data to tell", "application-limited", "receiver-window-limited",
		"congestion/loss-limited", "bandwidth-limited"}[l]
}

// RateEvidence is what a direction's sending showed of its limits.
type RateEvidence struct {
	// DataSegs counts the segments with new payload (retransmissions left
	// out); FirstData and LastData are the first's and the last's times.
	DataSegs            int64
	FirstData, LastData int64
	// PeakInFlight is the most bytes in flight after a segment (Wireshark's
	// bytes_in_flight), PeerWindow the window (scaled) the peer had last
	// advertised then; -1 when unknown.
	PeakInFlight, PeerWindow int64
	// Flights counts the runs of new-payload segments sent (with the
	// peer's window and the bytes in flight known) between two of the
	// peer's ACKs, FullFlights those that left less than one of the
	// sender's largest segments of the peer's window unused.
	Flights, FullFlights int64
	// LossEvents counts the loss episodes: a retransmission of data sent
	// after the previous episode began (one per window of data, as NewReno
	// recovers). Resent counts the segments with payload sent again
	// (frames the capture wrote twice left out).
	LossEvents, Resent int64
	// Idle is the time, between the first and the last new payload, with
	// none of this side's data in flight before it sent more, in ns.
	Idle int64

	maxSeg            int64    // the largest payload sent
	advWin            int64    // the window this side last advertised, scaled; -1 unknown
	recover           flow.Seq // the highest sequence sent when the last loss episode began
	inLoss, idle      bool
	flight, full      bool // a flight is open; it filled the window
	idleSince         int64
	advSet, firstSeen bool
}

// rate follows one segment for the rate-limiting evidence (after stall, whose
// sequence tracking it reads).
func (c *Conn) rate(seg *capture.Segment, d flow.Dir, rec *Record) {
	r, peer := &c.Rate[d], &c.Rate[d.Reverse()]
	t := &c.stallT
	if rec.Artifacts&DuplicateFrame != 0 {
		return // a copy of a frame: no loss, no new data
	}
	if seg.Flags&capture.RST == 0 && rec.WinScaled >= 0 {
		r.advWin, r.advSet = rec.WinScaled, true
	}
	// An ACK ends the peer's flight.
	if seg.Flags&capture.ACK != 0 && peer.flight {
		peer.Flights++
		if peer.full {
			peer.FullFlights++
		}
		peer.flight, peer.full = false, false
	}
	// The peer's data all acknowledged: it has nothing in flight from now.
	if seg.Flags&capture.ACK != 0 && t.seqSet[d.Reverse()] && t.ackSet[d] && !t.hiAck[d].LessThan(t.hiSeq[d.Reverse()]) &&
		peer.firstSeen && !peer.idle {
		peer.idle, peer.idleSince = true, seg.Time
	}
	if seg.PayloadLen == 0 || seg.Flags&capture.SYN != 0 {
		return
	}
	n := int64(seg.PayloadLen)
	if rec.Analysis&Retransmission != 0 {
		r.Resent++
		if !r.inLoss || !flow.Seq(seg.Seq).LessThan(r.recover) {
			r.LossEvents++
			r.inLoss, r.recover = true, t.hiSeq[d]
		}
		return
	}
	r.maxSeg = max(r.maxSeg, n)
	r.DataSegs++
	if !r.firstSeen {
		r.firstSeen, r.FirstData, r.PeakInFlight, r.PeerWindow = true, seg.Time, -1, -1
	}
	r.LastData = seg.Time
	if r.idle {
		r.Idle += seg.Time - r.idleSince
		r.idle = false
	}
	if rec.InFlight >= 0 && peer.advSet {
		r.flight = true
		if rec.InFlight+r.maxSeg > peer.advWin {
			r.full = true
		}
		if rec.InFlight > r.PeakInFlight {
			r.PeakInFlight, r.PeerWindow = rec.InFlight, peer.advWin
		}
	}
}

// LimitedBy decides what limited direction d's rate, by these rules in order
// (docs/analysis.md): fewer than 8 new segments or under 3 round trips of
// sending is too little data; the peer advertising a zero window for at least
// a tenth of the sending time, or at least 30 % of the flights leaving less than a segment of its window unused, is
// the receiver's window; a loss episode with at least 1 % as many
// segments sent again as new ones is congestion; at least 30 % of the sending time with
// nothing in flight is the application; anything else is bandwidth.
func (c *Conn) LimitedBy(d flow.Dir) Limit {
	r := &c.Rate[d]
	active := r.LastData - r.FirstData
	switch {
	case r.DataSegs < 8 || active < 3*c.stallRTT():
		return LimitUnknown
	case 10*c.Dir[d.Reverse()].ZeroWindow >= active || r.Flights > 0 && 10*r.FullFlights >= 3*r.Flights:
		return LimitReceiverWindow
	case r.LossEvents > 0 && 100*r.Resent >= r.DataSegs:
		return LimitCongestion
	case 10*r.Idle >= 3*active:
		return LimitApplication
	}
	return LimitBandwidth
}
