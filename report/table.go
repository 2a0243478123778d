package report

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"

	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
)

// The connection table of text reports comes in two shapes. The default one
// fits Options.Width: each connection takes two lines, its client's and its
// server's, each with the packets and bytes that endpoint sent; then how the
// connection ended and by whom, Zeek's conn_state and a short verdict, which
// wraps onto more lines when it needs them. Endpoints too long for the
// width (IPv6) are shortened in the middle, with "..". Everything else (the
// first time, both final states, Zeek's history, the full verdict) is in
// each connection's facts. With Width 0 (--wide) the table has one row per
// connection with every column: TableHeader and TableRow.

// Cells of a connection in the default table (ShortRow), in this order.
const (
	cellID = iota
	cellClient
	cellServer
	cellDuration
	cellPktsC2S
	cellPktsS2C
	cellBytesC2S
	cellBytesS2C
	cellEnd
	cellEndBy
	cellZeek
	cellVerdict
	numShortCells
)

// TableCells returns a connection's cells for the table opts ask for: every
// column (TableRow) without a width, ShortRow within one.
func TableCells(c *state.Connection, opts Options) []string {
	if opts.Width <= 0 {
		return TableRow(c)
	}
	return ShortRow(c)
}

// NumTableCells is the number of cells TableCells returns.
func NumTableCells(opts Options) int {
	if opts.Width <= 0 {
		return len(TableHeader)
	}
	return numShortCells
}

// ShortRow is a connection's cells in the default table.
func ShortRow(c *state.Connection) []string {
	a := c.Data
	end, by := a.EndedBy.String(), ""
	switch a.EndedBy {
	case state.Fin:
		end = "FIN"
	case state.Rst:
		end = "RST"
	case state.Open:
		if a.CloseSeen {
			end = "half-closed"
		}
	}
	switch {
	case a.CloseSeen:
		by = "by " + endedBy(a).Side()
	case c.Evicted:
		by = "evicted"
	}
	return []string{connID(c), c.Client.String(), c.Server.String(), duration(c.LastTime - c.FirstTime),
		u64(c.Packets[flow.C2S]), u64(c.Packets[flow.S2C]), u64(c.Bytes[flow.C2S]), u64(c.Bytes[flow.S2C]),
		end, by, a.Zeek.ConnState(), shortVerdict(c)}
}

// CellWidth is the number of columns a cell takes.
func CellWidth(s string) int { return width(s) }

// Short table layout.
const (
	minVerdict  = 16 // the verdict column is at least this wide ...
	minEndpoint = 22 // ... shortening endpoints down to this width if need be
	tableGap    = "  "
)

// ShortTable draws the default connection table, row by row, to fit a
// width, from the widest of each cell (measured beforehand by the caller:
// rows are drawn at the end of a run, read back from a spool).
type ShortTable struct {
	W *bufio.Writer
	// column widths: id, endpoint, duration, packets, bytes, end, zeek, verdict
	id, ep, dur, pkts, bytes, end, zeek, verdict int
	buf                                          []byte // the line being laid out
}

// NewShortTable lays out the table for cells whose widest are cellWidths
// (indexed like ShortRow's cells), within width columns.
func NewShortTable(w *bufio.Writer, cellWidths []int, width int) *ShortTable {
	cw := func(i int) int { return cellWidths[i] }
	t := &ShortTable{W: w,
		id:    max(cw(cellID), len("id")),
		ep:    max(cw(cellClient), cw(cellServer), len("client")),
		dur:   max(cw(cellDuration), len("duration")),
		pkts:  max(cw(cellPktsC2S), cw(cellPktsS2C), len("pkts")),
		bytes: max(cw(cellBytesC2S), cw(cellBytesS2C), len("bytes")),
		end:   max(cw(cellEnd), cw(cellEndBy), len("end")),
		zeek:  max(cw(cellZeek), len("zeek")),
	}
	used := func() int { return t.id + t.ep + t.dur + t.pkts + t.bytes + t.end + t.zeek + 7*len(tableGap) }
	if room := width - used(); room < minVerdict && t.ep > minEndpoint {
		t.ep = max(minEndpoint, t.ep-(minVerdict-room))
	}
	t.verdict = max(min(width-used(), cw(cellVerdict)), len("verdict"))
	return t
}

// Begin draws the header: "client" over "server", as each row has them.
func (t *ShortTable) Begin() {
	t.line([]string{"id", "client", "duration", "pkts", "bytes", "end", "zeek", "verdict"})
	t.line([]string{"", "server", "", "", "", "", "", ""})
	t.line([]string{strings.Repeat("-", t.id), strings.Repeat("-", t.ep), strings.Repeat("-", t.dur),
		strings.Repeat("-", t.pkts), strings.Repeat("-", t.bytes), strings.Repeat("-", t.end),
		strings.Repeat("-", t.zeek), strings.Repeat("-", t.verdict)})
}

// Row draws a connection's lines from its ShortRow cells.
func (t *ShortTable) Row(cells []string) {
	verdict := wrapWords(cells[cellVerdict], t.verdict)
	for i := 0; i < max(2, len(verdict)); i++ {
		v := ""
		if i < len(verdict) {
			v = verdict[i]
		}
		switch i {
		case 0:
			t.line([]string{cells[cellID], shorten(cells[cellClient], t.ep), cells[cellDuration],
				cells[cellPktsC2S], cells[cellBytesC2S], cells[cellEnd], cells[cellZeek], v})
		case 1:
			t.line([]string{"", shorten(cells[cellServer], t.ep), "", cells[cellPktsS2C], cells[cellBytesS2C], cells[cellEndBy], "", v})
		default:
			t.line([]string{"", "", "", "", "", "", "", v})
		}
	}
}

