package report

import (
	"bufio"
	"fmt"

	"strconv"
	"strings"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
)

// Explain writes a plain-language walk-through of how connection c opened
// and closed, with the real numbers of the capture, followed by a ladder
// diagram; relative times count from base (ns). It is meant for a reader who
// has never looked inside TCP: every number is said in words the first time
// it appears. It needs the connection's records.
func Explain(w *bufio.Writer, base int64, c *state.Connection, opts Options) {
	x := newExplainer(w, base, c)
	x.explain()
}

// explainer holds what the walk-through of one connection needs.
type explainer struct {
	w    *bufio.Writer
	base int64 // time of the capture's first frame, ns
	c    *state.Connection
	a    *state.Conn
	recs []state.Record // the connection's records
	// trans indexes the connection's transitions by frame.
	trans       map[uint64][]state.Transition
	transitions []state.Transition // the connection's, less the assumptions of a mid-stream join
	// synAckedBy[r] is set once side r's acknowledgment of the peer's SYN was explained.
	synAckExplained [2]bool
	finAckExplained [2]bool
}

func newExplainer(w *bufio.Writer, base int64, c *state.Connection) *explainer {
	x := &explainer{w: w, base: base, c: c, a: c.Data, recs: c.Data.Records.Slice(), trans: map[uint64][]state.Transition{}}
	for _, t := range c.Data.Transitions {
		if assumedEstablished(t) {
			continue // joined mid-stream: established by assumption, said once in words
		}
		x.trans[t.Frame] = append(x.trans[t.Frame], t)
		x.transitions = append(x.transitions, t)
	}
	return x
}

func (x *explainer) side(d flow.Dir) string { return d.Side() }

func (x *explainer) addr(r flow.Dir) string {
	if r == flow.Client {
		return x.c.Client.String()
	}
	return x.c.Server.String()
}

// rel formats a time as seconds since the capture's first frame.
func (x *explainer) rel(ns int64) string { return seconds(ns-x.base) + " s" }

func (x *explainer) explain() {
	c, a, w := x.c, x.a, x.w
	fmt.Fprintf(w, "== connection %s: client %s -> server %s ==\n\n", connID(c), c.Client, c.Server)
	if len(x.recs) == 0 {
		if len(a.ICMP) == 0 && len(a.BadHeaders) > 0 {
			fmt.Fprintln(w, "No segment of this connection could be read; it is known only from TCP headers whose length field is bogus.")
			return
		}
		fmt.Fprintln(w, "No segment of this connection was captured; it is known only from an ICMP error quoting one of its segments.")
		return
	}
	x.intro()

	// Split the key segments into the opening (up to the segment after which
	// both sides are synchronized) and the closing (from the first FIN or RST).
	open, data, closing := x.phases()
	x.heading("How the connection opened")
	if c.MidStream {
		x.para(fmt.Sprintf("The capture started after the connection was already open: its first segment here (frame %d) has no SYN. "+
			"The handshake, and with it each side's initial sequence number (ISN), maximum segment size and window scale, was not seen. "+
			"Sequence numbers are therefore shown relative to the first one seen, minus one, as Wireshark does, so the first byte seen is number 1.",
			x.recs[0].Frame))
		x.para(fmt.Sprintf("Which side is the client cannot be told from the capture; tcpflow calls %s the client because %s.",
			c.Client, clientRule(c)))
	}
	for _, i := range open {
		x.segment(i)
	}
	if !c.MidStream && len(open) > 0 {
		x.handshakeSummary()
	}
	if len(open) > 0 && !c.MidStream {
		x.agreed()
	}
	x.heading("Data")
	x.dataSummary(data)
	x.heading("How the connection closed")
	if len(closing) == 0 {
		x.para(fmt.Sprintf("The capture ended while the connection was still open: the client was %s and the server %s. Neither side had sent FIN or RST.",
			a.EP[flow.Client].State, a.EP[flow.Server].State))
	}
	for _, i := range closing {
		x.segment(i)
	}
	if len(closing) > 0 {
		x.closeSummary()
	}
	x.heading("States each side went through")
	for r := flow.Client; r <= flow.Server; r++ {
		x.wrapped(fmt.Sprintf("%s: %s", r.Side(), x.statePath(r)), "", "    ")
	}
	x.w.WriteByte('\n')
	x.heading("Ladder diagram")
	x.ladder()
}

