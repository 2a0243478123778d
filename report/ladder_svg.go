package report

import (
	"strconv"
	"strings"

	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
)

// Ladder geometry.
const (
	picClientX = 230.0
	picServerX = 760.0
	picRow     = 26.0
	picSlope   = 9.0 // how far an arrow falls while crossing: it takes time to arrive
	picTop     = 70.0
	picChars   = 78 // the longest label, in characters
)

// ladderPicture draws the ladder (sequence) diagram of a connection: the
// client's line on the left, the server's on the right, one arrow per
// segment labelled as the text ladder does, and each side's new state where
// a segment changed it. A long connection shows its first and last segments
// (e's ladder records) with the rest counted in between.
func ladderPicture(base int64, c *state.Connection, e *extents) Picture {
	first, last, hidden := e.ladderRecords()
	trans := map[uint64][]state.Transition{}
	for _, t := range c.Data.Transitions {
		if !assumedEstablished(t) {
			trans[t.Frame] = append(trans[t.Frame], t)
		}
	}
	rows := len(first) + len(last)
	if hidden > 0 {
		rows++
	}
	h := int(picTop + float64(rows)*picRow + 56)
	title := "Connection " + connID(c) + ": ladder diagram"
	if hidden > 0 {
		title += " (the first " + strconv.Itoa(len(first)) + " and the last " + strconv.Itoa(len(last)) + " segments)"
	}
	var s svgBuf
	s.open(picWidth, h, title, nil)
	s.label("ttl", 8, 16, "start", title)
	bottom := float64(h) - 30
	for r, x := range [2]float64{picClientX, picServerX} {
		d := flow.Dir(r)
		s.line("col", x, picTop-22, x, bottom)
		s.label("", x, 36, "middle", d.Side()+" "+c.Endpoint(d).String())
		anchor, dx := "end", -6.0
		if d == flow.Server {
			anchor, dx = "start", 6
		}
		s.label("st", x+dx, picTop-10, anchor, startState(c, d))
		s.label("st", x+dx, bottom+14, anchor, c.Data.EP[d].State.String()+" (final)")
	}
	s.label("tl", 60, picTop-10, "end", "time (s)")
	y := picTop
	draw := func(r *state.Record) {
		x0, x1 := picClientX, picServerX
		if r.Dir == flow.S2C {
			x0, x1 = x1, x0
		}
		bad := ""
		if r.Analysis&(state.Retransmission|state.LostSegment|state.OutOfOrder|state.DuplicateAck|state.ZeroWindow|state.ZeroWindowProbe) != 0 {
			bad = " bad"
		}
		label := pictureLabel(r)
		s.str(`<g><title>`)
		s.text("frame " + u64(r.Frame) + ", " + seconds(r.Time-base) + " s, " + r.Dir.Side() + " → " + r.Dir.Reverse().Side() + ": " + label)
		s.str("</title>")
		s.label("tl", 60, y+picSlope/2+3, "end", seconds(r.Time-base))
		s.line("arw"+bad, x0, y, x1, y+picSlope)
		// The arrowhead, pointing along the line.
		dir := 1.0
		if x1 < x0 {
			dir = -1
		}
		s.str(`<path class="arw` + bad + `" d="M`)
		s.num(x1)
		s.str(" ")
		s.num(y + picSlope)
		s.str("l")
		s.num(-9 * dir)
		s.str(" -4.5l0 7z")
		s.str(`"/>`)
		if len(label) > picChars {
			label = label[:picChars-1] + "…"
		}
		s.label("lbl"+bad, (picClientX+picServerX)/2, y-3, "middle", label)
		var st [2][]string
		for _, t := range trans[r.Frame] {
			st[t.Endpoint] = append(st[t.Endpoint], t.To.String())
		}
		if len(st[flow.Client]) > 0 {
			s.label("st", picClientX-6, y+picSlope/2+4, "end", strings.Join(st[flow.Client], ","))
		}
		if len(st[flow.Server]) > 0 {
			s.label("st", picServerX+6, y+picSlope/2+4, "start", strings.Join(st[flow.Server], ","))
		}
		s.str("</g>")
		y += picRow
	}
	for i := range first {
		draw(&first[i])
	}
	if hidden > 0 {
		var shown [2]int64
		for _, l := range [][]state.Record{first, last} {
			for i := range l {
				shown[l[i].Dir] += int64(l[i].Len)
			}
		}
		s.label("gap", (picClientX+picServerX)/2, y+2, "middle",
			"… "+plural(int64(hidden), "segment", "segments")+" not shown: "+
				plural(int64(c.Bytes[flow.C2S])-shown[flow.C2S], "byte", "bytes")+" →, "+
				plural(int64(c.Bytes[flow.S2C])-shown[flow.S2C], "byte", "bytes")+" ← …")
		y += picRow
	}
	for i := range last {
		draw(&last[i])
	}
	s.close()
	return Picture{Name: "ladder", Title: title, SVG: s.b}
}

// pictureLabel is a segment's arrow label in the ladder picture: relative
// numbers, the window field as sent, no data.
func pictureLabel(r *state.Record) string {
	return arrowLabel(r, r.RelSeq, r.RelAck, strconv.Itoa(int(r.Win)), false)
}