// line writes one line of the table: id, duration, packets and bytes
// right-aligned, the rest left-aligned, no trailing spaces.
func (t *ShortTable) line(c []string) {
	widths := [...]int{t.id, t.ep, t.dur, t.pkts, t.bytes, t.end, t.zeek, t.verdict}
	b := t.buf[:0]
	for i, cell := range c {
		if i > 0 {
			b = append(b, tableGap...)
		}
		pad := max(0, widths[i]-width(cell))
		switch i {
		case 0, 2, 3, 4:
			b = appendSpaces(b, pad)
			b = append(b, cell...)
		default:
			b = append(b, cell...)
			b = appendSpaces(b, pad)
		}
	}
	t.buf = b
	t.W.Write(bytes.TrimRight(b, " "))
	t.W.WriteByte('\n')
}

// appendSpaces appends n spaces.
func appendSpaces(b []byte, n int) []byte {
	for ; n > len(spaces); n -= len(spaces) {
		b = append(b, spaces...)
	}
	return append(b, spaces[:n]...)
}

// shorten fits an endpoint ("10.0.0.1:80", "[2001:db8::1]:443") in n
// columns, leaving out whole groups from the middle of the address (taking
// them from both ends in turn), or characters if it must:
// "[2001:470:1f17..3292:16f9:2ce0]:60491".
func shorten(ep string, n int) string {
	if len(ep) <= n {
		return ep
	}
	addr, port := ep, ""
	if i := strings.LastIndexByte(ep, ':'); i > 0 {
		addr, port = ep[:i], ep[i:]
	}
	open, close := "", ""
	if strings.HasPrefix(addr, "[") && strings.HasSuffix(addr, "]") {
		addr, open, close = addr[1:len(addr)-1], "[", "]"
	}
	keep := n - len(port) - len(open) - len(close) - len("..")
	if keep < 2 {
		return ep[:n]
	}
	sep := ":"
	if !strings.Contains(addr, ":") {
		sep = "."
	}
	groups := strings.Split(addr, sep)
	var head, tail []string
	used := -len(sep) // a separator between each two kept groups of a side
	for i, j := 0, len(groups)-1; i <= j; {
		g := groups[i]
		if len(tail) < len(head) {
			g = groups[j]
		}
		if used+len(sep)+len(g) > keep-len(sep) {
			break
		}
		used += len(sep) + len(g)
		if len(tail) < len(head) {
			tail = append([]string{g}, tail...)
			j--
		} else {
			head = append(head, g)
			i++
		}
	}
	if len(head) == 0 || len(tail) == 0 {
		h := (keep + 1) / 2
		return open + addr[:h] + ".." + addr[len(addr)-(keep-h):] + close + port
	}
	return open + strings.Join(head, sep) + ".." + strings.Join(tail, sep) + close + port
}

// shortVerdict is the table's verdict: the verdict's findings in a word or
// two each, both directions counted together, after "joined mid-stream"
// when the handshake was not captured; the facts have the full one.
func shortVerdict(c *state.Connection) string {
	a := c.Data
	var p []string
	cl := &a.EP[flow.Client]
	if _, _, short := badEnd(c); short != "" {
		p = append(p, short)
	}
	both := func(an state.Analysis) int64 { return count(a, flow.C2S, an) + count(a, flow.S2C, an) }
	out := func(f func(o *state.OutSeq) uint32) int64 {
		return int64(f(&a.Dir[flow.C2S].Out)) + int64(f(&a.Dir[flow.S2C].Out))
	}
	if n := out(func(o *state.OutSeq) uint32 { return o.Retransmissions }); n > 0 {
		p = append(p, plural(n, "retransmission", "retransmissions"))
	}
	if a.Dir[flow.C2S].GapBytes() > 0 || a.Dir[flow.S2C].GapBytes() > 0 {
		p = append(p, "capture gaps")
	}
	if state.OneSided(c) {
		p = append(p, "one-sided")
	}
	if st := a.Streams; st != nil && st.Facts[flow.C2S].LimitBytes+st.Facts[flow.S2C].LimitBytes > 0 {
		p = append(p, "buffer limit")
	}
	p = append(p, damageShort(a)...)
	if a.Dir[flow.C2S].ZeroWindow > 0 || a.Dir[flow.S2C].ZeroWindow > 0 || both(state.ZeroWindow) > 0 {
		p = append(p, "zero window")
	}
	p = append(p, stallShort(c)...)
	if n := out(func(o *state.OutSeq) uint32 { return o.Reordered }); n > 0 {
		p = append(p, strconv.FormatInt(n, 10)+" reordered")
	}
	if n := dupAcks(a, flow.C2S) + dupAcks(a, flow.S2C); n > 0 {
		p = append(p, plural(n, "dup ACK", "dup ACKs"))
	}
	if len(p) == 0 {
		switch {
		case a.EndedBy == state.Open && !cl.State.Synchronized():
			p = append(p, "handshake incomplete")
		case a.EndedBy == state.Open:
			p = append(p, "clean, open")
		default:
			p = append(p, "clean")
		}
	}
	if c.MidStream {
		p = append([]string{"joined mid-stream"}, p...)
	}
	return strings.Join(p, ", ")
}
