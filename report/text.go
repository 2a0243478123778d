package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/state"
)

// Header writes the capture header: inputs, frame counts by kind, the
// capture filter, the time span, frames not analyzed by reason, faults, and
// what the run's bounds changed; lines wrapped to opts.Width. Names from the
// user or the capture are escaped.
func Header(w *bufio.Writer, sum *pipeline.Summary, opts Options) {
	wrapped(w, opts.Width, "  ", func(w *bufio.Writer) { header(w, sum) })
}

func header(w *bufio.Writer, sum *pipeline.Summary) {
	for _, in := range sum.Inputs {
		kind := string(in.Format)
		if in.Gzip {
			kind += ", gzip"
		}
		if in.Nanosecond {
			kind += ", ns"
		}
		if in.BigEndian {
			kind += ", big-endian"
		}
		if kind == "" {
			kind = "unreadable"
		}
		fmt.Fprintf(w, "capture %s (%s): %d frames\n", Escape(in.Name), kind, in.Frames)
	}
	st := &sum.Stats
	var links []string
	for _, l := range st.Links {
		links = append(links, fmt.Sprintf("%s %d", capture.LinkName(l.Type), l.Frames))
	}
	fmt.Fprintf(w, "frames: %d total, %d TCP segments, %d not analyzed; link types: %s\n",
		st.Frames, st.TCP, st.Skipped(), strings.Join(links, ", "))
	if sum.Filter != "" {
		fmt.Fprintf(w, "filter: %s (%s excluded)\n", Escape(sum.Filter), plural(int64(st.Count[capture.Filtered]), "frame", "frames"))
	}
	if st.Frames > 0 {
		fmt.Fprintf(w, "time: %s to %s (%s)\n", utc(st.MinTime), utc(st.MaxTime), duration(st.MaxTime-st.MinTime))
		if st.FirstTime != st.MinTime {
			fmt.Fprintf(w, "times out of order: frame 1, at %s, is not the earliest; relative times count from it\n", utc(st.FirstTime))
		}
	}
	live := isLive(sum)
	if live {
		fmt.Fprintf(w, "%s dropped by kernel\n", plural(int64(st.KernelDrops), "packet", "packets"))
	}
	for _, r := range capture.Reasons() {
		if n := st.Count[r]; n > 0 && !(r == capture.Filtered && sum.Filter != "") {
			fmt.Fprintf(w, "  %d %s\n", n, r.Text())
		}
	}
	if st.FrameLimit > 0 {
		fmt.Fprintf(w, "stopped after %s, as asked (-c): the rest of the input is not read\n", plural(int64(st.FrameLimit), "frame", "frames"))
	}
	damageHeader(w, sum)
	qualityHeader(w, sum)
	for _, err := range sum.Errors {
		fmt.Fprintf(w, "error: %s (%s)\n", Escape(err.Error()), analyzedAround(sum, err))
	}
	if sum.Interrupted && !live { // stopping is how a live capture ends
		fmt.Fprintf(w, "interrupted: reading stopped at frame %d; the report covers the frames read before\n", st.Frames)
	}
	if sum.Evicted > 0 {
		fmt.Fprintf(w, "evicted: %d connections finished while open to stay within --max-conns (%d half-open or one-sided); the most tracked at once: %d\n",
			sum.Evicted, sum.Evicted-sum.EvictedOpen, sum.MaxOpen)
	}
	if sum.Parts > 0 {
		fmt.Fprintf(w, "continued: %d connections had segments after they were finished; each later part is reported under the same id\n", sum.Parts)
	}
	if sum.ForgottenDropped > 0 {
		fmt.Fprintf(w, "forgotten: %d finished connections were dropped from memory (--max-forgotten); a later segment on their ports got a new id\n", sum.ForgottenDropped)
	}
}

// isLive tells whether the run read a live capture.
func isLive(sum *pipeline.Summary) bool {
	return len(sum.Inputs) > 0 && sum.Inputs[0].Format == capture.FormatLive
}

// analyzedAround says what of the inputs was analyzed around a fault: the
// frames read before it, the files after it.
func analyzedAround(sum *pipeline.Summary, err error) string {
	var before uint64
	at := -1
	for i := range sum.Inputs {
		before += sum.Inputs[i].Frames
		if sum.Inputs[i].Err == err {
			at = i
			break
		}
	}
	if at < 0 {
		return "reading stopped there; the frames before it are analyzed"
	}
	after := at < len(sum.Inputs)-1
	switch {
	case before > 0 && after:
		return "the frames before it, and the files after it, are analyzed"
	case before > 0:
		return "the frames before it are analyzed"
	case after:
		return "the files after it are analyzed"
	}
	return "nothing was analyzed"
}

// TableHeader names the columns of the connection table.
var TableHeader = []string{"id", "client", "server", "first (UTC)", "duration", "pkts c>s", "pkts s>c", "bytes c>s", "bytes s>c", "client state", "server state", "end", "zeek", "verdict"}

