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
	"github.com/tcpflow/tcpflow/state"
)

// Text writes the capture header, the summary table of all connections and then,
// unless opts.Summary, each connection's annotated timeline.
func Text(w io.Writer, res *state.Result, opts Options) error {
	bw := bufio.NewWriter(w)
	writeHeader(bw, res)
	if len(res.Conns) == 0 {
		fmt.Fprintln(bw, "\nNo TCP connections.")
		return bw.Flush()
	}
	fmt.Fprintln(bw)
	if err := summaryTable(bw, res); err != nil {
		return err
	}
	fmt.Fprintln(bw)
	expertText(bw, res)
	for _, c := range res.Conns {
		fmt.Fprintln(bw)
		connFacts(bw, res, c)
		if !opts.Summary {
			fmt.Fprintln(bw)
			timeline(bw, res, c, opts)
		}
	}
	return bw.Flush()
}

func writeHeader(w *bufio.Writer, res *state.Result) {
	for _, in := range res.Inputs {
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
		fmt.Fprintf(w, "capture %s (%s): %d frames\n", in.Name, kind, in.Frames)
	}
	st := &res.Stats
	var links []string
	for _, l := range st.Links {
		links = append(links, fmt.Sprintf("%s %d", capture.LinkName(l.Type), l.Frames))
	}
	fmt.Fprintf(w, "frames: %d total, %d TCP segments, %d not analyzed; link types: %s\n",
		st.Frames, st.TCP, st.Skipped(), strings.Join(links, ", "))
	if st.Frames > 0 {
		fmt.Fprintf(w, "time: %s to %s (%s)\n", utc(st.FirstTime), utc(st.LastTime), duration(st.LastTime-st.FirstTime))
	}
	for _, r := range capture.Reasons() {
		if n := st.Count[r]; n > 0 {
			fmt.Fprintf(w, "  %d %s\n", n, r.Text())
		}
	}
	for _, err := range res.Errors {
		fmt.Fprintf(w, "error: %v (everything before it is analyzed)\n", err)
	}
}

func summaryTable(w io.Writer, res *state.Result) error {
	rows := make([][]string, 0, len(res.Conns))
	for _, c := range res.Conns {
		rows = append(rows, tableRow(c))
	}
	return asciiTable(w, tableHeader, rows)
}

var tableHeader = []string{"id", "client", "server", "first (UTC)", "duration", "pkts c>s", "pkts s>c", "bytes c>s", "bytes s>c", "client state", "server state", "end", "zeek", "verdict"}

// tableRow is a connection's row of the summary table.
func tableRow(c *state.Connection) []string {
	a := c.Data
	return []string{strconv.Itoa(c.ID), c.Client.String(), c.Server.String(),
		utc(c.FirstTime)[11:26], seconds(c.LastTime - c.FirstTime),
		u64(c.Packets[flow.C2S]), u64(c.Packets[flow.S2C]), u64(c.Bytes[flow.C2S]), u64(c.Bytes[flow.S2C]),
		a.EP[flow.Client].State.String(), a.EP[flow.Server].State.String(), endText(c),
		a.Zeek.ConnState() + " " + a.Zeek.History(), verdict(c)}
}

// bigTable is the row count from which asciiTable draws tables itself:
// tablewriter spends tens of microseconds per row (width measurement and
// formatting of every cell), which is most of a summary's time on a capture
// with tens of thousands of connections. Both ways draw the same bytes
// (TestASCIITableMatchesTablewriter).
const bigTable = 500

// tableDrawer draws a table in tablewriter's ASCII style with column widths
// known beforehand, row by row.
type tableDrawer struct {
	w      *bufio.Writer
	widths []int
}

func (t *tableDrawer) rule() {
	for _, wd := range t.widths {
		t.w.WriteByte('+')
		t.w.WriteString(strings.Repeat("-", wd+2))
	}
	t.w.WriteString("+\n")
}

func (t *tableDrawer) begin(header []string) {
	t.rule()
	for i, h := range header {
		left := (t.widths[i] - len(h)) / 2
		t.w.WriteString("| " + strings.Repeat(" ", left) + h + strings.Repeat(" ", t.widths[i]-len(h)-left) + " ")
	}
	t.w.WriteString("|\n")
	t.rule()
}

func (t *tableDrawer) row(r []string) {
	for i, c := range r {
		t.w.WriteString("| ")
		t.w.WriteString(c)
		t.w.WriteString(strings.Repeat(" ", t.widths[i]-len(c)))
		t.w.WriteString(" ")
	}
	t.w.WriteString("|\n")
}

func (t *tableDrawer) end() { t.rule() }

