package report

// What an explanation says about one segment: its SYN, data, FIN or RST,
// how its acknowledgment moves, its window, and what the expert analysis
// found. In the paragraph of a frame, "seq N", "ack N", "win N" and "len N"
// always name that frame's own numbers (TestExplainNumbers relies on it);
// numbers of other segments are said otherwise ("the 2 bytes of frame 4").

import (
	"fmt"
	"strings"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
)

// synWords tells a SYN or SYN-ACK.
func (x *explainer) synWords(r *state.Record) []string {
	snd, peer := &x.a.EP[r.Dir], &x.a.EP[r.Dir.Reverse()]
	who := x.side(r.Dir)
	ack := r.Flags&capture.ACK != 0
	var s []string
	switch {
	case snd.SYNSeen && r.Seq != snd.ISN:
		// Another ISN than the SYN the peer acknowledged (a second answer
		// to the peer's SYN, from another back end or a restarted server).
		return []string{fmt.Sprintf("It carries the ISN %d, not %d of the %s's SYN in frame %d, the one the %s acknowledged: "+
			"a second answer to the same SYN with its own numbering, which the %s did not take. "+
			"(Wireshark starts a new session on it, \"ports reused\", and counts the %s's numbers from it.)",
			r.Seq, snd.ISN, who, snd.SYNFrame, x.side(r.Dir.Reverse()), x.side(r.Dir.Reverse()), who)}
	case ack && snd.SYNSeen && r.Frame != snd.SYNFrame && !snd.SYNACK:
		// The answer of a simultaneous open (RFC 9293 figure 8).
		return []string{fmt.Sprintf("The %s repeats its SYN (the same ISN, %d, first sent in frame %d), now with the ACK flag: "+
			"in a simultaneous open each side answers the other's SYN with a SYN-ACK that carries its own SYN again, and %s.",
			who, r.Seq, snd.SYNFrame, x.synAck(r))}
	case snd.SYNSeen && r.Frame != snd.SYNFrame:
		return []string{fmt.Sprintf("It is the %s's %s of frame %d again (the same ISN, %d): sent once more because no answer "+
			"had come in time.", who, map[bool]string{false: "SYN", true: "SYN-ACK"}[ack], snd.SYNFrame, r.Seq)}
	case !ack && peer.SYNSeen && !peer.SYNACK && peer.SYNFrame < r.Frame:
		s = append(s, fmt.Sprintf("The %s sends a SYN too, without waiting for an answer: the two SYNs crossed. This is a "+
			"simultaneous open (RFC 9293 section 3.5, figure 8), as in NAT hole punching: each side will answer the other's SYN "+
			"with a SYN-ACK, four segments instead of three. (Until this SYN, the capture point could only assume that the %s "+
			"was listening: hence its LISTEN at the start.) Its ISN is %d, so its first data byte will be %d, relative 1.",
			who, who, r.Seq, r.Seq+1))
	case !ack:
		s = append(s, fmt.Sprintf("The %s's program called connect(): its kernel picks an initial sequence number (ISN), %d, "+
			"and sends it in a SYN. The SYN uses up that number, so the %s's first data byte will be number %d, relative 1.",
			who, r.Seq, who, r.Seq+1))
	default:
		s = append(s, fmt.Sprintf("The %s's kernel answers the SYN for its listening program with a SYN-ACK: its own ISN, %d "+
			"(its first data byte will be %d, relative 1), and %s.", who, r.Seq, r.Seq+1, x.synAck(r)))
	}
	return append(s, x.synOptions(r))
}

// synAck explains the acknowledgment number of a SYN-ACK.
func (x *explainer) synAck(r *state.Record) string {
	peerDir := r.Dir.Reverse()
	peer := &x.a.EP[peerDir]
	other := x.side(peerDir)
	switch {
	case !peer.SYNSeen:
		return fmt.Sprintf("ack %d, which acknowledges the %s's SYN, not captured", x.ackOf(r), other)
	case r.Ack != peer.ISN+1:
		return fmt.Sprintf("ack %d, which is not the %s's ISN + 1: it does not acknowledge that SYN", x.ackOf(r), other)
	}
	return fmt.Sprintf("%s, the next number it expects: it acknowledges the %s's SYN", x.ackEquation(r, "the "+other+"'s ISN", peer.ISN), other)
}

