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
		if t.From == state.Unknown && t.To == state.Established {
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
	switch {
	case c.Part > 0:
		x.para(fmt.Sprintf("These segments came on the connection's ports after tcpflow had finished it: it had been closed or quiet "+
			"for longer than tcpflow waits for late segments, and its report was written. No SYN opened a new connection, so Wireshark "+
			"still counts them in tcp.stream %d; tcpflow reports them as part %d of connection %d and carries the analysis on from where it stopped.",
			c.ID, c.Part+1, c.ID))
	case c.MidStream:
		x.para(fmt.Sprintf("The capture started after the connection was already open: its first segment here (frame %d) has no SYN. "+
			"The handshake, and with it each side's initial sequence number (ISN), maximum segment size and window scale, was not seen. "+
			"Sequence numbers are therefore shown relative to the first one seen, minus one, as Wireshark does, so the first byte seen is number 1.",
			x.recs[0].Frame))
		rule := c.ClientBy.String()
		if c.ClientBy == flow.ClientOtherWellKnown {
			rule = fmt.Sprintf("the other side uses the well-known port %d", c.Server.Port())
		}
		x.para(fmt.Sprintf("Which side is the client cannot be told from the capture; tcpflow calls %s the client because %s.",
			c.Client, rule))
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
	case syn && snd.SYNSeen && r.Seq != snd.ISN:
		// Another ISN than the SYN the peer acknowledged (a second answer
		// to the peer's SYN, from another back end or a restarted server).
		s = append(s, fmt.Sprintf("It carries the ISN %d, not %d of its SYN in frame %d, the one the %s acknowledged: "+
			"a second answer to the same SYN with its own numbering, which the %s did not take. "+
			"(Wireshark starts a new session on it, \"ports reused\", and counts the %s's numbers from it.)",
			r.Seq, snd.ISN, snd.SYNFrame, x.side(r.Dir.Reverse()), x.side(r.Dir.Reverse()), who))
	case syn && ack && snd.SYNSeen && r.Frame != snd.SYNFrame && !snd.SYNACK:
		// The answer of a simultaneous open (RFC 9293 figure 8).
		s = append(s, fmt.Sprintf("It repeats its SYN (the same ISN, %d, first sent in frame %d), now with the ACK flag: "+
			"in a simultaneous open each side answers the other's SYN with a SYN-ACK that carries its own SYN again.", r.Seq, snd.SYNFrame))
		s = append(s, x.ackOfSYN(r))
	case syn && snd.SYNSeen && r.Frame != snd.SYNFrame:
		s = append(s, fmt.Sprintf("It is the same SYN again (sequence number %d, first sent in frame %d): it was sent again because no answer had arrived.",
			r.Seq, snd.SYNFrame))
	case syn && !ack && x.a.EP[r.Dir.Reverse()].SYNSeen && !x.a.EP[r.Dir.Reverse()].SYNACK:
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
		if a.SimultaneousClose {
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