func clientRule(c *state.Connection) string {
	cp, sp := c.Client.Port(), c.Server.Port()
	switch {
	case (cp < 1024) != (sp < 1024):
		return fmt.Sprintf("the other side uses the well-known port %d", sp)
	case cp != sp:
		return "its port is the higher one, as ephemeral client ports usually are"
	}
	return "it sent the first segment seen"
}

func (x *explainer) heading(s string) {
	fmt.Fprintf(x.w, "%s\n%s\n", s, strings.Repeat("-", len(s)))
}

// para writes a paragraph wrapped at 100 columns, then a blank line.
func (x *explainer) para(s string) {
	x.wrapped(s, "", "")
	x.w.WriteByte('\n')
}

// wrapped writes s wrapped at 100 columns; the first line starts with first,
// the others with rest.
func (x *explainer) wrapped(s, first, rest string) {
	const width = 100
	line := first
	empty := true
	for _, word := range strings.Fields(s) {
		if !empty && len(line)+1+len(word) > width {
			x.w.WriteString(line + "\n")
			line, empty = rest, true
		}
		if !empty {
			line += " "
		}
		line += word
		empty = false
	}
	x.w.WriteString(line + "\n")
}

func (x *explainer) intro() {
	c := x.c
	r0 := &x.recs[0]
	s := fmt.Sprintf("A TCP connection joins two endpoints, each an IP address and a port. Here the client is %s and the server is %s. "+
		"Both send and receive: each side numbers the bytes it sends with its own sequence numbers, and acknowledges the bytes it has received from the other. "+
		"The capture holds %d segments of this connection (frames %d to %d, from %s to %s, %s).",
		c.Client, c.Server, len(x.recs), c.FirstFrame, c.LastFrame, x.rel(r0.Time), x.rel(c.LastTime), duration(c.LastTime-c.FirstTime))
	x.para(s)
}

// phases picks the key segments: open are those of the handshake (SYNs, the
// ACK that completes it, and anything that changed a state before both sides
// were synchronized); closing are FINs, RSTs and the segments that changed a
// state from the first FIN or RST on; data lists the indexes of everything else.
func (x *explainer) phases() (open, data, closing []int) {
	closed := false
	for i := range x.recs {
		r := &x.recs[i]
		_, changed := x.trans[r.Frame]
		if r.Flags&(capture.FIN|capture.RST) != 0 {
			closed = true
		}
		switch {
		case closed && (changed || r.Flags&(capture.FIN|capture.RST) != 0):
			closing = append(closing, i)
		case !closed && (changed || r.Flags&capture.SYN != 0):
			open = append(open, i)
		default:
			data = append(data, i)
		}
	}
	return open, data, closing
}