// ackEquation works out an acknowledgment number that is some number + 1:
// "ack 1: 1000 on the wire = the client's ISN 999 + 1", or with --abs
// "ack 1000 = the client's ISN 999 + 1".
func (x *explainer) ackEquation(r *state.Record, what string, base uint32) string {
	if x.opts.Absolute {
		return fmt.Sprintf("ack %d = %s %d + 1", r.Ack, what, base)
	}
	return fmt.Sprintf("ack %d: %d on the wire = %s %d + 1", r.RelAck, r.Ack, what, base)
}

// synOptions lists the options of a SYN and its window; the glossary says
// what each means.
func (x *explainer) synOptions(r *state.Record) string {
	o := &r.Opts
	var items []string
	if o.MSS >= 0 {
		x.g.useMSS(o.MSS, x.c.Client.Addr().Is6() && !x.c.Client.Addr().Is4In6())
		items = append(items, fmt.Sprintf("MSS %d", o.MSS))
	}
	if o.SACKPermitted {
		x.g.use(termSACKPerm)
		items = append(items, "SACK permitted")
	}
	if o.HasTS {
		x.g.use(termTimestamps)
		ts := fmt.Sprintf("timestamps (TSval %d, TSecr %d", o.TSVal, o.TSEcr)
		switch {
		case r.Flags&capture.ACK == 0 && o.TSEcr == 0:
			ts += ": nothing to echo yet)"
		case r.Flags&capture.ACK != 0:
			ts += fmt.Sprintf(": it echoes the %s's clock)", x.side(r.Dir.Reverse()))
		default:
			ts += ")"
		}
		items = append(items, ts)
	}
	if o.WScale >= 0 {
		x.g.use(termWScale)
		items = append(items, fmt.Sprintf("window scale %d", o.WScale))
	}
	for _, k := range o.UnknownKinds() {
		x.g.use(termUnknownOption)
		items = append(items, fmt.Sprintf("option kind %d", k))
	}
	s := "It carries no options, so the defaults apply."
	if len(items) > 0 {
		s = "Its options: " + joinAnd(items) + "."
	} else {
		x.g.use(termNoOptions)
	}
	return s + fmt.Sprintf(" Its window, %d bytes, is how much it can receive now; a SYN's window is never scaled.", r.Win)
}

// rstWords tells a RST.
func (x *explainer) rstWords(r *state.Record) []string {
	snd, peer := &x.a.EP[r.Dir], &x.a.EP[r.Dir.Reverse()]
	who, other := x.side(r.Dir), x.side(r.Dir.Reverse())
	if snd.Refused && r.Frame == snd.RSTFrame {
		s := []string{fmt.Sprintf("Nothing listens on port %d of %s, so the %s's kernel answers the SYN with RST (reset) instead of a "+
			"SYN-ACK: the connection is refused (a firewall may answer so too).", x.c.Server.Port(), x.c.Server.Addr(), who)}
		if r.Flags&capture.ACK != 0 && peer.SYNSeen && r.Ack == peer.ISN+1 {
			if r.Seq == 0 {
				s = append(s, "Its numbers follow RFC 9293 (section 3.10.7.1): a segment for no connection is answered with a reset, "+
					"and as the SYN has no ACK flag, the reset takes sequence number 0 and acknowledges the SYN's sequence number "+
					"plus its length, the SYN counting as one: "+x.ackEquation(r, "the SYN's sequence number", peer.ISN)+".")
				if !x.opts.Absolute {
					s = append(s, fmt.Sprintf("tcpflow and Wireshark show sequence number 0 as relative %d: the %s sent no SYN, so its "+
						"relative numbers count from one below the first sequence number it sent.", r.RelSeq, who))
				}
			} else {
				s = append(s, "It acknowledges the SYN: "+x.ackEquation(r, "the SYN's sequence number", peer.ISN)+".")
			}
			s = append(s, fmt.Sprintf("The %s accepts it because it acknowledges its SYN (RFC 9293 section 3.10.7.3).", other))
		}
		if r.Win == 0 {
			s = append(s, "Its window, 0, means nothing here: a reset promises nothing, and senders write 0.")
		}
		return s
	}
	if snd.RSTFrame == 0 || r.Frame < snd.RSTFrame {
		why := fmt.Sprintf("its sequence number is not where the %s expects it (RFC 9293 section 3.10.7.4 accepts a RST only "+
			"within the receive window), so it could be stale or forged", other)
		if peer.SYNSeen && peer.SYNFrame < r.Frame && !snd.SYNSeen {
			why = fmt.Sprintf("it does not acknowledge the %s's SYN, and in SYN_SENT only a RST that does counts (RFC 9293 "+
				"section 3.10.7.3)", other)
		}
		return []string{fmt.Sprintf("RST from the %s, but the %s ignores it: %s.", who, other, why)}
	}
	if r.Frame != snd.RSTFrame {
		s := fmt.Sprintf("Another RST from the %s (the first was frame %d): a host answers with RST any segment that arrives "+
			"for a connection it no longer has, such as data the %s sent before the first RST reached it.", who, snd.RSTFrame, other)
		if r.Flags&capture.ACK == 0 {
			s += " It has no ACK flag: it takes its sequence number from the acknowledgment number of the segment it answers " +
				"(RFC 9293 section 3.10.7.1)."
		}
		return []string{s}
	}
	return []string{fmt.Sprintf("RST: the %s aborts the connection at once, without the orderly exchange of FINs: nothing more "+
		"is sent, and the %s throws away what it has not read.", who, other)}
}

