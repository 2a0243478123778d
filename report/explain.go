package report

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/state"
)

// DefaultExplainLimit is how many segments a connection may have for Explain
// to tell every one (Options.ExplainLimit).
const DefaultExplainLimit = 40

// Explain writes a plain-language walk-through of connection c, with the
// real numbers of the capture: how it opened, every segment of it when it
// has at most opts.ExplainLimit segments (else the first and last ones, every
// SYN, FIN, RST and change of state and the first problems, with the rest
// summarized where it comes), how it closed, the states each side went
// through on RFC 9293's state diagram, and a ladder diagram. Each segment
// told starts with the line tcpdump -S -nn prints for it. Relative times count
// from base (ns). The meaning of the terms it uses is left to the glossary
// (WriteGlossary), in which Explain records them: g is the only thing kept
// across connections. Explain reads the connection's records a few times
// over (Records.All) and keeps a bounded part of them, so connections of
// millions of segments cost no more memory than short ones.
func Explain(w *bufio.Writer, base int64, c *state.Connection, opts Options, g *Glossary) {
	if g == nil {
		g = &Glossary{}
	}
	x := newExplainer(w, base, c, opts, g)
	x.explain()
}

// ExplainHeader writes the capture header (Header) as the explanations
// show it: within 100 columns, long lines wrapped, whatever opts.Width.
func ExplainHeader(w *bufio.Writer, sum *pipeline.Summary, opts Options) {
	if opts.Width <= 0 || opts.Width > lineWidth {
		opts.Width = lineWidth
	}
	Header(w, sum, opts)
}

// explainer holds what the walk-through of one connection needs.
type explainer struct {
	w    *bufio.Writer
	base int64 // time of the capture's first frame, ns
	c    *state.Connection
	a    *state.Conn
	opts Options
	g    *Glossary
	// trans indexes the connection's transitions by frame.
	trans       map[uint64][]state.Transition
	transitions []state.Transition // the connection's, less the assumptions of a mid-stream join

	n                 int // records
	limit, head, tail int // segments told: all up to limit, else the first head and last tail
	local             bool
	most              [2]int       // largest payload per direction
	scaled            state.Record // the first segment with a scaled window (valid when hasScaled)
	hasScaled         bool

	// While walking the records.
	sec                      section
	openSeen, dataSeen       bool
	dataSegs                 [2]int
	threeWay                 bool     // a FIN carried the ACK of the peer's FIN
	halfClose                [2]int64 // data bytes each side sent after the peer's FIN
	finAcked                 [2]bool  // each side has acknowledged the peer's FIN
	sizesSaid                [3]bool  // the sizes of a SYN, a pure ACK, a data segment were worked out
	closeWaitFrom, closeWait [2]int64 // when each side entered CLOSE_WAIT and left it (ns; 0: not)
	gap                      gapSummary
}

type section uint8

const (
	secNone section = iota
	secOpen
	secData
	secClose
)

func newExplainer(w *bufio.Writer, base int64, c *state.Connection, opts Options, g *Glossary) *explainer {
	x := &explainer{w: w, base: base, c: c, a: c.Data, opts: opts, g: g, trans: map[uint64][]state.Transition{}}
	for _, t := range c.Data.Transitions {
		if assumedEstablished(t) {
			continue // joined mid-stream: established by assumption, said once in words
		}
		x.trans[t.Frame] = append(x.trans[t.Frame], t)
		x.transitions = append(x.transitions, t)
	}
	x.limit = opts.ExplainLimit
	if x.limit <= 0 {
		x.limit = DefaultExplainLimit
	}
	x.head, x.tail = max(x.limit/2, 1), max(x.limit/4, 1)
	x.n = c.Data.Records.Len()
	ca, sa := c.Client.Addr().Unmap(), c.Server.Addr().Unmap()
	x.local = ca == sa || (ca.IsLoopback() && sa.IsLoopback())
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
	x.g.use(termBasics)
	if h := fmt.Sprintf("== connection %s: client %s -> server %s ==", connID(c), c.Client, c.Server); len(h) <= lineWidth {
		fmt.Fprintf(w, "%s\n\n", h)
	} else {
		fmt.Fprintf(w, "== connection %s: client %s ->\n   server %s ==\n\n", connID(c), c.Client, c.Server)
	}
	if x.n == 0 {
		if len(a.ICMP) == 0 && len(a.BadHeaders) > 0 {
			x.para("No segment of this connection could be read; it is known only from TCP headers whose length field is bogus.")
			return
		}
		x.para("No segment of this connection was captured; it is known only from an ICMP error quoting one of its segments.")
		return
	}
	x.prescan()
	x.intro()
	x.walk()
	x.heading("States each side went through")
	x.g.use(termStates)
	x.g.use(termDiagram)
	for r := flow.Client; r <= flow.Server; r++ {
		x.wrapped(fmt.Sprintf("%s: %s", r.Side(), x.statePath(r)), "", "    ")
	}
	x.w.WriteByte('\n')
	x.diagram()
	x.w.WriteByte('\n')
	x.heading("Ladder diagram")
	x.g.use(termLadder)
	x.ladder()
}