// segment explains one key segment and the state changes it caused.
func (x *explainer) segment(i int) {
	a := x.a
	r := &x.recs[i]
	snd := &a.EP[r.Dir]
	who := x.side(r.Dir)
	var s, bullets []string
	s = append(s, fmt.Sprintf("Frame %d, at %s: the %s sends %s.", r.Frame, x.rel(r.Time), who, flagWords(r.Flags)))

	syn, ack, fin, rst := r.Flags&capture.SYN != 0, r.Flags&capture.ACK != 0, r.Flags&capture.FIN != 0, r.Flags&capture.RST != 0
	switch {
	case syn && ack && snd.SYNSeen && r.Frame != snd.SYNFrame && !x.synHadACK(r.Dir):
		// The answer of a simultaneous open (RFC 9293 figure 8).
		s = append(s, fmt.Sprintf("It repeats its SYN (the same ISN, %d, first sent in frame %d), now with the ACK flag: "+
			"in a simultaneous open each side answers the other's SYN with a SYN-ACK that carries its own SYN again.", r.Seq, snd.SYNFrame))
		s = append(s, x.ackOfSYN(r))
	case syn && snd.SYNSeen && r.Frame != snd.SYNFrame:
		s = append(s, fmt.Sprintf("It is the same SYN again (sequence number %d, first sent in frame %d): it was sent again because no answer had arrived.",
			r.Seq, snd.SYNFrame))
	case syn && !ack && x.a.EP[r.Dir.Reverse()].SYNSeen && !x.synHadACK(r.Dir.Reverse()):
		s = append(s, fmt.Sprintf("The %s sent a SYN too, without waiting for an answer: the two SYNs crossed. "+
			"This is a simultaneous open (RFC 9293 section 3.5, figure 8), as in NAT hole punching: each side will answer the other's SYN with a SYN-ACK, "+
			"four segments instead of three. (Until this SYN, the capture point could only assume that the %s was listening: hence its LISTEN at the start.)",
			x.side(r.Dir.Reverse()), who))
		s = append(s, fmt.Sprintf("SYN means \"synchronize\": the %s picks its initial sequence number (ISN), %d; its SYN uses up that number, so its first data byte will be number %d (relative 1).",
			who, r.Seq, r.Seq+1))
		bullets = x.synOptions(r)
	case syn:
		s = append(s, fmt.Sprintf("SYN means \"synchronize\": the %s picks its initial sequence number (ISN), %d, the number its byte stream counts from. "+
			"The SYN itself uses up that one number, so the %s's first byte of data will be number %d. "+
			"To keep the numbers readable, Wireshark and tcpflow show sequence numbers relative to the ISN: the SYN is seq 0 and the first data byte seq 1.",
			who, r.Seq, who, r.Seq+1))
		if ack {
			s = append(s, x.ackOfSYN(r))
		}
		bullets = x.synOptions(r)
	case rst:
		s = append(s, x.rstWords(r))
	}
	if ack && !syn && !rst {
		if w := x.ackWords(r); w != "" {
			s = append(s, w)
		}
	}
	if r.Len > 0 && !syn {
		s = append(s, fmt.Sprintf("It carries %d bytes of data (relative seq %d to %d).", r.Len, r.RelSeq, r.RelSeq+uint32(r.Len)-1))
	}
	if fin && snd.FINFrame != 0 && r.Frame != snd.FINFrame {
		s = append(s, fmt.Sprintf("It is the FIN of frame %d again, sent once more because its acknowledgment had not arrived (or was not captured).", snd.FINFrame))
	} else if fin {
		finSeq := r.RelSeq + uint32(r.Len)
		s = append(s, fmt.Sprintf("FIN means the %s has no more data to send; it can still receive. "+
			"Like a SYN, a FIN uses up one sequence number (relative %d here), so the %s will acknowledge it with ack %d.",
			who, finSeq, x.side(r.Dir.Reverse()), finSeq+1))
	}
	x.wrapped(strings.Join(s, " "), "  ", "  ")
	for _, b := range bullets {
		x.wrapped(b, "    - ", "      ")
	}
	for _, t := range x.trans[r.Frame] {
		meaning := stateMeaning(t.To)
		if t.From == state.CloseWait && t.To == state.Closing {
			meaning = "Its FIN does not acknowledge the peer's FIN, so it was sent before that FIN arrived: the two FINs crossed (a simultaneous close), " +
				"although from the capture point the peer's FIN seemed to have arrived already. It waits for the ACK of its own FIN."
		}
		x.wrapped(fmt.Sprintf("%s: %s -> %s. %s", t.Endpoint.Side(), t.From, t.To, meaning), "    => ", "       ")
	}
	x.w.WriteByte('\n')
}

// ackOfSYN explains the acknowledgment number of a segment that acknowledges
// the peer's SYN.
func (x *explainer) ackOfSYN(r *state.Record) string {
	peer := &x.a.EP[r.Dir.Reverse()]
	x.synAckExplained[r.Dir] = true
	if !peer.SYNSeen {
		return fmt.Sprintf("Its acknowledgment number, %d, acknowledges the %s's SYN, which was not captured.", r.Ack, x.side(r.Dir.Reverse()))
	}
	if r.Ack != peer.ISN+1 {
		return fmt.Sprintf("Its acknowledgment number is %d, which is not the %s's ISN + 1 (%d): it does not acknowledge that SYN.",
			r.Ack, x.side(r.Dir.Reverse()), peer.ISN+1)
	}
	return fmt.Sprintf("The ACK flag says the acknowledgment number is valid: %d = the %s's ISN %d + 1. "+
		"An acknowledgment number always names the next byte the sender expects; the %s's SYN used up number %d, so the next one it expects is %d (relative ack 1).",
		r.Ack, x.side(r.Dir.Reverse()), peer.ISN, x.side(r.Dir.Reverse()), peer.ISN, peer.ISN+1)
}

