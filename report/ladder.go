package report

// The ladder (sequence) diagram at the end of an explanation.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
)

// ladderFlags is the short flag list of a ladder arrow.
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

// ladderPreview is how many escaped payload characters an arrow quotes.
const ladderPreview = 12

// ladderLabel is what an arrow of the explanation's ladder says about its
// segment: frame, flags, seq, ack (as the explanation numbers them), len and
// the first bytes of the data, the window in bytes once scaled ("win 513?"
// when the scale is unknown), the findings.
func (x *explainer) ladderLabel(r *state.Record) string {
	win := strconv.Itoa(int(r.Win))
	switch {
	case r.Flags&capture.SYN != 0 || r.WinScaled < 0 && r.Flags&capture.RST != 0:
	case r.WinScaled < 0:
		win += "?"
	default:
		win = strconv.FormatInt(r.WinScaled, 10)
	}
	return arrowLabel(r, x.seqOf(r), x.ackOf(r), win, true)
}

// arrowLabel is what an arrow of a ladder (the explanation's or the
// picture's) says about its segment: "3 ACK seq 1 ack 1 len 84 win 502
// [retransmission]", with the numbers and the window as given, and with
// preview the first bytes of the data.
func arrowLabel(r *state.Record, seq, ack uint32, win string, preview bool) string {
	var b strings.Builder
	b.WriteString(strconv.FormatUint(r.Frame, 10) + " " + ladderFlags(r.Flags) + " seq " + strconv.FormatUint(uint64(seq), 10))
	if r.Flags&capture.ACK != 0 {
		b.WriteString(" ack " + strconv.FormatUint(uint64(ack), 10))
	}
	if r.Len > 0 {
		b.WriteString(" len " + strconv.Itoa(r.Len))
	}
	b.WriteString(" win " + win)
	if preview && r.Len > 0 && r.PreviewN > 0 {
		p := escape(r.PreviewBytes())
		more := int(r.PreviewN) < r.Len
		if len(p) > ladderPreview {
			p, more = p[:ladderPreview], true
		}
		b.WriteString(` "` + p + `"`)
		if more {
			b.WriteString("..")
		}
	}
	if r.Analysis != 0 {
		b.WriteString(" [" + r.Analysis.Text() + "]")
	}
	return b.String()
}

// ladderRow is one row of the ladder: an arrow, the continuation of its
// label, or a summary of segments not shown.
type ladderRow struct {
	time, left, label, right string
	dir                      flow.Dir
	kind                     uint8 // rowArrow, rowMore (label continued, or another state), rowGap
}

const (
	rowArrow = iota
	rowMore
	rowGap
)

// ladder draws the connection as a ladder diagram within 100 columns: the
// client's side on the left, the server's on the right, one arrow per
// segment told, and the state each side entered beside the arrow that caused
// it. The segments a long connection does not tell are counted on one row.
func (x *explainer) ladder() {
	sel := newSelector(x)
	var rows []ladderRow
	hidden, hiddenBytes := 0, [2]int64{}
	flush := func() {
		if hidden > 0 {
			rows = append(rows, ladderRow{kind: rowGap, label: fmt.Sprintf("(%s not shown: %d bytes ->, %d bytes <-)",
				plural(int64(hidden), "segment", "segments"), hiddenBytes[0], hiddenBytes[1])})
			hidden, hiddenBytes = 0, [2]int64{}
		}
	}
	i := 0
	for _, r := range x.a.Records.All() {
		told := sel.told(i, r)
		i++
		if !told {
			hidden++
			hiddenBytes[r.Dir] += int64(r.Len)
			continue
		}
		flush()
		var st [2][]string
		for _, t := range x.trans[r.Frame] {
			st[t.Endpoint] = append(st[t.Endpoint], t.To.String())
		}
		row := ladderRow{time: seconds(r.Time - x.base), dir: r.Dir, label: x.ladderLabel(r)}
		for k := 0; k < max(len(st[0]), len(st[1]), 1); k++ {
			if k < len(st[0]) {
				row.left = st[0][k]
			}
			if k < len(st[1]) {
				row.right = st[1][k]
			}
			rows = append(rows, row)
			row = ladderRow{kind: rowMore, dir: r.Dir}
		}
	}
	flush()

	start := [2]string{x.startState(flow.Client), x.startState(flow.Server)}
	final := [2]string{x.a.EP[flow.Client].State.String(), x.a.EP[flow.Server].State.String()}
	assumed := x.c.MidStream
	for r := range start {
		start[r] = strings.TrimSuffix(start[r], " (assumed)")
	}
	timeW, leftW, rightW, labelW := len("time"), len("client"), len("server"), 0
	for _, rw := range rows {
		timeW = max(timeW, len(rw.time))
		leftW = max(leftW, len(rw.left))
		rightW = max(rightW, len(rw.right))
		labelW = max(labelW, len(rw.label))
	}
	leftW = max(leftW, len(start[0]), len(final[0]), len("(final)"))
	rightW = max(rightW, len(start[1]), len(final[1]), len("(final)"))
	if assumed {
		leftW, rightW = max(leftW, len("(assumed)")), max(rightW, len("(assumed)"))
	}
	width := min(lineWidth-timeW-leftW-rightW-6, max(labelW+6, 30))

	w := x.w
	pad := func(s string, n int) string { return s + strings.Repeat(" ", max(0, n-len(s))) }
	lpad := func(s string, n int) string { return strings.Repeat(" ", max(0, n-len(s))) + s }
	line := func(time, left, mid, right string) {
		w.WriteString(strings.TrimRight(lpad(time, timeW)+"  "+lpad(left, leftW)+" |"+mid+"| "+right, " ") + "\n")
	}
	x.wrapped("client (left): "+x.addr(flow.Client)+"; server (right): "+x.addr(flow.Server), "", "  ")
	blank := strings.Repeat(" ", width)
	line("time", "client", blank, "server")
	line("", start[0], blank, start[1])
	if assumed {
		line("", "(assumed)", blank, "(assumed)")
	}
	for _, rw := range rows {
		switch rw.kind {
		case rowGap:
			line("", "", pad("  "+rw.label, width), "")
		case rowMore:
			line("", rw.left, blank, rw.right)
		default:
			chunks := wrapWords(rw.label, width-4)
			var mid string
			if rw.dir == flow.C2S {
				mid = "--" + chunks[0] + " " + strings.Repeat("-", width-len(chunks[0])-4) + ">"
			} else {
				mid = "<-" + chunks[0] + " " + strings.Repeat("-", width-len(chunks[0])-3)
			}
			line(rw.time, rw.left, mid, rw.right)
			for _, c := range chunks[1:] {
				line("", "", pad("  "+c, width), "")
			}
		}
	}
	line("", final[0], blank, final[1])
	line("", "(final)", blank, "(final)")
}