// prescan reads the records once for what the opening needs to say about
// the whole connection: the largest payloads, a scaled window to work out.
func (x *explainer) prescan() {
	for _, r := range x.a.Records.All() {
		x.most[r.Dir] = max(x.most[r.Dir], r.Len)
		if r.Len > 0 {
			x.dataSegs[r.Dir]++
		}
		if !x.hasScaled && r.Flags&capture.SYN == 0 && r.WinScaled >= 0 && r.WinScaled != int64(r.Win) {
			x.scaled, x.hasScaled = *r, true
		}
	}
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
func (x *explainer) wrapped(s, first, rest string) { wrapPara(x.w, s, first, rest) }

func (x *explainer) intro() {
	c := x.c
	var s []string
	if c.Part == 0 && !c.MidStream && x.a.EP[flow.Client].SYNSeen {
		s = append(s, fmt.Sprintf("The client %s opens a connection to the server %s.", c.Client, c.Server))
	} else {
		s = append(s, fmt.Sprintf("The client is %s, the server %s.", c.Client, c.Server))
	}
	ca, sa := c.Client.Addr().Unmap(), c.Server.Addr().Unmap()
	if x.local {
		x.g.use(termLoopback)
	}
	switch {
	case ca.IsLoopback() && sa.IsLoopback():
		s = append(s, "Both addresses are loopback addresses: client, server and capture point are one host, and the segments "+
			"never left it. They were captured as they passed its loopback interface, so no network lies between the two ends, "+
			"and the times below are the two kernels' own.")
	case ca == sa:
		s = append(s, "Client and server have the same address: they are one host, and the segments were captured on its "+
			"loopback interface, so no network lies between the two ends.")
	}
	s = append(s, fmt.Sprintf("The capture holds %s of this connection (frames %d to %d, from %s to %s: %s).",
		plural(int64(x.n), "segment", "segments"), c.FirstFrame, c.LastFrame, x.rel(c.FirstTime), x.rel(c.LastTime), duration(c.LastTime-c.FirstTime)))
	if x.n <= x.limit {
		s = append(s, "Each is told below; the terms are explained at the top.")
	} else {
		s = append(s, fmt.Sprintf("The first %d and the last %d are told one by one below, with every change of state and the first "+
			"SYNs, FINs, RSTs and problems between them; the others are summarized where they come (--explain-limit sets how many "+
			"segments a connection may have to be told whole). The terms are explained at the top.", x.head, x.tail))
	}
	x.para(strings.Join(s, " "))
}

// walk tells the records in order, section by section.
func (x *explainer) walk() {
	wk := state.NewWalk(x.a)
	sel := newSelector(x)
	i := 0
	for _, r := range x.a.Records.All() {
		st := wk.Step(r)
		_, changed := x.trans[r.Frame]
		x.enter(x.sectionOf(r, changed))
		x.track(r)
		if sel.told(i, r) {
			x.flushGap()
			x.frame(r, &st)
		} else {
			x.gap.add(r, &st)
		}
		if coversFIN(&st) {
			x.finAcked[r.Dir] = true
		}
		i++
	}
	x.flushGap()
	x.leave()
	if !x.dataSeen && x.a.EndedBy != state.Refused && !x.c.MidStream && x.c.Part == 0 && x.reached(flow.Client, state.Established) {
		// Never entered: say so where the data would be.
		x.heading("The data exchange")
		x.para("Neither side sent any data.")
	}
	if x.sec != secClose {
		x.heading("How the connection closed")
		x.para(fmt.Sprintf("The capture ended while the connection was still open: the client was %s and the server %s. Neither side had sent FIN or RST.",
			x.a.EP[flow.Client].State, x.a.EP[flow.Server].State))
	} else {
		x.closeSummary()
	}
}

// sectionOf puts a record in the opening (SYNs and what changed a state
// before the handshake was over), the data exchange, or the closing (from
// the first FIN or RST on).
func (x *explainer) sectionOf(r *state.Record, changed bool) section {
	switch {
	case x.sec == secClose || r.Flags&(capture.FIN|capture.RST) != 0:
		return secClose
	case (x.sec == secNone || x.sec == secOpen) && (r.Flags&capture.SYN != 0 || changed):
		return secOpen
	}
	return secData
}

// enter starts section s, ending the one before.
func (x *explainer) enter(s section) {
	if s == x.sec {
		return
	}
	x.flushGap()
	x.leave()
	switch s {
	case secOpen:
		x.openSeen = true
		x.heading("How the connection opened")
		x.openingNotes()
	case secData:
		if x.sec == secNone {
			x.heading("How the connection opened")
			x.openingNotes()
		}
		x.dataSeen = true
		x.heading("The data exchange")
	case secClose:
		if x.sec == secNone {
			x.heading("How the connection opened")
			x.openingNotes()
		}
		if !x.dataSeen && x.a.EndedBy != state.Refused && x.reached(flow.Client, state.Established) && x.c.Part == 0 {
			x.heading("The data exchange")
			x.para("Neither side sent any data.")
			x.dataSeen = true
		}
		x.heading("How the connection closed")
	}
	x.sec = s
}

// leave ends the current section with its summary.
func (x *explainer) leave() {
	switch x.sec {
	case secOpen:
		if !x.c.MidStream {
			x.handshakeSummary()
			x.agreed()
		}
	case secData:
		x.dataSummary()
	}
}

// openingNotes says what is special about how the connection started: a
// continuation, or a capture that joined it mid-stream.
func (x *explainer) openingNotes() {
	c := x.c
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
			c.FirstFrame))
		rule := c.ClientBy.String()
		if c.ClientBy == flow.ClientOtherWellKnown {
			rule = fmt.Sprintf("the other side uses the well-known port %d", c.Server.Port())
		}
		x.para(fmt.Sprintf("Which side is the client cannot be told from the capture; tcpflow calls %s the client because %s.",
			c.Client, rule))
	}
}

