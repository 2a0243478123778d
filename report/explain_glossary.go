package report

// The terms an explanation uses, explained once per report, before the
// connections: what the explanations of a capture share (the meaning of a
// flag, of an option, of a state) is said once, and each connection says only
// what is its own (its numbers, its choices).

import (
	"bufio"
	"fmt"
	"slices"
	"strings"

	"github.com/tcpflow/tcpflow/state"
)

// term is one entry of the glossary.
type term uint8

// The terms, in the order the glossary lists them.
const (
	termBasics term = iota
	termTcpdump
	termLoopback
	termSYN
	termACK
	termPSH
	termFIN
	termRST
	termURG
	termMSS
	termSACKPerm
	termSACK
	termTimestamps
	termWScale
	termNoOptions
	termUnknownOption
	termWindow
	termPureACK
	termPiggyback
	termDelayedACK
	termHalfClose
	termStates
	termTimeWait
	termDiagram
	termLadder
	termAnalysis // the first of the expert-analysis terms, one per state.Analysis bit
)

// Glossary collects the terms the explanations of one report use, so that
// WriteGlossary can explain each once, before the connections. The sink
// keeps one per report and hands it to every Explain; it is the only thing
// explanations keep across connections, and its size is bounded.
type Glossary struct {
	used uint64 // bit t set: term t was used
	// mss are the distinct MSS values seen on SYNs (at most maxMSS; mssMore
	// counts the SYNs with other values).
	mss     []mssSeen
	mssMore int
}

type mssSeen struct {
	mss  int32
	ipv6 bool
	syns int
}

// maxMSS bounds the MSS values the glossary works out one by one.
const maxMSS = 8

func (g *Glossary) use(t term) { g.used |= 1 << t }

func (g *Glossary) has(t term) bool { return g.used&(1<<t) != 0 }

// useAnalysis marks the terms of the findings in a.
func (g *Glossary) useAnalysis(a state.Analysis) {
	for _, an := range state.AllAnalysis() {
		if a&an != 0 {
			g.use(termAnalysis + term(an.Index()))
		}
	}
}

// useMSS records an MSS value seen on a SYN.
func (g *Glossary) useMSS(mss int32, ipv6 bool) {
	g.use(termMSS)
	for i := range g.mss {
		if g.mss[i].mss == mss && g.mss[i].ipv6 == ipv6 {
			g.mss[i].syns++
			return
		}
	}
	if len(g.mss) == maxMSS {
		g.mssMore++
		return
	}
	g.mss = append(g.mss, mssSeen{mss: mss, ipv6: ipv6, syns: 1})
}

// Used reports whether any explanation used the glossary: there is
// something to write.
func (g *Glossary) Used() bool { return g.used != 0 }