// ackWords explains what a key segment's acknowledgment number acknowledges,
// when that is something worth a sentence (the peer's SYN or FIN).
func (x *explainer) ackWords(r *state.Record) string {
	peer := &x.a.EP[r.Dir.Reverse()]
	if !x.synAckExplained[r.Dir] && peer.SYNSeen && r.Ack == peer.ISN+1 {
		x.synAckExplained[r.Dir] = true
		return fmt.Sprintf("Its acknowledgment number %d = the %s's ISN %d + 1 (relative ack 1) acknowledges the %s's SYN: "+
			"it says \"the next byte I expect from you is %d\". Its own seq is relative %d: its SYN used up number 0.",
			r.Ack, x.side(r.Dir.Reverse()), peer.ISN, x.side(r.Dir.Reverse()), peer.ISN+1, r.RelSeq)
	}
	if peer.FINFrame != 0 && peer.FINFrame < r.Frame && !x.finAckExplained[r.Dir] {
		if fr := x.record(peer.FINFrame); fr != nil {
			finSeq := fr.RelSeq + uint32(fr.Len)
			if r.RelAck == finSeq+1 {
				x.finAckExplained[r.Dir] = true
				return fmt.Sprintf("Its ack %d = the %s's FIN (relative seq %d, frame %d) + 1: the FIN is acknowledged.",
					r.RelAck, x.side(r.Dir.Reverse()), finSeq, peer.FINFrame)
			}
		}
	}
	if r.Len == 0 {
		return fmt.Sprintf("Its ack, %d (relative), says it has received every byte of the %s before number %d.", r.RelAck, x.side(r.Dir.Reverse()), r.RelAck)
	}
	return ""
}

func (x *explainer) record(frame uint64) *state.Record {
	for i := range x.recs {
		if x.recs[i].Frame == frame {
			return &x.recs[i]
		}
	}
	return nil
}

func (x *explainer) rstWords(r *state.Record) string {
	a := x.a
	peer := &a.EP[r.Dir.Reverse()]
	if a.EndedBy == state.Refused && r.Dir == flow.Server && r.Frame == a.EP[flow.Server].RSTFrame {
		s := "RST means \"reset\": the connection is refused. Nothing accepts connections on port " +
			strconv.Itoa(int(x.c.Server.Port())) + " of " + x.c.Server.Addr().String() + " (or a firewall answers for it)."
		if r.Flags&capture.ACK != 0 && peer.SYNSeen && r.Ack == peer.ISN+1 {
			s += fmt.Sprintf(" Its acknowledgment number %d = the client's ISN + 1 shows that the RST answers that very SYN; "+
				"a client accepts a RST in SYN_SENT only when it acknowledges its SYN (RFC 9293, section 3.10.7.3), so a stray RST cannot kill a new connection.", r.Ack)
		}
		return s
	}
	s := fmt.Sprintf("RST means \"reset\": the %s aborts the connection at once, without the orderly FIN exchange. "+
		"It is not acknowledged; data still in flight or unread is thrown away.", x.side(r.Dir))
	if r.Frame != a.EP[r.Dir].RSTFrame {
		s = fmt.Sprintf("Another RST from the %s (the first was frame %d): a host answers with RST any segment that arrives for a connection it no longer has, "+
			"such as data the peer sent before the first RST reached it.", x.side(r.Dir), a.EP[r.Dir].RSTFrame)
	}
	return s
}

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
	case x.simultaneousOpen() && a.HandshakeRTT >= 0:
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

// synHadACK reports whether side d's first SYN carried the ACK flag (it was
// a SYN-ACK).
func (x *explainer) synHadACK(d flow.Dir) bool {
	if r := x.record(x.a.EP[d].SYNFrame); r != nil {
		return r.Flags&capture.ACK != 0
	}
	return false
}

