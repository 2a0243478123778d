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
		label := fmt.Sprintf("%d %s seq %d", r.Frame, ladderFlags(r.Flags), r.RelSeq)
		if r.Flags&capture.ACK != 0 {
			label += fmt.Sprintf(" ack %d", r.RelAck)
		}
		if r.Len > 0 {
			label += fmt.Sprintf(" len %d", r.Len)
		}
		label += " win " + strconv.Itoa(int(r.Win))
		if r.Analysis != 0 {
			label += " [" + r.Analysis.Text() + "]"
		}
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
func (x *explainer) startState(r flow.Dir) string {
	for _, t := range x.transitions {
		if t.Endpoint == r {
			if t.From == state.Unknown && x.c.MidStream {
				return "ESTABLISHED (assumed)"
			}
			return t.From.String()
		}
	}
	return x.a.EP[r].State.String()
}
