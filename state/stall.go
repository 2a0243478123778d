package state

import (
	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
)

// Stalls: periods inside a connection with no progress for longer than a few
// round trips, each classified by what it waited for, as a passive observer
// can tell (docs/analysis.md, "Stalls").
//
// Progress is a segment that carries sequence space never seen before (new
// payload or a first FIN) or an acknowledgment beyond any its sender gave
// before. Everything else (repeats, duplicate ACKs, window updates,
// keep-alives, probes) is no progress. A stall is the time from one progress
// to the next when it is longer than the threshold:
//
//	max(StallFloor, 3 × RTT)
//
// with RTT the larger of the handshake RTT and each direction's median Karn
// RTT so far. Linux never times out a retransmission sooner than 200 ms (its
// minimum RTO) and delays an ACK at most that long, and a sender waits about
// one round trip between flights: a pause shorter than both is a connection
// working as it should.

// StallFloor is the shortest pause that can be a stall, in ns.
const StallFloor = 200e6

// StallCause is what a stall waited for.
type StallCause uint8

// The causes, from what a passive observer sees during the stall and at its
// end.
const (
	// StallRTOClient and StallRTOServer: that side sent again payload not
	// yet acknowledged during the stall: it waited for a retransmission
	// timeout (or probed a lost tail).
	StallRTOClient StallCause = iota
	StallRTOServer
	// StallZeroWindowClient and StallZeroWindowServer: that side
	// advertised a zero window during the stall: the peer could not send.
	StallZeroWindowClient
	StallZeroWindowServer
	// StallClientApp and StallServerApp: everything sent had been
	// acknowledged and that side's application spoke next (for the
	// server, a request acknowledged and answered late).
	StallClientApp
	StallServerApp
	// StallNetwork: data was outstanding and neither a retransmission nor
	// a zero window explains the wait (a late ACK, a path delay): "the
	// network".
	StallNetwork
	NumStallCauses
)

var stallCauseNames = [NumStallCauses]string{"rto_client", "rto_server", "zero_window_client", "zero_window_server",
	"client_app", "server_app", "network"}

// Name is the cause's name in JSON and verdict codes: "rto_client",
// "server_app", "network", ...
func (s StallCause) Name() string { return stallCauseNames[s] }

// Text says what the stall waited for: "a retransmission timeout of the
// client", "the server's application", ...
func (s StallCause) Text() string {
	switch s {
	case StallRTOClient, StallRTOServer:
		return "a retransmission timeout of the " + flow.Dir(s-StallRTOClient).Side()
	case StallZeroWindowClient, StallZeroWindowServer:
		return "the " + flow.Dir(s-StallZeroWindowClient).Side() + "'s zero window to open"
	case StallClientApp, StallServerApp:
		return "the " + flow.Dir(s-StallClientApp).Side() + "'s application"
	}
	return "the network"
}

// Stall is one period without progress.
type Stall struct {
	Cause StallCause
	// Frame and Time are the last progress before the stall (where it
	// starts); EndFrame is the progress that ended it (0 when the
	// connection ended first). Duration is in ns.
	Frame, EndFrame uint64
	Time, Duration  int64
}

// MaxLongestStalls is how many of a connection's stalls Stalls keeps whole.
const MaxLongestStalls = 3

// Stalls is what a connection's stalls add up to. It is allocated at the
// connection's first stall.
type Stalls struct {
	Total [NumStallCauses]int64 // time stalled per cause, in ns
	Count [NumStallCauses]int32 // stalls per cause
	// Longest are the longest stalls, longest first (ties: earliest).
	Longest  [MaxLongestStalls]Stall
	NLongest int
}

// All is the time stalled for every cause, in ns.
func (s *Stalls) All() int64 {
	if s == nil {
		return 0
	}
	var t int64
	for _, d := range s.Total {
		t += d
	}
	return t
}

// Kept returns the longest stalls kept, longest first.
func (s *Stalls) Kept() []Stall { return s.Longest[:s.NLongest] }

func (s *Stalls) add(st Stall) {
	s.Total[st.Cause] += st.Duration
	s.Count[st.Cause]++
	i := s.NLongest
	if i == MaxLongestStalls {
		if st.Duration <= s.Longest[i-1].Duration {
			return
		}
		i--
	} else {
		s.NLongest++
	}
	for i > 0 && s.Longest[i-1].Duration < st.Duration {
		s.Longest[i] = s.Longest[i-1]
		i--
	}
	s.Longest[i] = st
}

// stallTrack follows the progress of a connection segment by segment.
type stallTrack struct {
	started bool
	// hiSeq is one past the highest sequence number each side sent (payload
	// and FIN), hiAck the highest acknowledgment each side sent.
	hiSeq, hiAck   [2]flow.Seq
	seqSet, ackSet [2]bool
	last           int64  // time of the last progress
	lastFrame      uint64 // its frame
	// Since the last progress: which side sent payload again, which
	// advertised a zero window (zeroNow: its latest window is zero).
	rexmt, zero, zeroNow [2]bool
}

