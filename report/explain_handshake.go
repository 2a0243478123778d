package report

// What the explanation says about the handshake: each SYN's options, what
// the two SYNs agreed on, and the numbers that follow from them.

import (
	"fmt"
	"strconv"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
)

// synOptions explains the options on a SYN and its window, one item each.
func (x *explainer) synOptions(r *state.Record) []string {
	o := &r.Opts
	who := x.side(r.Dir)
	var items []string
	if o.MSS >= 0 {
		hdr := 40
		if x.c.Client.Addr().Is6() && !x.c.Client.Addr().Is4In6() {
			hdr = 60
		}
		items = append(items, fmt.Sprintf("MSS %d, its maximum segment size: the largest payload it wants to receive in one segment "+
			"(%d + %d bytes of IP and TCP headers = packets of %d bytes, the MTU of its link).", o.MSS, o.MSS, hdr, int(o.MSS)+hdr))
	}
	if o.SACKPermitted {
		items = append(items, "SACK permitted: it understands selective acknowledgments (RFC 2018), "+
			"with which a receiver reports the blocks that arrived after a gap, so that only the missing bytes are sent again.")
	}
	if o.HasTS {
		items = append(items, fmt.Sprintf("Timestamps (TSval %d, TSecr %d): every segment will carry a clock value that the other side echoes back, "+
			"to measure round-trip times and to tell old duplicates from new data once sequence numbers wrap (RFC 7323).", o.TSVal, o.TSEcr))
	}
	switch {
	case o.WScale == 0:
		items = append(items, "Window scale 0: it can handle scaled windows from the other side, but its own windows are not multiplied (2^0 = 1).")
	case o.WScale > 0:
		items = append(items, fmt.Sprintf("Window scale %d: if both sides offer the option, every window the %s advertises after the handshake means "+
			"\"multiply me by 2^%d = %d\", because the 16-bit window field alone cannot say more than 65535 bytes (RFC 7323).",
			o.WScale, who, o.WScale, 1<<min(o.WScale, 14)))
	}
	for _, k := range o.UnknownKinds() {
		items = append(items, fmt.Sprintf("Option kind %d, which tcpflow does not interpret.", k))
	}
	if len(items) == 0 {
		items = append(items, "No options: the defaults apply (MSS 536, no window scale, no SACK, no timestamps).")
	}
	items = append(items, fmt.Sprintf("Window %d: how many bytes it is ready to receive. The window of a SYN is never scaled.", r.Win))
	return items
}

// handshakeSummary gives the handshake's round-trip times.
func (x *explainer) handshakeSummary() {
	a := x.a
	switch {
	case a.SimultaneousOpen && a.HandshakeRTT >= 0:
		x.para(fmt.Sprintf("The simultaneous open took %s from the first SYN to the last segment that completed it, as seen where the capture was taken.",
			duration(a.HandshakeRTT)))
	case a.HandshakeRTT >= 0:
		x.para(fmt.Sprintf("The three-way handshake took %s from the first SYN to the ACK of the SYN-ACK, as seen where the capture was taken. "+
			"The SYN to SYN-ACK part, %s, is the round trip from the capture point to the server and back; the rest, %s, the round trip to the client.",
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

// reached reports whether side r was ever in state st.
func (x *explainer) reached(r flow.Dir, st state.State) bool {
	for _, t := range x.a.Transitions {
		if t.Endpoint == r && (t.To == st || t.From == st) {
			return true
		}
	}
	return x.a.EP[r].State == st
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
	item(fmt.Sprintf("Segment size: the client offered %s and the server %s. Each side sends segments no larger than the other's MSS.%s",
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
	var most [2]int
	for i := range x.recs {
		r := &x.recs[i]
		most[r.Dir] = max(most[r.Dir], r.Len)
	}
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

// scaledExample picks the first scaled window of the capture and works it out.
func (x *explainer) scaledExample() string {
	for i := range x.recs {
		r := &x.recs[i]
		if r.Flags&capture.SYN != 0 || r.WinScaled < 0 || r.WinScaled == int64(r.Win) {
			continue
		}
		shift, _ := x.a.EP[r.Dir].Scale(&x.a.EP[r.Dir.Reverse()])
		return fmt.Sprintf("For example, in frame %d the %s says \"win %d\": %d x %d = %d bytes it can still receive beyond what it acknowledged.",
			r.Frame, x.side(r.Dir), r.Win, r.Win, 1<<shift, r.WinScaled)
	}
	return ""
}
