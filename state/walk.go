package state

import (
	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
)

// Walk follows a finished connection's records in capture order and says,
// for each, what it does in the conversation beyond its analysis flags: how
// far its acknowledgment moves and which of the peer's segments that covers,
// whether it is an ACK alone or rides on data, whether its sender held it
// back (a delayed ACK), whether the window changed, whether it carries data
// after the peer's FIN (a half-close). These are facts for explanations; the
// analysis does not use them.
//
// A Walk keeps a few numbers per direction and at most MaxPending
// unacknowledged segments, so it can walk millions of records (feed it
// Records.All).
type Walk struct {
	c   *Conn
	dir [2]walkDir
	cov []Pending // Step.Covered's backing array
}

type walkDir struct {
	ackSet bool
	ack    uint32 // highest relative acknowledgment this side has sent
	// last is this side's latest segment that uses sequence space, sent
	// again or not: when an ACK covers it, it may be what prompted the ACK.
	last    Pending
	lastSet bool
	winSet  bool
	win     int64 // last window this side advertised outside a SYN or RST
	finSet  bool  // this side has sent a FIN
	// pending are this side's segments that carry sequence space (data, SYN,
	// FIN) and that the peer has not acknowledged yet, oldest first; dropped
	// counts those left out when the list was full.
	pending []Pending
	dropped int
}

// MaxPending is how many unacknowledged segments a Walk remembers per
// direction; an acknowledgment covering more reports the rest as a count.
const MaxPending = 16

// Pending is a segment that uses sequence space, as a Walk remembers it.
type Pending struct {
	Frame    uint64
	Time     int64
	Seq      uint32 // relative
	Len      int    // payload bytes
	SYN, FIN bool
}

// End is the relative sequence number after the segment: its sequence
// number plus its length, plus one for a SYN and one for a FIN.
func (p Pending) End() uint32 {
	e := p.Seq + uint32(p.Len)
	if p.SYN {
		e++
	}
	if p.FIN {
		e++
	}
	return e
}

// Step is what one segment does in the conversation (Walk.Step).
type Step struct {
	// HadAck says the sender had acknowledged something before; PrevAck is
	// its highest relative acknowledgment until then, and Advance how far
	// this segment moves it (0 when it does not).
	HadAck  bool
	PrevAck uint32
	Advance uint32
	// Covered lists the peer's segments this acknowledgment covers for the
	// first time, oldest first; CoveredMore counts those a full list left
	// out. Covered is valid until the next Step.
	Covered     []Pending
	CoveredMore int
	// Pure is an ACK alone: no data, SYN, FIN or RST.
	Pure bool
	// Piggyback is set when the segment carries data or a FIN and also
	// acknowledges something new: one segment instead of two.
	Piggyback bool
	// HeldFor is how long the sender held this ACK back: the time from the
	// capture of the last segment it covers to the ACK, less the round trip
	// between the capture point and the sender (Conn.PathRTT); -1 when the
	// segment covers nothing or the round trip is unknown. Delayed is set
	// for a pure ACK held at least 5 ms and at least that round trip: a
	// delayed ACK (RFC 9293 section 3.8.6.3).
	HeldFor int64
	Delayed bool
	// PrevWin is the sender's previous window (scaled when the scale is
	// known, as Record.WinScaled) outside SYNs and RSTs, -1 when this is its
	// first; WinChanged says this segment's window differs from it.
	PrevWin    int64
	WinChanged bool
	// HalfClose is set on data sent after the peer's FIN: the peer closed its
	// direction and this side still sends.
	HalfClose bool
}

// NewWalk starts a walk through c's records.
func NewWalk(c *Conn) *Walk { return &Walk{c: c, cov: make([]Pending, 0, MaxPending)} }