// glossaryText says what each term means, in the glossary's order.
var glossaryText = [...]struct {
	t     term
	title string
	text  string
}{
	{termBasics, "Segments and numbers",
		"A TCP connection joins two endpoints, each an IP address and a port; the client is the side that sent the first SYN. " +
			"Each side numbers the bytes it sends, starting from an initial sequence number (ISN) it picks at random. " +
			"The sequence number (seq) of a segment is the number of its first byte; the acknowledgment number (ack) names the next byte " +
			"the sender expects from the other side, so it acknowledges every byte before that one. " +
			"Wireshark and tcpflow show both relative to the ISN of the side that numbers them, so that the first data byte is 1 " +
			"(--abs shows them as on the wire). len is the number of data bytes a segment carries. Times are seconds since the first frame of the capture."},
	{termTcpdump, "The tcpdump line of each frame",
		"Each frame told below starts with the line tcpdump -S -nn prints for it, with the frame number and its time in front and " +
			"\"client > server\" (or the reverse) for the addresses and ports. Flags [...] lists the flags, one letter each: S SYN, F FIN, " +
			"R RST, P PSH, . ACK (U URG, E ECE, W CWR). seq a:b is the number of the first data byte and of the byte after the last; " +
			"seq and ack are absolute (-S). win is the window field as sent, before any scaling. options lists the TCP options; tcpdump " +
			"also lists the nop bytes that pad them to a multiple of 4 bytes, which tcpflow leaves out. length is the number of data bytes."},
	{termLoopback, "One host",
		"When client and server are one host (loopback addresses such as 127.0.0.1 and ::1, or the same address), the " +
			"segments go through its loopback interface and are captured there once; no network lies between the ends. " +
			"Linux's loopback interface (lo) has an MTU of 65536. A capture taken on a sending host often shows TCP checksums before " +
			"they are filled in, since that is left to the network card (checksum offload), and lo never fills them: " +
			"tcpdump -v calls them incorrect, though nothing is wrong (the kernel's RSTs are computed in full and pass)."},
	{termSYN, "SYN",
		"SYN (synchronize) opens a connection. It carries the sender's ISN and uses up one sequence number itself, so the first data byte " +
			"is ISN + 1 (relative 1). The client's SYN is the first segment of the three-way handshake; the server answers with SYN and ACK " +
			"in one segment (a SYN-ACK) carrying its own ISN, and the client's ACK of that completes the handshake. A SYN's window is never scaled."},
	{termACK, "ACK",
		"ACK says the acknowledgment number is valid. Every segment but the first SYN (and a RST answering a SYN without ACK) carries it."},
	{termPSH, "PSH",
		"PSH (push) asks the receiver to hand the data to its program at once rather than wait for more. A sender sets it on the last " +
			"segment of what its program wrote in one call (write() or send()), so it marks where a write ended."},
	{termFIN, "FIN",
		"FIN (finish) says the sender will send no more data; it can still receive. Like a SYN, a FIN uses up one sequence number, so its " +
			"acknowledgment is its sequence number + 1. A program sends it by calling close(), or shutdown() to close only its sending side. " +
			"Each side sends its own FIN and each is acknowledged: FIN, ACK, FIN, ACK in the textbook, three segments when the second FIN " +
			"carries the ACK of the first."},
	{termRST, "RST",
		"RST (reset) aborts a connection at once: it is never acknowledged, and data in flight or unread is thrown away. A host sends " +
			"one for a segment that belongs to no connection (nothing listens on the port: the connection is refused), and a program " +
			"aborts with one (close() with data unread, or SO_LINGER 0). A receiver accepts a RST only if its sequence number falls in " +
			"its window, or, in SYN_SENT, if it acknowledges the SYN (RFC 9293 section 3.10.7.3), so that a stray RST cannot kill a connection."},
	{termURG, "URG",
		"URG says the urgent pointer is valid: some data is to be read out of band (RFC 9293 section 3.8.5). It is rarely used."},
	{termMSS, "MSS",
		"MSS (maximum segment size, on SYNs only) is the largest payload the sender wants to receive in one segment. It is usually " +
			"the MTU of the sender's link less 40 bytes of IPv4 and TCP headers (60 with IPv6); the other side sends segments no larger."},
	{termSACKPerm, "SACK permitted",
		"SACK permitted (on SYNs only): the sender understands selective acknowledgments (RFC 2018). If both SYNs carry it, a receiver " +
			"that misses a segment can report the blocks that arrived beyond the gap, so that only the missing bytes are sent again."},
	{termSACK, "sack",
		"sack l-r (tcpdump: sack n {l:r}) lists blocks of data the receiver holds beyond a gap, by absolute sequence numbers: " +
			"byte l up to, not including, byte r."},
	{termTimestamps, "Timestamps",
		"Timestamps (TS val, ecr; RFC 7323): the sender's clock and the last clock value it received from the other side, echoed back. " +
			"They measure round-trip times and tell old duplicates from new data once sequence numbers wrap. Only if both SYNs carry the " +
			"option do the later segments carry it, in 12 bytes (10, padded), which leave MSS - 12 bytes for data in a full segment."},
	{termWScale, "Window scale",
		"Window scale (on SYNs only; RFC 7323): the 16-bit window field cannot say more than 65535 bytes, so each side names a shift; " +
			"after the SYNs its windows mean the field x 2^shift (wscale 7: x 128). Only if both SYNs carry the option; a SYN's own window " +
			"is never scaled. tcpflow writes a scaled window as 512*128=65536: the field, the multiplier, the bytes."},
	{termNoOptions, "A SYN without options",
		"A SYN without options leaves the defaults: MSS 536 (IPv4; 1220 for IPv6), no window scale, no SACK, no timestamps."},
	{termUnknownOption, "Other options",
		"Option kinds tcpflow does not interpret (e.g. 30 MPTCP, 34 TCP Fast Open) are named by their number."},
	{termWindow, "Window",
		"win is the receive window: how many bytes beyond those it acknowledges the sender can still take into its buffer; the other " +
			"side must not send more. It shrinks while data waits unread and grows when the program reads (a window update)."},
	{termPureACK, "Pure ACK",
		"A pure ACK carries no data, only the acknowledgment. The kernel sends it on its own, without the program doing anything."},
	{termPiggyback, "Piggybacked ACK",
		"An acknowledgment that rides on data (or on a FIN): when a side has something to send anyway, the ACK goes with it, one " +
			"segment instead of two."},
	{termDelayedACK, "Delayed ACK",
		"A receiver may hold an acknowledgment back for a while, hoping to send it with data or a FIN of its own, or to acknowledge " +
			"two segments with one ACK. RFC 9293 (section 3.8.6.3) allows it, but less than 0.5 s, and asks for an ACK at least for " +
			"every second full-sized segment. tcpflow calls an ACK delayed when it carries nothing else and came at least 5 ms, and at " +
			"least one round trip between the capture point and its sender, after the last segment it acknowledges."},
	{termHalfClose, "Half-close",
		"A half-close: one side has sent its FIN (often with shutdown() for writing) while the other goes on sending data; each " +
			"direction closes on its own."},
	{termStates, "States and socket calls",
		"Each side is in one of the states of RFC 9293 (section 3.3.2), inferred here from the segments as the capture point saw them; " +
			"the state diagram under each connection shows the usual ways between them. A program's socket calls drive them: listen() " +
			"puts a server in LISTEN; connect() sends the SYN (SYN_SENT) and returns when the SYN-ACK arrives (ESTABLISHED), or fails " +
			"with ECONNREFUSED when a RST answers; accept() returns a connection once the third segment of the handshake arrives; " +
			"write() or send() hands data to the kernel, which sends it in segments, the last with PSH; read() returns the data, and 0 " +
			"(end of file) once the peer's FIN has arrived and everything before it was read: the side is then in CLOSE_WAIT until its " +
			"program calls close(), which sends its FIN. close() on the side that closes first sends the FIN that starts the close " +
			"(FIN_WAIT_1). After a RST, read() and write() fail with ECONNRESET."},
	{termTimeWait, "TIME_WAIT and the MSL",
		"The side that closed first waits in TIME_WAIT after the close, so that it can acknowledge the other FIN again if that FIN " +
			"comes once more (its last ACK lost), and so that old segments of the connection die out before its ports are used again. " +
			"It lasts 2 x MSL, the maximum segment lifetime: RFC 9293 (section 3.4.2) takes the MSL to be 2 minutes, so 4 minutes; " +
			"Linux waits a fixed 60 s instead (TCP_TIMEWAIT_LEN). The timer runs out after the capture ends: TIME_WAIT is shown as " +
			"the final state."},
	{termDiagram, "The state diagram",
		"The state diagram under each connection is RFC 9293's (figure 5), simplified: rcv is what arrives, send what the side sends " +
			"in answer. [X] marks a state a side was in; c1, c2, ... number the client's states in order, s1, s2, ... the server's. " +
			"(1) is the way from FIN_WAIT_1 straight to TIME_WAIT, when one segment carries the peer's FIN and the ACK of the side's own " +
			"FIN. Not drawn: a RST, which takes any state to CLOSED (marked on the lower CLOSED), and a simultaneous open (SYN_SENT to " +
			"SYN_RECEIVED)."},
	{termLadder, "The ladder diagram",
		"The ladder diagram draws each segment as an arrow from its sender's side to the receiver's: the frame number, the flags, " +
			"seq and ack (relative, or absolute with --abs), len and the first bytes of the data in quotes, and win in bytes once scaled " +
			"(win 513? when the scale is unknown). A side's new state is written beside the arrow that caused it; the findings of the " +
			"expert analysis follow in brackets."},
}