// outstanding reports whether some sequence space sent is not acknowledged
// (or its acknowledgment was never seen).
func (t *stallTrack) outstanding() bool {
	for d := range 2 {
		if t.seqSet[d] && (!t.ackSet[1-d] || t.hiAck[1-d].LessThan(t.hiSeq[d])) {
			return true
		}
	}
	return false
}

// stall follows one segment (after its analysis) for the stalls. The
// handshake is left out: the connect time tells its waits; so is a frame
// the capture wrote twice (its copy is no retransmission).
func (c *Conn) stall(seg *capture.Segment, d flow.Dir, rec *Record) {
	t := &c.stallT
	if seg.Flags&capture.SYN != 0 || rec.SeqJump != 0 || rec.AckJump != 0 || rec.Artifacts&DuplicateFrame != 0 {
		return
	}
	if !t.started {
		t.started, t.last, t.lastFrame = true, seg.Time, seg.Frame
	}
	seq := flow.Seq(seg.Seq)
	end := seq.Add(seg.PayloadLen)
	fin := seg.Flags&capture.FIN != 0
	if fin {
		end = end.Add(1)
	}
	newData := (seg.PayloadLen > 0 || fin) && (!t.seqSet[d] || t.hiSeq[d].LessThan(end))
	ackAdv := seg.Flags&capture.ACK != 0 && (!t.ackSet[d] || t.hiAck[d].LessThan(flow.Seq(seg.Ack)))
	if seg.PayloadLen > 0 && rec.Analysis&Retransmission != 0 {
		t.rexmt[d] = true
	}
	if newData || ackAdv {
		c.progress(seg, d, newData, ackAdv, end)
	}
	// The segment's own window tells of the time after it: it is counted
	// after the stall it ends.
	if seg.Flags&capture.RST == 0 {
		t.zeroNow[d] = seg.Window == 0
		t.zero[d] = t.zero[d] || t.zeroNow[d]
	}
}

// progress ends the pause before a segment that made progress, a stall when
// it was long enough, and starts the next.
func (c *Conn) progress(seg *capture.Segment, d flow.Dir, newData, ackAdv bool, end flow.Seq) {
	t := &c.stallT
	if gap := seg.Time - t.last; gap > StallFloor && gap > 3*c.stallRTT() {
		cause, ok := t.cause(d, seg.PayloadLen > 0 && newData)
		if ok {
			if c.Stalls == nil {
				c.Stalls = new(Stalls)
			}
			c.Stalls.add(Stall{Cause: cause, Frame: t.lastFrame, EndFrame: seg.Frame, Time: t.last, Duration: gap})
		}
	}
	if newData {
		t.hiSeq[d], t.seqSet[d] = end, true
	}
	if ackAdv {
		t.hiAck[d], t.ackSet[d] = flow.Seq(seg.Ack), true
	}
	t.last, t.lastFrame = seg.Time, seg.Frame
	t.rexmt, t.zero = [2]bool{}, t.zeroNow
}

// cause classifies a stall that ends now with a segment from side d (spoke
// says it carries new payload): a zero window seen during it, else a
// retransmission, else data outstanding (the network), else the application
// of the side that spoke. A pause that ends with a bare FIN or ACK and nothing
// outstanding is idleness before a close, no stall.
func (t *stallTrack) cause(d flow.Dir, spoke bool) (StallCause, bool) {
	for s := range 2 {
		if t.zero[s] {
			return StallZeroWindowClient + StallCause(s), true
		}
	}
	for s := range 2 {
		if t.rexmt[s] {
			return StallRTOClient + StallCause(s), true
		}
	}
	switch {
	case t.outstanding():
		return StallNetwork, true
	case spoke:
		return StallClientApp + StallCause(d), true
	}
	return 0, false
}

// stallRTT is the round trip a stall is measured against: the larger of the
// handshake RTT and each direction's median Karn RTT so far (0 when none is
// known).
func (c *Conn) stallRTT() int64 {
	r := max(c.HandshakeRTT, 0)
	for d := range c.Dir {
		r = max(r, c.Dir[d].Karn.Percentile(50))
	}
	return r
}

// finishStalls closes a stall still going on at the connection's last
// segment when something was being resent or a zero window held it: a
// connection that died waiting. An idle end is no stall.
func (c *Conn) finishStalls() {
	t := &c.stallT
	if !t.started {
		return
	}
	gap := c.lastTime - t.last
	if gap <= StallFloor || gap <= 3*c.stallRTT() {
		return
	}
	if !t.zero[0] && !t.zero[1] && !t.rexmt[0] && !t.rexmt[1] {
		return
	}
	cause, _ := t.cause(flow.Client, false)
	if c.Stalls == nil {
		c.Stalls = new(Stalls)
	}
	c.Stalls.add(Stall{Cause: cause, Frame: t.lastFrame, Time: t.last, Duration: gap})
	t.last = c.lastTime // Finish may be called once only, but be safe
}