// track notes, as the records go by, what the summaries need.
func (x *explainer) track(r *state.Record) {
	for _, t := range x.trans[r.Frame] {
		switch {
		case t.To == state.CloseWait:
			x.closeWaitFrom[t.Endpoint] = r.Time
		case t.From == state.CloseWait:
			x.closeWait[t.Endpoint] = r.Time
		}
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

// selector decides which records are told one by one: all of a short
// connection; of a long one the first head and last tail, every SYN, FIN,
// RST and change of state, and the first few of each kind of problem.
type selector struct {
	x       *explainer
	notable [state.NumAnalysis]int
	keys    int // SYNs, FINs and RSTs told beyond the first and last segments
	told    func(i int, r *state.Record) bool
}

// notableAnalysis are the findings told where they happen in a long
// connection (at most maxNotable of each kind).
const notableAnalysis = state.Retransmission | state.FastRetransmission | state.SpuriousRetransmission |
	state.OutOfOrder | state.LostSegment | state.AckLostSegment | state.ZeroWindow | state.ZeroWindowProbe |
	state.WindowFull | state.KeepAlive | state.ReusedPorts

const maxNotable = 3

// maxKeys bounds the SYNs, FINs and RSTs told in the middle of a long
// connection (a storm of RSTs answering late data, say).
const maxKeys = 32

func newSelector(x *explainer) *selector {
	s := &selector{x: x}
	s.told = s.decide
	return s
}

func (s *selector) decide(i int, r *state.Record) bool {
	x := s.x
	if x.n <= x.limit || i < x.head || i >= x.n-x.tail {
		return true
	}
	if _, changed := x.trans[r.Frame]; changed {
		return true
	}
	if r.Flags&(capture.SYN|capture.FIN|capture.RST) != 0 && s.keys < maxKeys {
		s.keys++
		return true
	}
	told := false
	for _, an := range state.AllAnalysis() {
		if r.Analysis&an&notableAnalysis != 0 && s.notable[an.Index()] < maxNotable {
			s.notable[an.Index()]++
			told = true
		}
	}
	return told
}

// gapSummary counts the records between two told ones.
type gapSummary struct {
	n                   int
	firstFrame, lastFrm uint64
	firstTime, lastTime int64
	segs, bytes, pure   [2]int64
	count               [state.NumAnalysis]int
}

func (gs *gapSummary) add(r *state.Record, st *state.Step) {
	if gs.n == 0 {
		gs.firstFrame, gs.firstTime = r.Frame, r.Time
	}
	gs.n++
	gs.lastFrm, gs.lastTime = r.Frame, r.Time
	gs.segs[r.Dir]++
	gs.bytes[r.Dir] += int64(r.Len)
	if st.Pure {
		gs.pure[r.Dir]++
	}
	for _, an := range state.AllAnalysis() {
		if r.Analysis&an != 0 {
			gs.count[an.Index()]++
		}
	}
}

// flushGap tells, in one paragraph, the records not told since the last
// told one.
func (x *explainer) flushGap() {
	gs := &x.gap
	if gs.n == 0 {
		return
	}
	defer func() { x.gap = gapSummary{} }()
	s := fmt.Sprintf("Frames %d to %d, %s over %s, are not told one by one:", gs.firstFrame, gs.lastFrm,
		plural(int64(gs.n), "segment", "segments"), duration(gs.lastTime-gs.firstTime))
	if gs.n == 1 {
		s = fmt.Sprintf("Frame %d is not told on its own:", gs.firstFrame)
	}
	var parts []string
	for d := flow.C2S; d <= flow.S2C; d++ {
		if gs.segs[d] == 0 {
			continue
		}
		p := fmt.Sprintf("the %s sent %s", x.side(d), plural(gs.segs[d], "segment", "segments"))
		if gs.bytes[d] > 0 {
			p += fmt.Sprintf(" with %s of data", plural(gs.bytes[d], "byte", "bytes"))
		}
		if gs.pure[d] > 0 {
			p += fmt.Sprintf(" (%d of them pure ACKs)", gs.pure[d])
		}
		parts = append(parts, p)
	}
	s += " " + strings.Join(parts, ", and ") + "."
	var found []string
	for _, an := range state.AllAnalysis() {
		if n := gs.count[an.Index()]; n > 0 {
			found = append(found, fmt.Sprintf("%d %s", n, an.Text()))
			x.g.useAnalysis(an)
		}
	}
	if len(found) > 0 {
		s += " Findings among them: " + strings.Join(found, ", ") + "."
	}
	x.wrapped(s, "  ", "  ")
	x.w.WriteByte('\n')
}

// frame tells one segment: its tcpdump line, what it does, and the state
// changes it caused.
func (x *explainer) frame(r *state.Record, st *state.Step) {
	x.g.use(termTcpdump)
	from, to := x.side(r.Dir), x.side(r.Dir.Reverse())
	wrapAt(x.w, fmt.Sprintf("Frame %d, %s, %s > %s: %s", r.Frame, x.rel(r.Time), from, to, tcpdumpLine(r)), ", ", "      ")
	x.useFlags(r)
	var s []string
	syn, fin, rst := r.Flags&capture.SYN != 0, r.Flags&capture.FIN != 0, r.Flags&capture.RST != 0
	switch {
	case syn:
		s = append(s, x.synWords(r)...)
	case rst:
		s = append(s, x.rstWords(r)...)
	default:
		if r.Len > 0 {
			s = append(s, x.dataWords(r, st)...)
		}
		if fin {
			s = append(s, x.finWords(r, st))
		}
		s = append(s, x.ackWords(r, st)...)
	}
	s = append(s, x.windowWords(r, st)...)
	s = append(s, x.analysisWords(r)...)
	s = append(s, artifactExplained(x.a, r)...)
	s = append(s, x.sizeWords(r, st)...)
	x.wrapped(strings.Join(s, " "), "  ", "  ")
	for _, t := range x.trans[r.Frame] {
		x.wrapped(fmt.Sprintf("%s: %s -> %s. %s", t.Endpoint.Side(), t.From, t.To, x.transitionWords(t, r)), "  => ", "     ")
	}
	x.w.WriteByte('\n')
}

// useFlags records the glossary terms of a segment's flags and options.
func (x *explainer) useFlags(r *state.Record) {
	for _, f := range []struct {
		f capture.Flags
		t term
	}{{capture.SYN, termSYN}, {capture.ACK, termACK}, {capture.PSH, termPSH}, {capture.FIN, termFIN}, {capture.RST, termRST}, {capture.URG, termURG}} {
		if r.Flags&f.f != 0 {
			x.g.use(f.t)
		}
	}
	if r.Opts.NSACK > 0 {
		x.g.use(termSACK)
	}
	if r.Flags&capture.SYN == 0 && r.Flags&capture.RST == 0 {
		x.g.use(termWindow)
	}
	x.g.useAnalysis(r.Analysis)
}

// num shows a sequence or acknowledgment number as the report shows them:
// relative, or absolute with --abs. rel is relative; abs its wire value.
func (x *explainer) num(rel, abs uint32) uint32 {
	if x.opts.Absolute {
		return abs
	}
	return rel
}

// seqOf and ackOf are a record's own numbers as the report shows them.
func (x *explainer) seqOf(r *state.Record) uint32 { return x.num(r.RelSeq, r.Seq) }
func (x *explainer) ackOf(r *state.Record) uint32 { return x.num(r.RelAck, r.Ack) }

// sndNum shows a relative number of r's sender's sequence space; rcvNum
// one of the receiver's (the space r's acknowledgment counts in).
func (x *explainer) sndNum(r *state.Record, rel uint32) uint32 {
	return x.num(rel, r.Seq-r.RelSeq+rel)
}
func (x *explainer) rcvNum(r *state.Record, rel uint32) uint32 {
	return x.num(rel, r.Ack-r.RelAck+rel)
}

// preview quotes the start of a segment's data, escaped: `, "a\n"`.
func (x *explainer) preview(r *state.Record) string {
	p := r.PreviewBytes()
	cut := ""
	if r.Truncated {
		cut = " (the snap length cut the rest from the capture)"
	}
	switch {
	case len(p) == 0:
		return " (the snap length cut them all from the capture)"
	case len(p) < r.Len:
		return ", starting \"" + escape(p) + "\"..." + cut
	}
	return ", \"" + escape(p) + "\""
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
		s := fmt.Sprintf("The %s closed first (the \"active close\", frame %d); the %s closed in answer (the \"passive close\", frame %d).",
			closer.Side(), a.EP[closer].FINFrame, other.Side(), a.EP[other].FINFrame)
		if x.threeWay {
			s += fmt.Sprintf(" The %s's FIN carried the ACK of the %s's FIN, so the close took three segments instead of the textbook's four.",
				other.Side(), closer.Side())
		}
		if from, to := x.closeWaitFrom[other], x.closeWait[other]; from != 0 && to != 0 {
			s += fmt.Sprintf(" The %s was in CLOSE_WAIT for %s, as seen from the capture point: the time its program took to "+
				"call close() after the %s's FIN.", other.Side(), duration(to-from), closer.Side())
		}
		if n := x.halfClose[other]; n > 0 {
			s += fmt.Sprintf(" Meanwhile it sent %s after the %s's FIN: a half-close, each direction closed on its own.",
				plural(n, "byte", "bytes"), closer.Side())
		}
		if a.EP[closer].State == state.TimeWait {
			x.g.use(termTimeWait)
			s += fmt.Sprintf(" The %s, which closed first, is left in TIME_WAIT: it sent the last ACK and must be able to send it again "+
				"should the %s's FIN come once more (see TIME_WAIT at the top for how long).", closer.Side(), other.Side())
		}
		x.para(s)
	case state.Rst:
		by := a.ResetBy
		s := fmt.Sprintf("The %s ended the connection with RST in frame %d: an abort, not an orderly close.", by.Side(), a.EP[by].RSTFrame)
		switch f := a.EP[a.Closer].FINFrame; {
		case a.ResetAfterClose:
			s = fmt.Sprintf("Both sides had closed and seen their FINs acknowledged when the %s sent RST in frame %d: the close was "+
				"complete, so the RST aborted nothing (a late segment answered with RST, or a program that closed without TIME_WAIT).",
				by.Side(), a.EP[by].RSTFrame)
		case f != 0 && by != a.Closer:
			s = fmt.Sprintf("The %s had begun an orderly close with its FIN (frame %d), but the %s ended the connection with RST in "+
				"frame %d: an abort.", a.Closer.Side(), f, by.Side(), a.EP[by].RSTFrame)
		}
		x.para(s)
	case state.Refused:
		x.para("The connection never opened: the SYN was refused.")
	case state.Open:
		if a.CloseSeen {
			x.g.use(termHalfClose)
			x.para(fmt.Sprintf("Only the %s closed its direction (a half-close): the %s could still send when the capture ended.", a.Closer.Side(), a.Closer.Reverse().Side()))
		}
	}
}