// analysisGlossary says what each finding of the expert analysis means, in
// state.AllAnalysis order.
var analysisGlossary = [state.NumAnalysis]string{
	"A retransmission: a segment carrying bytes the sender had sent before, because no acknowledgment came in time (or the first copy was lost).",
	"A fast retransmission: the sender resends the missing segment as soon as duplicate ACKs show a gap, without waiting for its timer (RFC 5681).",
	"A spurious retransmission: the receiver had already acknowledged the bytes sent again.",
	"Out of order: the segment fills a gap below data already seen; segments were reordered on the way to the capture point.",
	"Previous segment not captured: the segment starts beyond the sender's next byte, so something before it was lost before the capture point or not captured.",
	"ACKed segment that was not captured: the acknowledgment covers data the capture never showed.",
	"A duplicate ACK: the same acknowledgment again, with nothing else new; a receiver sends one for each segment that arrives beyond a gap, and three make the sender retransmit.",
	"A zero window: the receiver's buffer is full, so the other side must stop sending until the window opens again.",
	"A zero window probe: one byte sent into a zero window, to learn when it opens.",
	"A zero window probe ACK: the answer to a zero window probe.",
	"Window full: the segment fills the whole window the receiver advertised; the sender must wait for an ACK that opens more.",
	"A window update: nothing new is acknowledged, only the window changes, so that the other side may send again.",
	"A keep-alive: a segment with the sequence number just below the next one, sent after a long silence to check that the peer is still there.",
	"A keep-alive ACK: the answer to a keep-alive.",
	"Ports reused: a new SYN on the ports of an earlier connection.",
}