// asciiTable draws a table in tablewriter's ASCII style: a centered header,
// left-aligned cells, all cells plain ASCII.
func asciiTable(w io.Writer, header []string, rows [][]string) error {
	if len(rows) < bigTable {
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
	t := tableDrawer{w: bw, widths: widths}
	t.begin(header)
	for _, r := range rows {
		t.row(r)
	}
	t.end()
	return bw.Flush()
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }

// connFacts writes the per-connection header: endpoints, handshake facts, how it ended.
func connFacts(w *bufio.Writer, res *state.Result, c *state.Connection) {
	connFactsAt(w, res.Stats.FirstTime, c)
}

// connFactsAt is connFacts with relative times counted from base (ns). It
// runs once per connection of a summary, tens of thousands of times on a big
// capture, so it writes pieces directly rather than through fmt.
func connFactsAt(w *bufio.Writer, base int64, c *state.Connection) {
	a := c.Data
	var nb [24]byte
	num := func(n int64) { w.Write(strconv.AppendInt(nb[:0], n, 10)) }
	unum := func(n uint64) { w.Write(strconv.AppendUint(nb[:0], n, 10)) }
	w.WriteString("== connection ")
	num(int64(c.ID))
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
	w.WriteString(")\n")
	if c.MidStream {
		w.WriteString("joined mid-stream: the handshake was not captured, so ISNs and window scales are unknown; relative numbers start at 1\n")
	}
	if a.HandshakeRTT >= 0 {
		w.WriteString("handshake RTT ")
		writeDuration(w, a.HandshakeRTT)
		w.WriteString(" (SYN to SYN-ACK ")
		writeDuration(w, a.SynAckRTT)
		w.WriteString(")\n")
	}
	w.WriteString("ended: ")
	w.WriteString(endText(c))
	w.WriteByte('\n')
	for r := flow.Client; r <= flow.Server; r++ {
		w.WriteString(r.Side())
		w.WriteString(": ")
		writeEndpointFacts(w, &a.EP[r], &a.EP[r.Reverse()])
		w.WriteByte('\n')
	}
	health(w, c)
	if st := a.Streams; st != nil {
		fmt.Fprintf(w, "client stream: %s\n", streamSummary(&st.Facts[flow.C2S]))
		fmt.Fprintf(w, "server stream: %s\n", streamSummary(&st.Facts[flow.S2C]))
	}
	for _, e := range a.ICMP {
		fmt.Fprintf(w, "ICMP error in frame %d at %s: %s, about a segment from the %s (seq %d)\n",
			e.Frame, seconds(e.Time-base), icmpText(e), e.Dir.Side(), e.Seq)
	}
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
	} else {
		w.WriteString("SYN not captured (ISN, MSS and window scale unknown)")
	}
	if e.Timestamps {
		w.WriteString(", timestamps")
	}
	w.WriteString(", final state ")
	w.WriteString(e.State.String())
}

// timeline writes one row per segment and, under it, the transitions it caused.
func timeline(w *bufio.Writer, res *state.Result, c *state.Connection, opts Options) {
	a := c.Data
	header := []string{"frame", "time", "dir", "flags", "seq", "ack", "len", "win", "notes"}
	if opts.Absolute {
		header[4], header[5] = "seq(abs)", "ack(abs)"
	}
	rows := make([][]string, 0, len(a.Records))
	for i := range a.Records {
		r := &a.Records[i]
		seq, ack := r.RelSeq, r.RelAck
		if opts.Absolute {
			seq, ack = r.Seq, r.Ack
		}
		ackS := ""
		switch {
		case r.Flags&capture.ACK != 0:
			ackS = strconv.FormatUint(uint64(ack), 10)
		case r.Ack != 0:
			// Not an acknowledgment: the raw field, in parentheses
			// (the note says ack_nonzero).
			ackS = "(" + strconv.FormatUint(uint64(r.Ack), 10) + ")"
		}
		dir := "C -> S"
		if r.Dir == flow.S2C {
			dir = "C <- S"
		}
		shift, _ := a.EP[r.Dir].Scale(&a.EP[r.Dir.Reverse()])
		rows = append(rows, []string{u64(r.Frame), seconds(r.Time - res.Stats.FirstTime), dir, r.Flags.String(),
			strconv.FormatUint(uint64(seq), 10), ackS, strconv.Itoa(r.Len), winText(r, shift), strings.TrimSpace(notes(r) + protoNote(a, r))})
	}
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = len(h)
	}
	for _, row := range rows {
		for i, cell := range row[:len(row)-1] {
			widths[i] = max(widths[i], len(cell))
		}
	}
	writeRow(w, header, widths)
	indent := 0
	for _, wd := range widths[:3] {
		indent += wd + 2
	}
	ti := 0
	tr := a.Transitions
	for i, row := range rows {
		writeRow(w, row, widths)
		frame := a.Records[i].Frame
		for ti < len(tr) && tr[ti].Frame <= frame {
			t := tr[ti]
			fmt.Fprintf(w, "%s%s %s -> %s: %s\n", strings.Repeat(" ", indent), t.Endpoint.Side(), t.From, t.To, t.Why)
			ti++
		}
	}
}

func writeRow(w *bufio.Writer, row []string, widths []int) {
	var sb strings.Builder
	for i, cell := range row {
		if i == len(row)-1 {
			sb.WriteString(cell)
			break
		}
		pad := widths[i] - len(cell)
		if i == 0 || (i >= 4 && i <= 6) { // numbers right-aligned
			sb.WriteString(strings.Repeat(" ", pad))
			sb.WriteString(cell)
		} else {
			sb.WriteString(cell)
			sb.WriteString(strings.Repeat(" ", pad))
		}
		sb.WriteString("  ")
	}
	w.WriteString(strings.TrimRight(sb.String(), " "))
	w.WriteByte('\n')
}

// protoNote names the application protocol a segment starts, if any.
func protoNote(a *state.Conn, r *state.Record) string {
	if a.Streams == nil {
		return ""
	}
	f := &a.Streams.Facts[r.Dir]
	if f.Proto == "" || f.ProtoFrame != r.Frame {
		return ""
	}
	return " {" + escape([]byte(f.Proto)) + "}"
}

// notes is the last timeline column: findings in brackets, then options.
func notes(r *state.Record) string {
	var parts []string
	if r.Analysis != 0 {
		s := "[" + r.Analysis.Text()
		if r.DupAckNum > 0 {
			s += fmt.Sprintf(" #%d of frame %d", r.DupAckNum, r.DupAckOf)
		}
		parts = append(parts, s+"]")
	}
	if o := optionsText(&r.Opts); o != "" {
		parts = append(parts, "<"+o+">")
	}
	if r.Truncated {
		parts = append(parts, "(payload cut by snap length)")
	}
	return strings.Join(parts, " ")
}
