package report

import (
	"bufio"
	"strconv"
	"strings"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
)

// The timeline is the bulk of the default report (a line per segment of
// the capture), so its rows are formatted by appending to a reused buffer:
// no string per cell, no fmt on the common path.

// timelineCols is the number of timeline columns; the last (notes) is not
// padded.
const timelineCols = 9

// row holds one timeline row's cells, end to end in buf, and where each
// part of the notes (a finding, the options, ...) ends, for wrapping.
type row struct {
	buf   []byte
	end   [timelineCols]int
	parts []int
}

func (rw *row) cell(i int) []byte {
	start := 0
	if i > 0 {
		start = rw.end[i-1]
	}
	return rw.buf[start:rw.end[i]]
}

// Timeline writes one row per segment and, under it, the transitions it
// caused; relative times count from base (ns). It reads the records twice
// (column widths, then rows), so they need not fit in memory. Within
// opts.Width, windows show only their scaled value and notes that do not fit
// wrap (writeRow).
func Timeline(w *bufio.Writer, base int64, c *state.Connection, opts Options) {
	timeline(w, base, c, opts, 0, 0)
}

// timeline is Timeline, showing only the first head and the last tail
// segments when head is not 0 (the rest counted on one line).
func timeline(w *bufio.Writer, base int64, c *state.Connection, opts Options, head, tail int) {
	a := c.Data
	n := a.Records.Len()
	shown := func(i int) bool { return head == 0 || i < head || i >= max(n-tail, head) }
	header := [timelineCols]string{"frame", "time", "dir", "flags", "seq", "ack", "len", "win", "notes"}
	if opts.Absolute {
		header[4], header[5] = "seq(abs)", "ack(abs)"
	}
	var widths [timelineCols]int
	var rw row
	rw.buf = rw.buf[:0]
	for i, h := range header {
		rw.buf = append(rw.buf, h...)
		rw.end[i] = len(rw.buf)
		widths[i] = len(h)
	}
	var hdr row
	hdr.buf, hdr.end, hdr.parts = append([]byte(nil), rw.buf...), rw.end, []int{len(rw.buf)}
	for i, r := range a.Records.All() {
		if !shown(i) {
			continue
		}
		rw.fill(base, a, r, opts)
		for i := 0; i < timelineCols-1; i++ {
			widths[i] = max(widths[i], len(rw.cell(i)))
		}
	}
	indent := widths[0] + widths[1] + widths[2] + 6
	writeRow(w, &hdr, &widths, opts.Width, indent)
	ti := 0
	tr := a.Transitions
	for i, r := range a.Records.All() {
		if !shown(i) {
			for ti < len(tr) && tr[ti].Frame <= r.Frame {
				ti++
			}
			if i == head {
				pad(w, indent)
				w.WriteString("... " + plural(int64(n-head-tail), "segment", "segments") + " not shown ...\n")
			}
			continue
		}
		rw.fill(base, a, r, opts)
		writeRow(w, &rw, &widths, opts.Width, indent)
		for ti < len(tr) && tr[ti].Frame <= r.Frame {
			t := tr[ti]
			pad(w, indent)
			line := t.Endpoint.Side() + " " + t.From.String() + " -> " + t.To.String() + ": " + t.Why
			if opts.Width > 0 {
				wrapLine(w, line, indent, strings.Repeat(" ", indent+2), opts.Width)
			} else {
				w.WriteString(line)
				w.WriteByte('\n')
			}
			ti++
		}
	}
}

// fill formats the cells of one segment's row.
func (rw *row) fill(base int64, a *state.Conn, r *state.Record, opts Options) {
	b := rw.buf[:0]
	next := func(i int) { rw.end[i] = len(b) }
	seq, ack := r.RelSeq, r.RelAck
	if opts.Absolute {
		seq, ack = r.Seq, r.Ack
	}
	b = strconv.AppendUint(b, r.Frame, 10)
	next(0)
	b = strconv.AppendFloat(b, float64(r.Time-base)/1e9, 'f', 6, 64)
	next(1)
	if r.Dir == flow.S2C {
		b = append(b, "C <- S"...)
	} else {
		b = append(b, "C -> S"...)
	}
	next(2)
	b = r.Flags.AppendLetters(b)
	next(3)
	b = strconv.AppendUint(b, uint64(seq), 10)
	next(4)
	switch {
	case r.Flags&capture.ACK != 0:
		b = strconv.AppendUint(b, uint64(ack), 10)
	case r.Ack != 0:
		// Not an acknowledgment: the raw field, in parentheses (the
		// note says ack_nonzero).
		b = append(b, '(')
		b = strconv.AppendUint(b, uint64(r.Ack), 10)
		b = append(b, ')')
	}
	next(5)
	b = strconv.AppendInt(b, int64(r.Len), 10)
	next(6)
	shift, _ := a.EP[r.Dir].Scale(&a.EP[r.Dir.Reverse()])
	b = appendWinText(b, r, shift, opts.Width > 0)
	next(7)
	b = rw.appendNotes(b, a, r)
	next(8)
	rw.buf = b
}