// TableRow is a connection's row of the connection table.
func TableRow(c *state.Connection) []string {
	a := c.Data
	return []string{connID(c), c.Client.String(), c.Server.String(),
		utc(c.FirstTime)[11:26], seconds(c.LastTime - c.FirstTime),
		u64(c.Packets[flow.C2S]), u64(c.Packets[flow.S2C]), u64(c.Bytes[flow.C2S]), u64(c.Bytes[flow.S2C]),
		a.EP[flow.Client].State.String(), a.EP[flow.Server].State.String(), endText(c),
		a.Zeek.ConnState() + " " + a.Zeek.History(), verdict(c)}
}

// BigTable is the row count from which asciiTable draws tables itself:
// tablewriter spends tens of microseconds per row (width measurement and
// formatting of every cell), which is most of a summary's time on a capture
// with tens of thousands of connections. Both ways draw the same bytes
// (TestASCIITableMatchesTablewriter).
const BigTable = 500

// TableDrawer draws a table in tablewriter's ASCII style with column widths
// known beforehand, row by row, so that a table of millions of rows needs
// no more memory than a row.
type TableDrawer struct {
	W      *bufio.Writer
	Widths []int
}

func (t *TableDrawer) rule() {
	for _, wd := range t.Widths {
		t.W.WriteByte('+')
		t.W.WriteString(strings.Repeat("-", wd+2))
	}
	t.W.WriteString("+\n")
}

// Begin draws the top rule and the centered header.
func (t *TableDrawer) Begin(header []string) {
	t.rule()
	for i, h := range header {
		left := (t.Widths[i] - len(h)) / 2
		t.W.WriteString("| " + strings.Repeat(" ", left) + h + strings.Repeat(" ", t.Widths[i]-len(h)-left) + " ")
	}
	t.W.WriteString("|\n")
	t.rule()
}

// Row draws one row of left-aligned cells.
func (t *TableDrawer) Row(r []string) {
	for i, c := range r {
		t.W.WriteString("| ")
		t.W.WriteString(c)
		t.W.WriteString(strings.Repeat(" ", t.Widths[i]-len(c)))
		t.W.WriteString(" ")
	}
	t.W.WriteString("|\n")
}

// End draws the bottom rule.
func (t *TableDrawer) End() { t.rule() }

// Table draws a table in tablewriter's ASCII style: a centered header,
// left-aligned cells, all cells plain ASCII. Small tables go through
// tablewriter, big ones through TableDrawer (the same bytes).
func Table(w io.Writer, header []string, rows [][]string) error {
	if len(rows) < BigTable {
		t := tablewriter.NewTable(w,
			tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})),
			tablewriter.WithHeaderAutoFormat(tw.Off),
			tablewriter.WithRowAlignment(tw.AlignLeft),
		)
		t.Header(header)
		if err := t.Bulk(rows); err != nil {
			return err
		}
		return t.Render()
	}
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = len(h)
	}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len(c))
		}
	}
	bw := bufio.NewWriter(w)
	t := TableDrawer{W: bw, Widths: widths}
	t.Begin(header)
	for _, r := range rows {
		t.Row(r)
	}
	t.End()
	return bw.Flush()
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }

// ConnFacts writes the per-connection header: endpoints, handshake facts,
// how it ended, its health, its streams and ICMP errors; relative times count
// from base (ns, the capture's first frame); lines wrapped to opts.Width.
func ConnFacts(w *bufio.Writer, base int64, c *state.Connection, opts Options) {
	wrapped(w, opts.Width, "    ", func(w *bufio.Writer) { connFacts(w, base, c) })
}