// dataWords tells a segment's data.
func (x *explainer) dataWords(r *state.Record, st *state.Step) []string {
	who := x.side(r.Dir)
	first := x.seqOf(r)
	last := first + uint32(r.Len) - 1
	again := r.Analysis&(state.Retransmission|state.FastRetransmission|state.SpuriousRetransmission|state.OutOfOrder|state.KeepAlive) != 0
	verb := "sends"
	if r.Analysis&(state.Retransmission|state.FastRetransmission|state.SpuriousRetransmission) != 0 {
		verb = "sends again"
	}
	s := fmt.Sprintf("The %s %s %s%s", who, verb, plural(int64(r.Len), "byte", "bytes"), x.preview(r))
	switch {
	case r.Len == 1 && again:
		s += fmt.Sprintf(": seq %d is that byte's number.", first)
	case r.Len == 1:
		s += fmt.Sprintf(": seq %d is that byte's number, and its next byte will be %d.", first, first+1)
	case again:
		s += fmt.Sprintf(": seq %d is the number of the first, so they are bytes %d to %d.", first, first, last)
	default:
		s += fmt.Sprintf(": seq %d is the number of the first, so they are bytes %d to %d, and its next byte will be %d.",
			first, first, last, last+1)
	}
	out := []string{s}
	if r.Flags&capture.PSH != 0 {
		out = append(out, "PSH is set: they end what its program wrote (write() or send()), so the receiver hands them on at once.")
	}
	if st.HalfClose {
		x.g.use(termHalfClose)
		if x.halfClose[r.Dir] == 0 {
			peer := r.Dir.Reverse()
			out = append(out, fmt.Sprintf("The %s closed its sending side with its FIN (frame %d), yet the %s goes on sending: a half-close.",
				peer.Side(), x.a.EP[peer].FINFrame, who))
		}
		x.halfClose[r.Dir] += int64(r.Len)
	}
	if st := x.a.Streams; st != nil {
		if f := &st.Facts[r.Dir]; f.Proto != "" && f.ProtoFrame == r.Frame {
			out = append(out, fmt.Sprintf("tcpflow recognizes the start of the %s's data: %s.", who, escape([]byte(f.Proto))))
		}
	}
	return out
}

// finWords tells a FIN.
func (x *explainer) finWords(r *state.Record, st *state.Step) string {
	snd := &x.a.EP[r.Dir]
	who, other := x.side(r.Dir), x.side(r.Dir.Reverse())
	if snd.FINFrame != 0 && r.Frame != snd.FINFrame {
		return fmt.Sprintf("It is the FIN of frame %d again, sent once more because its acknowledgment had not arrived (or was not captured).",
			snd.FINFrame)
	}
	fin := x.seqOf(r) + uint32(r.Len)
	s := fmt.Sprintf("FIN: the %s's program closed the connection (close(), or shutdown() for writing only): the %s will send "+
		"no more data, though it can still receive.", who, who)
	switch pf := x.a.EP[r.Dir.Reverse()].FINFrame; {
	case pf == 0 || pf > r.Frame:
	case coversFIN(st) || x.finAcked[r.Dir]:
		s = fmt.Sprintf("FIN: the %s closes its side too. Its program called close(), typically once read() had returned 0 "+
			"at the %s's FIN.", who, other)
	default:
		s = fmt.Sprintf("FIN: the %s's program closed too, at the same time as the %s's: this FIN does not acknowledge the "+
			"%s's FIN (frame %d), so it left before that one arrived.", who, other, other, pf)
	}
	return s + fmt.Sprintf(" The FIN uses up one sequence number, number %d, so the %s's acknowledgment of it will be %d.", fin, other, fin+1)
}

