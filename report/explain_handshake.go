package report

// What the explanation says about the handshake: each SYN's options, what
// the two SYNs agreed on, and the numbers that follow from them.

import (
	"fmt"
	"strconv"

	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
)

// handshakeSummary gives the handshake's round-trip times.
func (x *explainer) handshakeSummary() {
	a := x.a
	switch {
	case a.SimultaneousOpen && a.HandshakeRTT >= 0:
		x.para(fmt.Sprintf("The simultaneous open took %s from the first SYN to the last segment that completed it, as seen where the capture was taken.",
			duration(a.HandshakeRTT)))
	case a.HandshakeRTT >= 0 && x.local:
		x.para(fmt.Sprintf("The three-way handshake took %s, from the SYN to the ACK of the SYN-ACK. With both ends on one host "+
			"there is no network to cross: the time is the two kernels' own, and no round-trip time of a path can be read from it.",
			duration(a.HandshakeRTT)))
	case a.HandshakeRTT >= 0:
		x.para(fmt.Sprintf("The three-way handshake took %s, from the client's SYN to its ACK of the SYN-ACK, as seen where the capture was taken. "+
			"The SYN to SYN-ACK part, %s, is the round trip between the capture point and the server; the rest, %s, the round trip "+
			"between the capture point and the client (near 0 when the capture was taken on the client).",
			duration(a.HandshakeRTT), duration(a.SynAckRTT), duration(a.HandshakeRTT-a.SynAckRTT)))
	case a.EndedBy == state.Refused:
	case !a.EP[flow.Client].SYNSeen:
		x.para("The client's SYN was not captured, so the handshake's round-trip time cannot be measured.")
	case x.reached(flow.Client, state.Established) && x.reached(flow.Server, state.Established):
		x.para("Both sides reached ESTABLISHED, but not by the usual three segments, so no handshake round-trip time is given.")
	default:
		x.para("The handshake did not complete within the capture.")
	}
}

// agreed explains what the two SYNs agreed on.
func (x *explainer) agreed() {
	a := x.a
	cl, sv := &a.EP[flow.Client], &a.EP[flow.Server]
	if !cl.SYNSeen || !sv.SYNSeen {
		if a.EndedBy == state.Refused || (cl.SYNSeen && !cl.State.Synchronized() && cl.State != state.Closed) {
			return // the server never answered with a SYN: nothing was agreed
		}
		if cl.SYNSeen || sv.SYNSeen {
			missing := flow.Client
			if cl.SYNSeen {
				missing = flow.Server
			}
			x.para(fmt.Sprintf("The %s's SYN was not captured, so what it offered is unknown.", missing.Side()))
		}
		return
	}
	x.w.WriteString("What the two SYNs agreed:\n")
	item := func(s string) { x.wrapped(s, "  - ", "    ") }
	mss := func(e *state.Endpoint) string {
		if e.MSS < 0 {
			return "no MSS (so 536, the default of RFC 9293)"
		}
		return strconv.Itoa(int(e.MSS))
	}
	item(fmt.Sprintf("Segment size: the client offered %s and the server %s (see MSS at the top). Each side sends segments no larger than the other's MSS.%s",
		mss(cl), mss(sv), x.largestSeen()))
	switch {
	case cl.WScale >= 0 && sv.WScale >= 0:
		cs, _ := cl.Scale(sv)
		ss, _ := sv.Scale(cl)
		if cs == 0 && ss == 0 {
			item("Window scale: both offered shift 0, so scaling is on but multiplies by 1: every window means exactly what it says.")
			break
		}
		s := fmt.Sprintf("Window scale: both offered it, so it is in effect from the segment after each SYN: the client's windows are multiplied by %d (shift %d) and the server's by %d (shift %d).",
			1<<cs, cs, 1<<ss, ss)
		if ex := x.scaledExample(); ex != "" {
			s += " " + ex
		}
		item(s)
	case cl.WScale >= 0 || sv.WScale >= 0:
		one := flow.Client
		if sv.WScale >= 0 {
			one = flow.Server
		}
		item(fmt.Sprintf("Window scale: only the %s offered it. Scaling needs both SYNs to carry the option (RFC 7323), so it is off in both directions: every window means exactly what it says.", one.Side()))
	default:
		item("Window scale: neither side offered it, so windows are never scaled and cannot exceed 65535 bytes.")
	}
	item(agreement(cl.SACKPermitted, sv.SACKPermitted,
		"SACK: both permit it, so either side may report received blocks beyond a gap.",
		"SACK: only one side permits it, so it is not used: after a loss only cumulative acknowledgments tell the sender what arrived.",
		"SACK: not permitted by either side."))
	item(agreement(cl.Timestamps, sv.Timestamps,
		"Timestamps: both sent the option, so every later segment carries them (12 bytes of options per segment).",
		"Timestamps: only one side sent the option, so neither uses them.",
		"Timestamps: not used."))
	x.w.WriteByte('\n')
}

// agreement picks the sentence for an option both sides must offer to use.
func agreement(client, server bool, both, one, none string) string {
	switch {
	case client && server:
		return both
	case client || server:
		return one
	}
	return none
}

// largestSeen reports the largest payload each side actually sent, and why it
// can be below the MSS.
func (x *explainer) largestSeen() string {
	most := x.most
	if most[0] == 0 && most[1] == 0 {
		return ""
	}
	s := fmt.Sprintf(" The largest payloads captured: %d bytes from the client, %d from the server.", most[0], most[1])
	cl, sv := &x.a.EP[flow.Client], &x.a.EP[flow.Server]
	if cl.Timestamps && sv.Timestamps {
		for d, peer := range []*state.Endpoint{sv, cl} {
			if peer.MSS > 12 && most[d] == int(peer.MSS)-12 {
				s += fmt.Sprintf(" %d = %d - 12: the timestamp option takes 12 bytes of each segment out of the MSS.", most[d], peer.MSS)
			}
		}
	}
	return s
}

// scaledExample works out the first scaled window of the connection.
func (x *explainer) scaledExample() string {
	if !x.hasScaled {
		return ""
	}
	r := &x.scaled
	shift, _ := x.a.EP[r.Dir].Scale(&x.a.EP[r.Dir.Reverse()])
	return fmt.Sprintf("For example, in frame %d the %s says \"win %d\": %d x %d = %d bytes it can still receive beyond what it acknowledged.",
		r.Frame, x.side(r.Dir), r.Win, r.Win, 1<<shift, r.WinScaled)
}
