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
	// A SYN-ACK with another ISN than ISN's (a second answer to the peer's
	// SYN): its ISN and frame. ISN and SYNFrame are those of the SYN-ACK the
	// peer acknowledged last (the first one until the peer shows otherwise).
	altISN   uint32
	altFrame uint64
	altSet   bool
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
	ws                        int8   // shift applied to its windows: wsUnknown, wsNone or 0..14
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
// given the peer, and whether it is assumed rather than seen agreed. It is the
// shift Wireshark applies (see scaleState): the one this side offered when
// both SYNs offered scaling (above 14 counts as 14), or when only its own SYN
// was captured, assumed agreed as Wireshark assumes (a peer that answers a SYN
// offering scaling almost always offers it too); 0 when either SYN was seen
// without the option (scaling is then off both ways); -1, unknown, when this
// side's SYN was not captured and the peer's did not turn scaling off; 0
// when this side refused the connection (Refused): it sent no SYN, so its
// windows are not scaled. (The refused side's windows keep the shift its SYN
// offered, as Wireshark keeps it: a RST it sends after the refusal is
// scaled.)
func (e *Endpoint) Scale(peer *Endpoint) (shift int, assumed bool) {
	switch {
	case e.Refused:
		return 0, false
	case e.ws == wsUnknown:
		return -1, false
	case e.ws == wsNone:
		return 0, false
	}
	return int(e.ws), !peer.SYNSeen
}

// The window-scale states besides a shift (Wireshark's win_scale values).
const (
	wsUnknown int8 = -1 // no SYN has told
	wsNone    int8 = -2 // a SYN without the option: windows are not scaled
)

// scaleState follows the shift Wireshark applies to each side's windows. A
// window-scale option sets its sender's shift, on whatever segment it comes.
// Then, on a SYN or SYN-ACK: when its sender still has no shift (the segment
// had no option), scaling is off both ways; when a SYN-ACK carries the option
// but scaling was already off for the peer (its SYN had none), it is off for
// the SYN-ACK's sender too. A SYN sent again with the option after a SYN-ACK
// without it turns its sender's shift back on: Wireshark then scales that
// side's windows, and so does tcpflow, to agree with it.
func scaleState(snd, rcv *Endpoint, opt int8, syn, ack bool) {
	if opt >= 0 {
		snd.ws = min(opt, 14)
	}
	if !syn {
		return
	}
	switch {
	case snd.ws == wsUnknown:
		snd.ws, rcv.ws = wsNone, wsNone
	case ack && rcv.ws == wsNone:
		snd.ws = wsNone
	}
}