// ackWords tells what a segment's acknowledgment does.
func (x *explainer) ackWords(r *state.Record, st *state.Step) []string {
	if r.Flags&capture.ACK == 0 {
		return nil
	}
	peerDir := r.Dir.Reverse()
	who, peer := x.side(r.Dir), x.side(peerDir)
	ack := x.ackOf(r)
	cov := x.coveredText(st, peerDir)
	carries := r.Len > 0 || r.Flags&capture.FIN != 0
	var s []string
	switch {
	case len(st.Covered) == 1 && st.Covered[0].SYN && !st.HadAck:
		s = append(s, fmt.Sprintf("The %s acknowledges the %s's SYN: %s.", who, peer, x.ackEquation(r, "the "+peer+"'s ISN", r.Ack-1)))
	case st.Advance > 0:
		eq := fmt.Sprintf("ack %d = %d + %d", ack, x.rcvNum(r, st.PrevAck), st.Advance)
		what := "it has received " + cov
		if cov == "" {
			what = fmt.Sprintf("%d more numbers, sent in segments the capture does not show", st.Advance)
		}
		if carries {
			s = append(s, fmt.Sprintf("With the same segment the %s acknowledges the %s's: %s: %s.", who, peer, eq, what))
		} else {
			s = append(s, fmt.Sprintf("The %s acknowledges: %s: %s, and the next byte it expects is %d.", who, eq, what, ack))
		}
	case !st.HadAck && cov != "" && carries:
		s = append(s, fmt.Sprintf("With the same segment the %s acknowledges the %s's: ack %d: it has received %s.", who, peer, ack, cov))
	case !st.HadAck && cov != "":
		s = append(s, fmt.Sprintf("The %s acknowledges: ack %d: it has received %s, and the next byte it expects is %d.", who, ack, cov, ack))
	case !st.HadAck:
		s = append(s, fmt.Sprintf("Its ack %d names the next byte it expects from the %s.", ack, peer))
	case carries:
		s = append(s, fmt.Sprintf("It acknowledges nothing new (ack %d, as before).", ack))
	case r.Analysis&state.DuplicateAck != 0 && r.DupAckNum > 0:
		s = append(s, fmt.Sprintf("Again ack %d: it is duplicate ACK #%d of frame %d, the same acknowledgment with nothing new, "+
			"which a receiver sends for each segment that arrives beyond a gap.", ack, r.DupAckNum, r.DupAckOf))
	default:
		s = append(s, fmt.Sprintf("It acknowledges nothing new: ack %d, as before.", ack))
	}
	if bl := r.Opts.SACKBlocks(); len(bl) > 0 {
		var held []string
		for _, b := range bl {
			lo, hi := x.num(b.Left-(r.Ack-r.RelAck), b.Left), x.num(b.Right-(r.Ack-r.RelAck), b.Right)
			held = append(held, fmt.Sprintf("%d to %d", lo, hi-1))
		}
		s = append(s, fmt.Sprintf("Its SACK option reports bytes %s, which the %s holds beyond the gap: only what is missing "+
			"needs to be sent again.", joinAnd(held), who))
	}
	acked := len(st.Covered) > 0 || st.Advance > 0
	switch {
	case st.Pure && acked:
		x.g.use(termPureACK)
		s = append(s, fmt.Sprintf("It is a pure ACK: no data, only the acknowledgment, which the %s's kernel sends on its own.", who))
	case carries && acked && r.Flags&capture.FIN != 0 && coversFIN(st):
		x.g.use(termPiggyback)
		x.threeWay = true
		s = append(s, fmt.Sprintf("This one segment carries the %s's FIN and the ACK of the %s's FIN: the %s's program closed "+
			"before its kernel sent that ACK on its own.", who, peer, who))
	case carries && acked:
		x.g.use(termPiggyback)
		on := "the data"
		if r.Len == 0 {
			on = "its FIN"
		}
		s = append(s, "The ACK rides on "+on+" (piggybacked): one segment instead of two.")
	}
	if st.Delayed {
		x.g.use(termDelayedACK)
		last := st.Covered[len(st.Covered)-1]
		s = append(s, fmt.Sprintf("The %s held it back: it came %s after frame %d, though a round trip between the capture point and "+
			"the %s takes %s. A delayed ACK: its kernel waited for data or a FIN to carry the acknowledgment, in vain.",
			who, duration(r.Time-last.Time), last.Frame, who, duration(x.a.PathRTT(r.Dir))))
	}
	if n := dataSegments(st); n >= 2 {
		x.g.use(termDelayedACK)
		s = append(s, fmt.Sprintf("One ACK for %d segments: a receiver need not acknowledge each one (RFC 9293 asks for an ACK "+
			"at least for every second full-sized segment).", n))
	}
	return s
}