// Step takes the next record and says what it does.
func (w *Walk) Step(r *Record) Step {
	snd, peer := &w.dir[r.Dir], &w.dir[r.Dir.Reverse()]
	st := Step{HeldFor: -1, PrevWin: -1, HadAck: snd.ackSet, PrevAck: snd.ack}
	syn, fin, rst := r.Flags&capture.SYN != 0, r.Flags&capture.FIN != 0, r.Flags&capture.RST != 0

	if r.Flags&capture.ACK != 0 && !rst {
		a := flow.Seq(r.RelAck)
		if !snd.ackSet || flow.Seq(snd.ack).LessThan(a) {
			if snd.ackSet {
				st.Advance = r.RelAck - snd.ack
			}
			snd.ack, snd.ackSet = r.RelAck, true
			w.cover(&st, peer, a)
		}
	}
	st.Pure = r.Flags&capture.ACK != 0 && r.Len == 0 && !syn && !fin && !rst
	st.Piggyback = (r.Len > 0 || fin) && len(st.Covered)+st.CoveredMore > 0
	if n := len(st.Covered); n > 0 {
		if rtt := w.c.PathRTT(r.Dir); rtt >= 0 {
			since := st.Covered[n-1].Time
			if peer.lastSet && flow.Seq(peer.last.End()).LessEq(flow.Seq(r.RelAck)) {
				since = max(since, peer.last.Time) // a retransmission that filled a gap
			}
			st.HeldFor = r.Time - since - rtt
			st.Delayed = st.Pure && st.HeldFor >= 5e6 && st.HeldFor >= rtt
		}
	}
	if !syn && !rst {
		win := r.WinScaled
		if win < 0 {
			win = int64(r.Win)
		}
		if snd.winSet {
			st.PrevWin, st.WinChanged = snd.win, win != snd.win
		}
		snd.win, snd.winSet = win, true
	}
	st.HalfClose = r.Len > 0 && peer.finSet
	if syn || fin || r.Len > 0 {
		w.sent(snd, r, syn, fin)
	}
	if fin {
		snd.finSet = true
	}
	return st
}

// cover moves the peer's pending segments that end at or before a into
// st.Covered.
func (w *Walk) cover(st *Step, peer *walkDir, a flow.Seq) {
	w.cov = w.cov[:0]
	n := 0
	for _, p := range peer.pending {
		if !flow.Seq(p.End()).LessEq(a) {
			break
		}
		w.cov = append(w.cov, p)
		n++
	}
	// The segments a full list dropped are older than every one kept.
	if peer.dropped > 0 && (n > 0 || flow.Seq(peer.pending[0].Seq).LessEq(a)) {
		st.CoveredMore, peer.dropped = peer.dropped, 0
	}
	peer.pending = append(peer.pending[:0], peer.pending[n:]...)
	st.Covered = w.cov
}

// sent remembers a segment that uses sequence space, unless it only repeats
// what is already pending or acknowledged.
func (w *Walk) sent(snd *walkDir, r *Record, syn, fin bool) {
	p := Pending{Frame: r.Frame, Time: r.Time, Seq: r.RelSeq, Len: r.Len, SYN: syn, FIN: fin}
	snd.last, snd.lastSet = p, true
	end := flow.Seq(p.End())
	peer := &w.dir[r.Dir.Reverse()]
	if peer.ackSet && end.LessEq(flow.Seq(peer.ack)) {
		return // all acknowledged already: a retransmission
	}
	if k := len(snd.pending); k > 0 && end.LessEq(flow.Seq(snd.pending[k-1].End())) {
		return // within what is pending: a retransmission
	}
	// Pending segments that this one repeats whole (a zero window probe
	// whose byte a full segment sends again) give way to it.
	for k := len(snd.pending); k > 0 && flow.Seq(p.Seq).LessEq(flow.Seq(snd.pending[k-1].Seq)); k-- {
		snd.pending = snd.pending[:k-1]
	}
	if len(snd.pending) == MaxPending {
		snd.pending = append(snd.pending[:0], snd.pending[1:]...)
		snd.dropped++
	}
	snd.pending = append(snd.pending, p)
}

// PathRTT is the round trip between the capture point and side d, from the
// handshake: for the server the SYN to SYN-ACK time, for the client the
// SYN-ACK to ACK time; -1 when the handshake was not seen whole.
func (c *Conn) PathRTT(d flow.Dir) int64 {
	switch {
	case c.HandshakeRTT < 0 || c.SynAckRTT < 0:
		return -1
	case d == flow.Server:
		return c.SynAckRTT
	}
	return c.HandshakeRTT - c.SynAckRTT
}