// WriteGlossary writes the terms the explanations used, each once.
func WriteGlossary(w *bufio.Writer, g *Glossary) {
	if !g.Used() {
		return
	}
	heading := "How to read the explanations"
	fmt.Fprintf(w, "\n%s\n%s\n", heading, strings.Repeat("=", len(heading)))
	item := func(title, text string) {
		if !strings.HasPrefix(text, title) {
			text = title + ": " + text
		}
		wrapPara(w, text, "", "    ")
	}
	for _, e := range glossaryText {
		if !g.has(e.t) {
			continue
		}
		item(e.title, e.text)
		if e.t == termMSS {
			for _, s := range g.mssLines() {
				wrapPara(w, s, "  - ", "    ")
			}
		}
	}
	var found []string
	for i, an := range state.AllAnalysis() {
		if g.has(termAnalysis + term(i)) {
			found = append(found, an.Text()+": "+analysisGlossary[i])
		}
	}
	if len(found) > 0 {
		item("Findings of the expert analysis", "what tcpflow flags as Wireshark's expert analysis does.")
		for _, s := range found {
			wrapPara(w, s, "  - ", "    ")
		}
	}
}

// mssLines works out each MSS value seen.
func (g *Glossary) mssLines() []string {
	ms := slices.Clone(g.mss)
	slices.SortFunc(ms, func(a, b mssSeen) int {
		if a.ipv6 != b.ipv6 {
			if a.ipv6 {
				return 1
			}
			return -1
		}
		return int(a.mss) - int(b.mss)
	})
	var out []string
	for _, m := range ms {
		hdr, ip := 40, "IPv4"
		if m.ipv6 {
			hdr, ip = 60, "IPv6"
		}
		s := fmt.Sprintf("MSS %d (%s, %s): %d + %d = %d", m.mss, ip, plural(int64(m.syns), "SYN", "SYNs"), m.mss, hdr, int(m.mss)+hdr)
		switch total := int(m.mss) + hdr; {
		case !m.ipv6 && total == 65535:
			s += ", the largest packet IPv4 can carry (its total length field has 16 bits). Linux's loopback interface has an MTU of 65536, " +
				"more than that, so the IPv4 limit sets the MSS."
		case total == 1500:
			s += " bytes, the MTU of Ethernet."
		case total == 65536:
			s += " bytes, the MTU of Linux's loopback interface."
		case total > 1500:
			s += " bytes: the MTU of the sender's link, larger than Ethernet's (a loopback or jumbo-frame link)."
		default:
			s += " bytes: the MTU of the sender's link or a limit set on its route (a tunnel, PPPoE or a VPN takes some of Ethernet's 1500)."
		}
		out = append(out, s)
	}
	if g.mssMore > 0 {
		out = append(out, fmt.Sprintf("and %s with other values.", plural(int64(g.mssMore), "SYN", "SYNs")))
	}
	return out
}

// wrapPara writes s wrapped at 100 columns; the first line starts with
// first, the others with rest. A word longer than a line is cut.
func wrapPara(w *bufio.Writer, s, first, rest string) {
	line := first
	empty := true
	for _, word := range strings.Fields(s) {
		if !empty && len(line)+1+len(word) > lineWidth {
			w.WriteString(line + "\n")
			line, empty = rest, true
		}
		for len(line)+len(word) > lineWidth && len(line) < lineWidth {
			cut := lineWidth - len(line)
			w.WriteString(line + word[:cut] + "\n")
			line, word = rest, word[cut:]
		}
		if !empty {
			line += " "
		}
		line += word
		empty = false
	}
	w.WriteString(line + "\n")
}

// wrapAt writes s wrapped at 100 columns, breaking after sep where it can
// (after a word where it cannot); lines after the first start with rest.
func wrapAt(w *bufio.Writer, s, sep, rest string) {
	line := ""
	for _, piece := range strings.SplitAfter(s, sep) {
		if line != "" && len(line)+len(strings.TrimRight(piece, " ")) > lineWidth {
			w.WriteString(strings.TrimRight(line, " ") + "\n")
			line = rest
		}
		if len(line)+len(strings.TrimRight(piece, " ")) > lineWidth {
			// A piece too long for a line of its own: by words.
			var b strings.Builder
			bw := bufio.NewWriter(&b)
			wrapPara(bw, piece, line, rest)
			bw.Flush()
			lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
			for _, l := range lines[:len(lines)-1] {
				w.WriteString(l + "\n")
			}
			line = lines[len(lines)-1] + " "
			continue
		}
		line += piece
	}
	w.WriteString(strings.TrimRight(line, " ") + "\n")
}

// lineWidth is the width explanations keep to.
const lineWidth = 100