// coversFIN reports whether an acknowledgment covers the peer's FIN.
func coversFIN(st *state.Step) bool {
	for _, p := range st.Covered {
		if p.FIN {
			return true
		}
	}
	return false
}

// dataSegments counts the data segments an acknowledgment covers.
func dataSegments(st *state.Step) int {
	n := st.CoveredMore
	for _, p := range st.Covered {
		if p.Len > 0 {
			n++
		}
	}
	return n
}

// coveredText names the peer's segments an acknowledgment covers: "both
// bytes of frame 4", "the 1448 bytes of frame 6 and the 858 bytes of frame 7".
func (x *explainer) coveredText(st *state.Step, peer flow.Dir) string {
	ps := st.Covered
	var parts []string
	if len(ps) > 3 {
		bytes := 0
		for _, p := range ps {
			bytes += p.Len
		}
		parts = append(parts, fmt.Sprintf("the %d segments of frames %d to %d (%s)", len(ps), ps[0].Frame, ps[len(ps)-1].Frame,
			plural(int64(bytes), "byte", "bytes")))
	} else {
		for _, p := range ps {
			switch {
			case p.SYN:
				parts = append(parts, fmt.Sprintf("the %s's SYN (frame %d)", peer.Side(), p.Frame))
			case p.Len > 0 && p.FIN:
				parts = append(parts, fmt.Sprintf("the %s and the FIN of frame %d", plural(int64(p.Len), "byte", "bytes"), p.Frame))
			case p.FIN:
				parts = append(parts, fmt.Sprintf("the %s's FIN (frame %d), which counts as one", peer.Side(), p.Frame))
			case len(ps) == 1 && p.Len == 2:
				parts = append(parts, fmt.Sprintf("both bytes of frame %d", p.Frame))
			case len(ps) == 1 && p.Len > 2:
				parts = append(parts, fmt.Sprintf("all %d bytes of frame %d", p.Len, p.Frame))
			case p.Len == 1:
				parts = append(parts, fmt.Sprintf("the byte of frame %d", p.Frame))
			default:
				parts = append(parts, fmt.Sprintf("the %d bytes of frame %d", p.Len, p.Frame))
			}
		}
	}
	if st.CoveredMore > 0 {
		parts = append(parts, plural(int64(st.CoveredMore), "segment", "segments")+" sent before them")
	}
	return joinAnd(parts)
}

// windowWords tells a change of the sender's window.
func (x *explainer) windowWords(r *state.Record, st *state.Step) []string {
	if !st.WinChanged || r.Flags&(capture.SYN|capture.RST) != 0 || r.Analysis&(state.ZeroWindow|state.WindowUpdate) != 0 {
		return nil
	}
	now := r.WinScaled
	if now < 0 {
		now = int64(r.Win)
	}
	if now > st.PrevWin {
		return []string{fmt.Sprintf("Its window grows from %d to %d bytes: its program read data, or its buffer grew.", st.PrevWin, now)}
	}
	return []string{fmt.Sprintf("Its window shrinks from %d to %d bytes: data waits unread in its buffer.", st.PrevWin, now)}
}