// writeRow writes a row padded to the column widths: numbers right-aligned,
// the rest left-aligned, two spaces apart, no trailing blanks. Within maxw
// (when above 0), notes that do not fit their column continue part by part
// on the next lines, in their column when a part fits there, else from
// column indent (under the time), so that an option list is never broken
// in the middle unless it is wider than the whole line.
func writeRow(w *bufio.Writer, rw *row, widths *[timelineCols]int, maxw, indent int) {
	col := 2 * (timelineCols - 1)
	for _, wd := range widths[:timelineCols-1] {
		col += wd
	}
	if notes := rw.cell(timelineCols - 1); maxw > 0 && col+width(string(notes)) > maxw {
		wrapRow(w, rw, widths, col, maxw, indent)
		return
	}
	blanks := 0 // padding owed: written only if something follows
	for i := 0; i < timelineCols; i++ {
		cell := rw.cell(i)
		if i == timelineCols-1 {
			if len(cell) > 0 {
				pad(w, blanks)
				w.Write(cell)
			}
			break
		}
		fill := widths[i] - len(cell)
		if i == 0 || (i >= 4 && i <= 6) { // numbers right-aligned
			blanks += fill
			if len(cell) > 0 {
				pad(w, blanks)
				w.Write(cell)
				blanks = 0
			}
		} else if len(cell) > 0 {
			pad(w, blanks)
			w.Write(cell)
			blanks = fill
		} else {
			blanks += fill
		}
		blanks += 2
	}
	w.WriteByte('\n')
}

// wrapRow is writeRow for a row whose notes do not fit within maxw; col is
// where the notes column starts. It is the rare case: plain strings.
func wrapRow(w *bufio.Writer, rw *row, widths *[timelineCols]int, col, maxw, indent int) {
	var sb strings.Builder
	for i := 0; i < timelineCols-1; i++ {
		cell := string(rw.cell(i))
		fill := strings.Repeat(" ", widths[i]-len(cell))
		if i == 0 || (i >= 4 && i <= 6) { // numbers right-aligned
			sb.WriteString(fill + cell)
		} else {
			sb.WriteString(cell + fill)
		}
		sb.WriteString("  ")
	}
	cur := strings.TrimRight(sb.String(), " ") // the line being built
	at := col                                  // where the next part would start on it
	flush := func() {
		if cur != "" {
			w.WriteString(cur)
			w.WriteByte('\n')
		}
	}
	start := rw.end[timelineCols-2]
	for _, end := range rw.parts {
		p := strings.TrimLeft(string(rw.buf[start:end]), " ")
		start = end
		switch pw := width(p); {
		case cur != "" && at+pw <= maxw:
			if at > col {
				cur += " "
			} else {
				cur += strings.Repeat(" ", col-len(cur))
			}
			cur += p
			at += pw + 1
		case col+pw <= maxw:
			flush()
			cur, at = strings.Repeat(" ", col)+p, col+pw+1
		default:
			flush()
			w.WriteString(strings.Repeat(" ", indent))
			wrapLine(w, p, indent, strings.Repeat(" ", indent+2), maxw)
			cur = ""
		}
	}
	flush()
}

const spaces = "                                                                "

// pad writes n spaces.
func pad(w *bufio.Writer, n int) {
	for n > len(spaces) {
		w.WriteString(spaces)
		n -= len(spaces)
	}
	w.WriteString(spaces[:max(n, 0)])
}

// appendNotes appends the last timeline column: findings in brackets, then
// options, then the application protocol the segment starts; rw.parts gets
// where each ends.
func (rw *row) appendNotes(b []byte, a *state.Conn, r *state.Record) []byte {
	start := len(b)
	rw.parts = rw.parts[:0]
	sep := func() {
		if len(b) > start {
			rw.parts = append(rw.parts, len(b))
			b = append(b, ' ')
		}
	}
	if r.Analysis != 0 {
		b = append(b, '[')
		b = r.Analysis.AppendText(b)
		if r.DupAckNum > 0 {
			b = append(b, " #"...)
			b = strconv.AppendUint(b, uint64(r.DupAckNum), 10)
			b = append(b, " of frame "...)
			b = strconv.AppendUint(b, r.DupAckOf, 10)
		}
		b = append(b, ']')
	}
	if hasOptions(&r.Opts) {
		sep()
		b = append(b, '<')
		b = appendOptionsText(b, &r.Opts)
		b = append(b, '>')
	}
	if r.Truncated {
		sep()
		b = append(b, "(payload cut by snap length)"...)
	}
	if r.Opts.Bad != 0 || r.IPChecksum == capture.ChecksumBad || r.TCPChecksum == capture.ChecksumBad || r.SeqJump > 0 || r.AckJump > 0 {
		for _, p := range damageParts(r) { // rare: allocating is fine
			sep()
			b = append(b, p...)
		}
	}
	if r.Artifacts != 0 {
		for _, art := range state.AllArtifacts() {
			if r.Artifacts&art != 0 {
				sep()
				b = appendArtifactNote(b, a, r, art)
			}
		}
	}
	if p := protoNote(a, r); p != "" {
		sep()
		b = append(b, p...)
	}
	if len(b) > start {
		rw.parts = append(rw.parts, len(b))
	}
	return b
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
	return "{" + escape([]byte(f.Proto)) + "}"
}