// simultaneousOpen reports whether both sides opened with a bare SYN.
func (x *explainer) simultaneousOpen() bool {
	cl, sv := &x.a.EP[flow.Client], &x.a.EP[flow.Server]
	return cl.SYNSeen && sv.SYNSeen && !x.synHadACK(flow.C2S) && !x.synHadACK(flow.S2C)
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

func (x *explainer) dataSummary(data []int) {
	a, c := x.a, x.c
	var segs [2]int
	for _, i := range data {
		segs[x.recs[i].Dir]++
	}
	s := "No other segments were captured between the opening and the closing."
	if len(data) > 0 {
		s = fmt.Sprintf("Between the opening and the closing, %d more segments were captured (%d from the client, %d from the server).",
			len(data), segs[0], segs[1])
	}
	if c.Bytes[flow.C2S]+c.Bytes[flow.S2C] == 0 {
		s += " Neither side sent any data."
	} else {
		s += fmt.Sprintf(" In all, the client sent %d bytes of data and the server %d (retransmitted bytes counted again).",
			c.Bytes[flow.C2S], c.Bytes[flow.S2C])
	}
	if st := a.Streams; st != nil {
		for d := flow.C2S; d <= flow.S2C; d++ {
			if f := &st.Facts[d]; f.Proto != "" {
				s += fmt.Sprintf(" The %s's first bytes (frame %d) are recognizable: %s.", x.side(d), f.ProtoFrame, escape([]byte(f.Proto)))
			}
		}
	}
	x.para(s)
	var found []string
	for _, an := range state.AllAnalysis() {
		var by []string
		for d := flow.C2S; d <= flow.S2C; d++ {
			if n := a.Count[d][an.Index()]; n > 0 {
				by = append(by, fmt.Sprintf("%d from the %s", n, x.side(d)))
			}
		}
		if by != nil {
			found = append(found, an.Text()+": "+strings.Join(by, " and "))
		}
	}
	if len(found) > 0 || a.EndedBy == state.Refused {
		if len(found) == 0 {
			return
		}
		x.w.WriteString("What Wireshark's expert analysis would flag (the timeline, without --explain, shows each frame):\n")
		for _, f := range found {
			x.wrapped(f, "  - ", "    ")
		}
		x.w.WriteByte('\n')
	} else {
		x.para("Nothing went wrong on the way: no retransmissions, lost segments, duplicate ACKs or window problems were seen.")
	}
}

// closeSummary says who closed and how each side left the connection.
func (x *explainer) closeSummary() {
	a := x.a
	switch a.EndedBy {
	case state.Fin:
		closer := a.Closer
		other := closer.Reverse()
		if x.reached(flow.Client, state.Closing) && x.reached(flow.Server, state.Closing) {
			x.para(fmt.Sprintf("Both sides closed at the same time (a simultaneous close, RFC 9293 section 3.6): each sent its FIN (frames %d and %d) before the other's reached it, "+
				"each went from FIN_WAIT_1 to CLOSING and then to TIME_WAIT once its FIN was acknowledged, so both wait in TIME_WAIT.",
				a.EP[closer].FINFrame, a.EP[other].FINFrame))
			break
		}
		x.para(fmt.Sprintf("The %s closed first (the \"active close\", frame %d); the %s closed in answer (the \"passive close\", frame %d). "+
			"The side that closes first is the one that waits in TIME_WAIT: it sent the last ACK and must be able to send it again should the other side's FIN be repeated.",
			closer.Side(), a.EP[closer].FINFrame, other.Side(), a.EP[other].FINFrame))
	case state.Rst:
		x.para(fmt.Sprintf("The %s ended the connection with RST in frame %d: an abort, not an orderly close.", a.Closer.Side(), a.EP[a.Closer].RSTFrame))
	case state.Refused:
		x.para("The connection never opened: the SYN was refused.")
	case state.Open:
		if a.CloseSeen {
			x.para(fmt.Sprintf("Only the %s closed its direction (a half-close): the %s could still send when the capture ended.", a.Closer.Side(), a.Closer.Reverse().Side()))
		}
	}
}

// statePath lists the states of one side with the frame of each change.
func (x *explainer) statePath(r flow.Dir) string {
	var sb strings.Builder
	first := true
	for _, t := range x.transitions {
		if t.Endpoint != r {
			continue
		}
		if first {
			sb.WriteString(t.From.String())
			first = false
		}
		fmt.Fprintf(&sb, " -> %s (frame %d)", t.To, t.Frame)
	}
	if first {
		sb.WriteString(x.a.EP[r].State.String() + " throughout")
	}
	return sb.String()
}

// stateMeaning says what a state means for the endpoint in it (RFC 9293 section 3.3.2).
func stateMeaning(s state.State) string {
	switch s {
	case state.Listen:
		return "It waits for connection requests."
	case state.SynSent:
		return "It has sent its SYN and waits for the answer."
	case state.SynReceived:
		return "It has received a SYN and answered with its own; it waits for its SYN to be acknowledged."
	case state.Established:
		return "The handshake is complete for it: data can flow both ways."
	case state.FinWait1:
		return "It has sent its FIN and waits for it to be acknowledged."
	case state.FinWait2:
		return "Its FIN is acknowledged; it waits for the other side's FIN, and can still receive data meanwhile."
	case state.CloseWait:
		return "The other side has finished sending; it waits for its own application to close, and may still send."
	case state.Closing:
		return "Both FINs crossed on the wire; it waits for the ACK of its own FIN."
	case state.LastAck:
		return "It sent its FIN after the other side's; it waits for the last ACK."
	case state.TimeWait:
		return "Both FINs are sent and acknowledged; it waits twice the maximum segment lifetime (2 x MSL, typically 60 s on Linux) before forgetting the connection, so that a lost last ACK can be sent again and old duplicates die out."
	case state.Closed:
		return "The connection no longer exists for it."
	}
	return ""
}

// flagWords names a segment's flags for a reader: "a SYN-ACK segment".
func flagWords(f capture.Flags) string {
	switch f & (capture.SYN | capture.ACK | capture.FIN | capture.RST | capture.PSH) {
	case capture.SYN:
		return "a SYN segment"
	case capture.SYN | capture.ACK:
		return "a SYN-ACK segment (SYN and ACK flags)"
	case capture.ACK:
		return "an ACK segment"
	case capture.RST, capture.RST | capture.ACK:
		return "a RST segment (flags " + f.String() + ")"
	case capture.FIN | capture.ACK, capture.FIN | capture.ACK | capture.PSH, capture.FIN:
		return "a FIN segment (flags " + f.String() + ")"
	}
	return "a segment with flags " + f.String()
}

// ladderFlags is the short flag list of a ladder arrow, tcpdump style.
func ladderFlags(f capture.Flags) string {
	var parts []string
	for _, p := range []struct {
		f    capture.Flags
		name string
	}{{capture.SYN, "SYN"}, {capture.FIN, "FIN"}, {capture.RST, "RST"}, {capture.PSH, "PSH"}, {capture.ACK, "ACK"}, {capture.URG, "URG"}} {
		if f&p.f != 0 {
			parts = append(parts, p.name)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ",")
}

// ladder draws the connection as a ladder diagram: the client's column on the
// left, the server's on the right, one arrow per segment with its frame, flags,
// relative numbers and length, and the states each side entered on that row.
// Long connections show the opening, the first data segments and the closing,
// with the rest counted on one line.
func (x *explainer) ladder() {
	a := x.a
	const keepData = 6
	show := make([]bool, len(x.recs))
	dataShown := 0
	for i := range x.recs {
		r := &x.recs[i]
		_, changed := x.trans[r.Frame]
		switch {
		case len(x.recs) <= 40, changed, r.Flags&(capture.SYN|capture.FIN|capture.RST) != 0:
			show[i] = true
		case dataShown < keepData:
			show[i], dataShown = true, dataShown+1
		case i >= len(x.recs)-keepData/2:
			show[i] = true
		}
	}
	type row struct {
		time, left, label, right string
		dir                      flow.Dir
		gap                      bool
	}
	var rows []row
	hidden, hiddenBytes := 0, [2]int{}
	flush := func() {
		if hidden == 0 {
			return
		}
		rows = append(rows, row{gap: true, label: fmt.Sprintf("... %d segments not shown: %d bytes ->, %d bytes <- ...", hidden, hiddenBytes[0], hiddenBytes[1])})
		hidden, hiddenBytes = 0, [2]int{}
	}
	for i := range x.recs {
		r := &x.recs[i]
		if !show[i] {
			hidden++
			hiddenBytes[r.Dir] += r.Len
			continue
		}
		flush()
		label := ladderLabel(r)
		var st [2][]string
		for _, t := range x.trans[r.Frame] {
			st[t.Endpoint] = append(st[t.Endpoint], t.To.String())
		}
		rows = append(rows, row{time: seconds(r.Time - x.base), dir: r.Dir, label: label,
			left: strings.Join(st[flow.Client], ","), right: strings.Join(st[flow.Server], ",")})
	}
	flush()

	width := 40
	leftW, timeW := len("client"), len("time")
	for _, rw := range rows {
		width = max(width, len(rw.label)+8)
		leftW = max(leftW, len(rw.left))
		timeW = max(timeW, len(rw.time))
	}
	start := [2]string{x.startState(flow.Client), x.startState(flow.Server)}
	leftW = max(leftW, len(start[0]), len(x.addr(flow.Client)))
	w := x.w
	pad := func(s string, n int) string { return s + strings.Repeat(" ", max(0, n-len(s))) }
	lpad := func(s string, n int) string { return strings.Repeat(" ", max(0, n-len(s))) + s }
	fmt.Fprintf(w, "%s  %s  %s  %s\n", pad("", timeW), lpad("client", leftW), pad("", width), "server")
	fmt.Fprintf(w, "%s  %s  %s  %s\n", pad("", timeW), lpad(x.addr(flow.Client), leftW), pad("", width), x.addr(flow.Server))
	fmt.Fprintf(w, "%s  %s |%s| %s\n", pad("", timeW), lpad(start[0], leftW), strings.Repeat(" ", width), start[1])
	for _, rw := range rows {
		var mid string
		switch {
		case rw.gap:
			mid = pad("  "+rw.label, width)
		case rw.dir == flow.C2S:
			mid = "--" + rw.label + " " + strings.Repeat("-", width-len(rw.label)-4) + ">"
		default:
			mid = "<-" + rw.label + " " + strings.Repeat("-", width-len(rw.label)-3)
		}
		line := fmt.Sprintf("%s  %s |%s| %s", lpad(rw.time, timeW), lpad(rw.left, leftW), mid, rw.right)
		w.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	fmt.Fprintf(w, "%s  %s |%s| %s\n", pad("", timeW), lpad(a.EP[flow.Client].State.String(), leftW), strings.Repeat(" ", width), a.EP[flow.Server].State)
	fmt.Fprintf(w, "%s  %s  %s  %s\n", pad("", timeW), lpad("(final)", leftW), strings.Repeat(" ", width), "(final)")
}

// startState is a side's state before the first segment.
func (x *explainer) startState(r flow.Dir) string { return startState(x.c, r) }

// startState is side r's state before connection c's first segment.
func startState(c *state.Connection, r flow.Dir) string {
	for _, t := range c.Data.Transitions {
		if t.Endpoint != r || assumedEstablished(t) {
			continue
		}
		if t.From == state.Unknown && c.MidStream {
			return "ESTABLISHED (assumed)"
		}
		return t.From.String()
	}
	return c.Data.EP[r].State.String()
}

// assumedEstablished reports whether t is the assumption of a mid-stream
// join, which the walk-through says once in words rather than per side.
func assumedEstablished(t state.Transition) bool {
	return t.From == state.Unknown && t.To == state.Established
}

// ladderLabel is a segment's arrow label in a ladder: "3 ACK seq 1 ack 1
// len 84 win 502 [retransmission]".
func ladderLabel(r *state.Record) string {
	label := strconv.FormatUint(r.Frame, 10) + " " + ladderFlags(r.Flags) + " seq " + strconv.FormatUint(uint64(r.RelSeq), 10)
	if r.Flags&capture.ACK != 0 {
		label += " ack " + strconv.FormatUint(uint64(r.RelAck), 10)
	}
	if r.Len > 0 {
		label += " len " + strconv.Itoa(r.Len)
	}
	label += " win " + strconv.Itoa(int(r.Win))
	if r.Analysis != 0 {
		label += " [" + r.Analysis.Text() + "]"
	}
	return label
}