// analysisWords names what the expert analysis found in a segment.
func (x *explainer) analysisWords(r *state.Record) []string {
	if r.Analysis == 0 {
		return nil
	}
	var s []string
	if r.Analysis&state.ZeroWindow != 0 {
		s = append(s, fmt.Sprintf("Its window is 0: the %s's buffer is full, and the %s must stop sending until it opens.",
			x.side(r.Dir), x.side(r.Dir.Reverse())))
	}
	s = append(s, "Wireshark's expert analysis flags it: "+r.Analysis.Text()+" (see the findings at the top).")
	return s
}

// dataSummary sums up the data exchange.
func (x *explainer) dataSummary() {
	a, c := x.a, x.c
	var s string
	if c.Bytes[flow.C2S]+c.Bytes[flow.S2C] == 0 {
		s = "Neither side sent any data."
	} else {
		sent := func(d flow.Dir) string {
			if c.Bytes[d] == 0 {
				return "none"
			}
			return plural(int64(c.Bytes[d]), "byte", "bytes") + " of data in " + plural(int64(x.dataSegs[d]), "segment", "segments")
		}
		s = fmt.Sprintf("In all, the client sent %s and the server %s (retransmitted bytes counted again).", sent(flow.C2S), sent(flow.S2C))
	}
	if st := a.Streams; st != nil && x.n > x.limit {
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
			x.g.useAnalysis(an)
			found = append(found, an.Text()+": "+strings.Join(by, " and "))
		}
	}
	if len(found) > 0 {
		x.w.WriteString("What Wireshark's expert analysis flags in this connection (see the findings at the top):\n")
		for _, f := range found {
			x.wrapped(f, "  - ", "    ")
		}
		x.w.WriteByte('\n')
	} else {
		x.para("Nothing went wrong on the way: no retransmissions, lost segments, duplicate ACKs or window problems were seen.")
	}
}

// sizeWords works out, once per connection for a SYN, a pure ACK and a data
// segment, how long the segment's headers are and, as tcpdump -v shows it,
// the IP packet.
func (x *explainer) sizeWords(r *state.Record, st *state.Step) []string {
	kind := 0
	switch {
	case r.Flags&capture.SYN != 0:
	case st.Pure:
		kind = 1
	case r.Len > 0 && r.Flags&(capture.FIN|capture.RST) == 0:
		kind = 2
	default:
		return nil
	}
	if x.sizesSaid[kind] || r.HdrLen < 20 {
		return nil
	}
	x.sizesSaid[kind] = true
	a := x.c.Client.Addr()
	ipv6 := a.Is6() && !a.Is4In6()
	s := fmt.Sprintf("Its TCP header is %d bytes", r.HdrLen)
	if opt := int(r.HdrLen) - 20; opt > 0 {
		s += fmt.Sprintf(", 20 fixed and %d of options", opt)
		if pad := opt - optionBytes(&r.Opts); pad > 0 && r.Opts.NUnknown == 0 {
			s += fmt.Sprintf(" (%s, the nop bytes tcpdump lists, pad them to a multiple of 4)", plural(int64(pad), "byte", "bytes"))
		}
	} else {
		s += ", with no options"
	}
	if ipv6 {
		return []string{s + fmt.Sprintf("; with the 40-byte IPv6 header, the packet is 40 + %d + %d = %d bytes, more if "+
			"extension headers come between IPv6 and TCP.", r.HdrLen, r.Len, 40+int(r.HdrLen)+r.Len)}
	}
	return []string{s + fmt.Sprintf("; with a 20-byte IPv4 header (longer only with IP options, which are rare), the "+
		"packet is 20 + %d + %d = %d bytes, the total length tcpdump -v shows.", r.HdrLen, r.Len, 20+int(r.HdrLen)+r.Len)}
}

// optionBytes is how many bytes the options a Record keeps take on the
// wire, padding left out.
func optionBytes(o *capture.Options) int {
	n := 0
	if o.MSS >= 0 {
		n += 4
	}
	if o.SACKPermitted {
		n += 2
	}
	if o.HasTS {
		n += 10
	}
	if o.WScale >= 0 {
		n += 3
	}
	if o.NSACK > 0 {
		n += 2 + 8*int(o.NSACK)
	}
	return n
}

// joinAnd joins items as a sentence lists them: "a", "a and b", "a, b and c".
func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
