package state

import "github.com/tcpflow/tcpflow/flow"

// Endpoint is what the capture shows of one side of a connection.
type Endpoint struct {
	Side  flow.Dir
	State State

	// SYNSeen is set when this side's SYN (or SYN-ACK) was captured; ISN, MSS,
	// WScale, SACKPermitted and Timestamps describe that SYN.
	SYNSeen  bool
	SYNFrame uint64 // frame of its first SYN
	// SYNACK is set when that first SYN carried ACK (it answered the peer's
	// SYN); a bare SYN from both sides is a simultaneous open.
	SYNACK bool
	ISN    uint32
	MSS    int32 // -1: not offered, or SYN not seen
	// WScale is the shift this side offered on its SYN: -1 when it offered none
	// or its SYN was not seen (SYNSeen tells which).
	WScale        int8
	SACKPermitted bool
	Timestamps    bool // sent the timestamps option on its SYN (or, mid-stream, on any segment)
	FINFrame      uint64
	RSTFrame      uint64
	// Refused is set when this side answered the peer's SYN with RST and
	// never sent a SYN of its own: nothing listened, no handshake happened,
	// so nothing (window scale included) was ever agreed.
	Refused bool

	// base is the sequence number relative numbers count from: the ISN when
	// the SYN was seen, else one less than the first sequence number seen.
	base    uint32
	baseSet bool

	// Facts from which State is derived; each only ever becomes true.
	sentSYN, gotSYN, synAcked bool
	sentFIN, gotFIN, finAcked bool
	finFirst                  bool // sent its FIN before it got the peer's
	reset                     bool
	assumed                   bool // joined mid-stream: synchronized by assumption
	initial                   State
	synSeq                    uint32 // seq of its SYN
	finSeq                    uint32 // seq the FIN occupies
}

// derive computes the endpoint's state from its facts (RFC 9293 figure 5, read by
// an observer that sees each segment arrive when it is captured).
func (e *Endpoint) derive() State {
	switch {
	case e.reset:
		return Closed
	case !e.sentSYN && !e.gotSYN:
		return e.initial
	case !e.gotSYN:
		return SynSent
	case !e.sentSYN || !e.synAcked:
		return SynReceived
	case !e.sentFIN && !e.gotFIN:
		return Established
	case !e.gotFIN:
		if e.finAcked {
			return FinWait2
		}
		return FinWait1
	case !e.sentFIN:
		return CloseWait
	case e.finFirst:
		if e.finAcked {
			return TimeWait
		}
		return Closing
	case e.finAcked:
		return Closed
	}
	return LastAck
}

// Scale returns the window-scale shift that applies to windows this side sends,
// given the peer, and whether it is assumed rather than seen agreed:
//   - both SYNs seen with the option (RFC 7323 section 2.2): the shift this side
//     offered (above 14 counts as 14);
//   - both SYNs seen and either lacks it: 0, scaling is off both ways;
//   - this side's SYN seen with the option but the peer's SYN not captured: its
//     shift, assumed agreed, as Wireshark assumes (a peer that answers a SYN
//     offering scaling almost always offers it too); with no option: 0;
//   - this side's SYN not captured: -1, unknown; unless the peer's SYN was
//     seen without the option, which turns scaling off both ways: 0;
//   - either side refused the connection (Refused): 0, since no SYN was
//     answered and nothing was agreed.
func (e *Endpoint) Scale(peer *Endpoint) (shift int, assumed bool) {
	switch {
	case e.Refused || peer.Refused:
		return 0, false
	case !e.SYNSeen && peer.SYNSeen && peer.WScale < 0:
		return 0, false // the peer's SYN did not offer scaling: it is off both ways
	case !e.SYNSeen:
		return -1, false
	case e.WScale < 0 || (peer.SYNSeen && peer.WScale < 0):
		return 0, false
	}
	return int(min(e.WScale, 14)), !peer.SYNSeen
}