// connFacts writes ConnFacts's lines. It runs once per connection of a
// summary, tens of thousands of times on a big capture, so it writes pieces
// directly rather than through fmt.
func connFacts(w *bufio.Writer, base int64, c *state.Connection) {
	a := c.Data
	var nb [24]byte
	unum := func(n uint64) { w.Write(strconv.AppendUint(nb[:0], n, 10)) }
	w.WriteString("== connection ")
	w.WriteString(connID(c))
	w.WriteString(": client ")
	w.WriteString(c.Client.String())
	w.WriteString(" -> server ")
	w.WriteString(c.Server.String())
	w.WriteString(" ==\nframes ")
	unum(c.FirstFrame)
	w.WriteString(" to ")
	unum(c.LastFrame)
	w.WriteString(", ")
	w.WriteString(seconds(c.FirstTime - base))
	w.WriteString(" to ")
	w.WriteString(seconds(c.LastTime - base))
	w.WriteString(" (")
	writeDuration(w, c.LastTime-c.FirstTime)
	w.WriteString("), first at ")
	w.WriteString(utc(c.FirstTime))
	w.WriteString("\n")
	if c.MidStream {
		w.WriteString("joined mid-stream: the handshake was not captured, so ISNs and window scales are unknown; relative numbers start at 1\n")
	}
	if a.ConnectTime >= 0 && (a.SYNs > 1 || a.SYNACKs > 1) {
		// SYNs or SYN-ACKs were sent again: setting up took longer than
		// the handshake RTT, which counts from the last SYN.
		w.WriteString("connect time ")
		writeDuration(w, a.ConnectTime)
		w.WriteString(" with ")
		w.WriteString(plural(int64(a.SYNs), "SYN", "SYNs"))
		w.WriteString(" and ")
		w.WriteString(plural(int64(a.SYNACKs), "SYN-ACK", "SYN-ACKs"))
		w.WriteString("; ")
	}
	if a.HandshakeRTT >= 0 {
		w.WriteString("handshake RTT ")
		writeDuration(w, a.HandshakeRTT)
		w.WriteString(" (SYN to SYN-ACK ")
		writeDuration(w, a.SynAckRTT)
		w.WriteString(")\n")
	}
	capturePointFact(w, c)
	w.WriteString("ended: ")
	w.WriteString(endText(c))
	if c.Evicted {
		w.WriteString(" (finished while open to stay within --max-conns: what follows is what was known then;" +
			" a later segment of it starts a continuation part)")
	}
	w.WriteByte('\n')
	for r := flow.Client; r <= flow.Server; r++ {
		w.WriteString(r.Side())
		w.WriteString(": ")
		writeEndpointFacts(w, &a.EP[r], &a.EP[r.Reverse()])
		w.WriteByte('\n')
	}
	health(w, c)
	if st := a.Streams; st != nil {
		for d, side := range [...]string{"client stream: ", "server stream: "} {
			w.WriteString(side)
			w.Write(appendStreamSummary(w.AvailableBuffer(), &st.Facts[d]))
			w.WriteByte('\n')
		}
	}
	for _, e := range a.ICMP {
		fmt.Fprintf(w, "ICMP error in frame %d at %s: %s, about a segment from the %s (seq %d)\n",
			e.Frame, seconds(e.Time-base), icmpText(e), e.Dir.Side(), e.Seq)
	}
	for _, b := range a.BadHeaders {
		fmt.Fprintf(w, "bogus TCP header in frame %d at %s from the %s: header length %d bytes, not analyzed\n",
			b.Frame, seconds(b.Time-base), b.Dir.Side(), b.HdrLen)
	}
	damageFacts(w, a)
	artifactFacts(w, a)
}

// writeEndpointFacts writes one side's handshake facts and final state.
func writeEndpointFacts(w *bufio.Writer, e, peer *state.Endpoint) {
	var nb [24]byte
	num := func(n int64) { w.Write(strconv.AppendInt(nb[:0], n, 10)) }
	if e.SYNSeen {
		w.WriteString("ISN ")
		num(int64(e.ISN))
		if e.MSS >= 0 {
			w.WriteString(", MSS ")
			num(int64(e.MSS))
		} else {
			w.WriteString(", no MSS option")
		}
		switch s, assumed := e.Scale(peer); {
		case e.WScale < 0:
			w.WriteString(", no window scale")
		case peer.Refused:
			w.WriteString(", window scale ")
			num(int64(e.WScale))
			w.WriteString(" offered, never in effect (the connection was refused)")
		case assumed:
			w.WriteString(", window scale ")
			num(int64(e.WScale))
			w.WriteString(" (x")
			num(int64(1) << s)
			w.WriteString("), assumed agreed: the peer's SYN was not captured")
		case s == 0:
			w.WriteString(", window scale ")
			num(int64(e.WScale))
			w.WriteString(" offered, not in effect (peer did not offer it)")
		default:
			w.WriteString(", window scale ")
			num(int64(e.WScale))
			w.WriteString(" (x")
			num(int64(1) << s)
			w.WriteString(")")
		}
		if e.SACKPermitted {
			w.WriteString(", SACK permitted")
		}
	} else if e.Refused {
		w.WriteString("sent no SYN: it refused the connection with RST")
	} else {
		w.WriteString("SYN not captured (ISN, MSS and window scale unknown)")
	}
	if e.Timestamps {
		w.WriteString(", timestamps")
	}
	w.WriteString(", final state ")
	w.WriteString(e.State.String())
}

// connID is a connection's id as reports show it: "12", or "12.2" for the
// second part of connection 12 (segments after it was finished).
func connID(c *state.Connection) string {
	if c.Part == 0 {
		return strconv.Itoa(c.ID)
	}
	return strconv.Itoa(c.ID) + "." + strconv.Itoa(c.Part+1)
}

// NoConnections is what a report says when it has no connection to show:
// the capture has none, or none matches the selection.
func NoConnections(sum *pipeline.Summary) string {
	if sum.Conns == 0 {
		return "No TCP connections."
	}
	return "No connection matches the selection (the capture has " + plural(int64(sum.Conns), "connection", "connections") + ")."
}
