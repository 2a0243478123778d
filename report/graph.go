package report

import (
	"cmp"
	"math"
	"slices"
	"strconv"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
)

// This file draws a connection's graphs from its records: the
// time-sequence graph of each direction that carries data (Stevens'
// picture, as tcptrace and Wireshark draw it), the bytes in flight against
// the receiver's window, the throughput and the ACK round-trip times.
//
// The records are read twice (the extents first, then the marks), never
// loaded whole, and what is drawn is reduced to the pixels: normal data
// segments and the ACK and window lines keep, per pixel column, their
// extremes; marked events (retransmissions, SACK blocks, ...) are kept one by
// one until a graph holds maxMarks of them, and from there merged per cell
// of a grid that coarsens as needed. A connection of millions of segments
// thus draws in a few hundred kilobytes, and a small one shows every segment
// with its own hover text.

// maxMarks bounds the marks of one graph.
const maxMarks = 1500

// exactRecords is the most segments a connection may have to be drawn
// exactly: every segment and every ACK its own element, data segments with
// their hover text, so that a zoom in the page shows each. Beyond, series
// keep per-pixel extremes and only marks have a hover text.
const exactRecords = 2000

// Heights of the graphs.
const (
	tsgHeight      = 380
	smallHeight    = 210
	inflightHeight = 230
)

// unwrapper turns 32-bit relative sequence numbers into 64-bit offsets that
// go on growing past 4 GB (and below 0 for bytes before the base).
type unwrapper struct{ hi int64 }

func (u *unwrapper) at(rel uint32) int64 {
	v := u.hi + int64(int32(rel-uint32(u.hi)))
	u.hi = max(u.hi, v)
	return v
}

// seqSpaces unwraps both directions' sequence spaces, fed in record order.
type seqSpaces [2]unwrapper

// seq is the unwrapped relative sequence number of r (in r.Dir's space).
func (u *seqSpaces) seq(r *state.Record) int64 { return u[r.Dir].at(r.RelSeq) }

// ack is the unwrapped acknowledgment number of r (in the peer's space).
func (u *seqSpaces) ack(r *state.Record) int64 { return u[r.Dir.Reverse()].at(r.RelAck) }

// sack is a SACK edge of r, unwrapped in the peer's space.
func (u *seqSpaces) sack(r *state.Record, edge uint32) int64 {
	return u[r.Dir.Reverse()].at(edge - r.Ack + r.RelAck)
}

// sackBlocks is the SACK blocks of an ACK, unwrapped: both passes unwrap
// the same numbers in the same order, so they agree.
type sackBlocks struct {
	n      int
	lo, hi [capture.MaxSACKBlocks]int64
}

// point reads r's numbers in its own and its peer's space, in a fixed
// order: its sequence number, then, with ACK, its acknowledgment and SACK
// blocks.
func (u *seqSpaces) point(r *state.Record) (seq, ack int64, sb sackBlocks) {
	seq = u.seq(r)
	if r.Flags&capture.ACK == 0 {
		return seq, 0, sb
	}
	ack = u.ack(r)
	for _, b := range r.Opts.SACKBlocks() {
		sb.lo[sb.n], sb.hi[sb.n] = u.sack(r, b.Left), u.sack(r, b.Right)
		sb.n++
	}
	return seq, ack, sb
}

// seqLen is how much sequence space a segment uses: its payload, and one
// for a SYN and for a FIN.
func seqLen(r *state.Record) int64 {
	n := int64(r.Len)
	if r.Flags&capture.SYN != 0 {
		n++
	}
	if r.Flags&capture.FIN != 0 {
		n++
	}
	return n
}

// extents is what the first pass learns.
type extents struct {
	n          int
	tMin, tMax int64
	gaps       []gapSpan // the longest idle periods, at most maxBreaks+4
	dir        [2]dirExtent
	first      []state.Record // the first records, for the ladder
	last       []state.Record // a ring of the last ones
	lastN      int
}

// dirExtent is per direction of data (sender d).
type dirExtent struct {
	dataSegs        int
	seqLo, seqHi    int64 // sequence space used by the sender
	ackHi           int64 // highest ACK or SACK edge the peer sent
	winHi           int64 // highest ACK plus window the peer advertised
	rttN            int
	rttHi           int64 // ns
	inHi, peerWinHi int64
	marked          int // segments with a finding drawn as a mark (data, SYN or FIN)
	started         bool
}

// minSegments is how many data segments a direction needs for graphs of its
// own, when none is marked and it is not the direction of most data: a
// request of one segment tells nothing in a graph.
const minSegments = 3

// Ladder sizes: the first and last segments a ladder shows.
const (
	ladderFirst = 16
	ladderLast  = 8
)

func measure(c *state.Connection) *extents {
	e := &extents{}
	var u seqSpaces
	var prev int64
	for _, r := range c.Data.Records.All() {
		e.n++
		if e.n == 1 {
			e.tMin, e.tMax = r.Time, r.Time
		} else {
			e.tMin, e.tMax = min(e.tMin, r.Time), max(e.tMax, r.Time)
			if r.Time > prev {
				e.addGap(gapSpan{prev, r.Time})
			}
		}
		prev = max(prev, r.Time)
		if len(e.first) < ladderFirst {
			e.first = append(e.first, *r)
		} else {
			if e.last == nil {
				e.last = make([]state.Record, ladderLast)
			}
			e.last[e.lastN%ladderLast] = *r
			e.lastN++
		}
		d := r.Dir
		x := &e.dir[d]
		s, a, sb := u.point(r)
		if n := seqLen(r); n > 0 || r.Flags&capture.RST == 0 {
			if !x.started {
				x.seqLo, x.seqHi, x.started = s, s+n, true
			}
			x.seqLo, x.seqHi = min(x.seqLo, s), max(x.seqHi, s+n)
		}
		if r.Len > 0 {
			x.dataSegs++
		}
		if seqLen(r) > 0 && segmentKind(r.Analysis) >= 0 {
			x.marked++ // a retransmitted SYN or FIN counts
		}
		if r.InFlight > 0 {
			x.inHi = max(x.inHi, r.InFlight)
		}
		p := &e.dir[d.Reverse()]
		if r.Flags&capture.ACK != 0 {
			p.ackHi = max(p.ackHi, a)
			if r.WinScaled >= 0 && r.Flags&capture.RST == 0 {
				p.winHi = max(p.winHi, a+r.WinScaled)
				p.peerWinHi = max(p.peerWinHi, r.WinScaled)
			}
			for i := 0; i < sb.n; i++ {
				p.ackHi = max(p.ackHi, sb.hi[i])
			}
		}
		if r.AckOf != 0 && r.AckRTT > 0 { // a time scale shows no ACK RTT of 0 or below
			p.rttN++
			p.rttHi = max(p.rttHi, r.AckRTT)
		}
	}
	return e
}

// addGap keeps the longest idle periods.
func (e *extents) addGap(g gapSpan) {
	const keep = maxBreaks + 4
	if len(e.gaps) == keep {
		i := slices.IndexFunc(e.gaps, func(h gapSpan) bool { return h.t1-h.t0 < g.t1-g.t0 })
		if i < 0 {
			return
		}
		e.gaps = slices.Delete(e.gaps, keep-1, keep)
		e.gaps = slices.Insert(e.gaps, i, g)
		return
	}
	i := slices.IndexFunc(e.gaps, func(h gapSpan) bool { return h.t1-h.t0 < g.t1-g.t0 })
	if i < 0 {
		i = len(e.gaps)
	}
	e.gaps = slices.Insert(e.gaps, i, g)
}

// ladderRecords returns the records the ladder shows, in order, and how
// many were left out between the first and the last.
func (e *extents) ladderRecords() (first, last []state.Record, hidden int) {
	if e.lastN <= ladderLast {
		first = append(first, e.first...)
		for i := 0; i < e.lastN; i++ {
			first = append(first, e.last[i])
		}
		return first, nil, 0
	}
	for i := 0; i < ladderLast; i++ {
		last = append(last, e.last[(e.lastN+i)%ladderLast])
	}
	return e.first, last, e.lastN - ladderLast
}

// markKind is a kind of event drawn as a mark.
type markKind uint8

const (
	mkRetrans markKind = iota
	mkFast
	mkSpurious
	mkOutOfOrder
	mkProbe
	mkKeepAlive
	mkLost
	mkSACK
	mkDupAck
	mkSYN
	mkFIN
	mkRST
	mkRTT // RTT samples, one colour per direction
	numMarkKinds
)

// markStyle says how a kind is drawn: its class, its marker, its name, and
// whether it comes with a vertical bar (the segment's or block's range).
var markStyle = [numMarkKinds]struct {
	cls  string
	sh   shape
	name string
	bar  bool
}{
	mkRetrans:    {"rx", circle, "retransmission", true},
	mkFast:       {"fr", triangle, "fast retransmission", true},
	mkSpurious:   {"sp", hollowCircle, "spurious retransmission", true},
	mkOutOfOrder: {"oo", square, "out of order", true},
	mkProbe:      {"zp", triangleDown, "zero window probe", true},
	mkKeepAlive:  {"ka", diamond, "keep-alive", false},
	mkLost:       {"ls", hollowDiamond, "previous segment not captured", false},
	mkSACK:       {"sack", noShape, "SACK block", true},
	mkDupAck:     {"da", tick, "duplicate ACK", false},
	mkSYN:        {"ev", noShape, "SYN", false},
	mkFIN:        {"ev", noShape, "FIN", false},
	mkRST:        {"rst", noShape, "RST", false},
	mkRTT:        {"", circle, "RTT sample", false},
}

// mark is one drawn event, or several merged in one cell of the grid.
type mark struct {
	kind   markKind
	sub    flow.Dir // mkRTT: the direction of the data
	x      float64
	y0, y1 float64 // pixel range; y0 <= y1
	v0, v1 int64   // value range (sequence numbers, ns)
	n      int
	f0, f1 uint64 // first and last frame
	t0, t1 int64
	rec    state.Record // the first event's record
}

type markKey struct {
	kind   markKind
	sub    flow.Dir
	cx, cy int32
}

// markGrid keeps the marks of a graph, merging those that fall in one cell
// once there are too many.
type markGrid struct {
	cw, ch  float64 // cell size in pixels; 0 until the first merge
	cells   map[markKey]*mark
	dropped int
}

func (g *markGrid) key(m *mark) markKey {
	if g.cw == 0 {
		// Exact until the grid is needed: one cell per event.
		return markKey{m.kind, m.sub, int32(len(g.cells)), -1}
	}
	return markKey{m.kind, m.sub, int32(m.x / g.cw), int32(m.y0 / g.ch)}
}

func (g *markGrid) add(m mark) {
	if g.cells == nil {
		g.cells = map[markKey]*mark{}
	}
	m.n = 1
	m.f1, m.t1 = m.f0, m.t0
	k := g.key(&m)
	if old, ok := g.cells[k]; ok {
		old.merge(&m)
		return
	}
	g.cells[k] = &m
	if len(g.cells) > maxMarks {
		g.coarsen()
	}
}

func (m *mark) merge(o *mark) {
	m.n += o.n
	m.y0, m.y1 = min(m.y0, o.y0), max(m.y1, o.y1)
	m.v0, m.v1 = min(m.v0, o.v0), max(m.v1, o.v1)
	if o.f0 < m.f0 {
		m.f0, m.t0, m.x, m.rec = o.f0, o.t0, o.x, o.rec
	}
	if o.f1 > m.f1 {
		m.f1, m.t1 = o.f1, o.t1
	}
}

// coarsen merges the marks into cells twice as large, until they fit.
func (g *markGrid) coarsen() {
	if g.cw == 0 {
		g.cw, g.ch = 2, 4
	}
	for len(g.cells) > maxMarks*3/4 {
		g.cw, g.ch = g.cw*2, g.ch*2
		old := g.list()
		g.cells = make(map[markKey]*mark, len(old))
		for _, m := range old {
			k := g.key(m)
			if o, ok := g.cells[k]; ok {
				o.merge(m)
			} else {
				g.cells[k] = m
			}
		}
	}
}

// list returns the marks in drawing order: by kind, then frame.
func (g *markGrid) list() []*mark {
	out := make([]*mark, 0, len(g.cells))
	for _, m := range g.cells {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b *mark) int {
		return cmp.Or(cmp.Compare(a.kind, b.kind), cmp.Compare(a.sub, b.sub), cmp.Compare(a.f0, b.f0), cmp.Compare(a.y0, b.y0))
	})
	return out
}

func (g *markGrid) has(k markKind) bool {
	for key := range g.cells {
		if key.kind == k {
			return true
		}
	}
	return false
}

// column is what a pixel column keeps of a series: the first, lowest,
// highest and last value and where the first was.
type column struct {
	n                   int32
	first, lo, hi, last int64
	x                   float64 // x of the first value
	f0, f1              uint64
	t0                  int64
}

func (c *column) add(v int64, x float64, frame uint64, t int64) {
	if c.n == 0 {
		*c = column{n: 1, first: v, lo: v, hi: v, last: v, x: x, f0: frame, f1: frame, t0: t}
		return
	}
	c.n++
	c.lo, c.hi, c.last, c.f1 = min(c.lo, v), max(c.hi, v), v, frame
}

// series is a value over time, one column per pixel, or per value when
// exact.
type series struct {
	cols  []column
	exact bool
}

func newSeries(exact bool) series {
	if exact {
		return series{exact: true}
	}
	return series{cols: make([]column, int(plotRight-plotLeft)+2)}
}

// at returns the column a value at x goes to; valid until the next call.
func (s *series) at(x float64) *column {
	if s.exact {
		s.cols = append(s.cols, column{})
		return &s.cols[len(s.cols)-1]
	}
	return &s.cols[min(max(int(x-plotLeft), 0), len(s.cols)-1)]
}

func (s *series) add(v int64, x float64, frame uint64, t int64) { s.at(x).add(v, x, frame, t) }

// stepPath draws the series as a step line (a value holds until the next),
// through every column's extremes, on to xEnd; values are mapped by y.
func (s *svgBuf) stepPath(cls string, sr *series, y func(int64) float64, xEnd float64) {
	started := false
	var lastY float64
	for i := range sr.cols {
		c := &sr.cols[i]
		if c.n == 0 {
			continue
		}
		if !started {
			s.str(`<path class="`)
			s.str(cls)
			s.str(`" d="M`)
			s.num(c.x)
			s.str(" ")
			s.num(y(c.first))
			started = true
		} else {
			s.str("H")
			s.num(c.x)
			if fy := y(c.first); !sameCoord(fy, lastY) {
				s.str("V")
				s.num(fy)
			}
		}
		cur := y(c.first)
		for _, v := range [...]int64{c.lo, c.hi, c.last} {
			if vy := y(v); !sameCoord(vy, cur) {
				s.str("V")
				s.num(vy)
				cur = vy
			}
		}
		lastY = cur
	}
	if started {
		s.str("H")
		s.num(xEnd)
		s.str(`"/>`)
	}
}

func sameCoord(a, b float64) bool { return math.Round(a*10) == math.Round(b*10) }

// tsg is the time-sequence graph of the data one side sends.
type tsg struct {
	d        flow.Dir
	f        frame
	data     series // normal data segments: sequence range per column
	ack, win series // the peer's ACK line and ACK + window line
	marks    markGrid
	zw       []zwCol // per pixel column: the zero-window periods over it
	zwAny    bool
	zwOpen   bool
	zwStart  zwEdge
	clipped  bool // the window line goes above the graph
	hasWin   bool
}

type zwEdge struct {
	t     int64
	frame uint64
}

// zwCol is what a pixel column knows of the zero-window periods over it:
// when the first began and the last ended.
type zwCol struct {
	set      bool
	from, to zwEdge
}

// zeroWindow marks the period [from, to] when the peer advertised a zero
// window; to.frame is 0 when it lasted to the end of the capture.
func (t *tsg) zeroWindow(ax *timeAxis, from, to zwEdge) {
	i0 := min(max(int(ax.x(from.t)-plotLeft), 0), len(t.zw)-1)
	i1 := min(max(int(ax.x(to.t)-plotLeft), 0), len(t.zw)-1)
	for i := i0; i <= i1; i++ {
		c := &t.zw[i]
		if !c.set {
			c.set, c.from = true, from
		}
		c.to = to
	}
	t.zwAny = true
}

// graphs is everything drawn for one connection.
type graphs struct {
	c    *state.Connection
	base int64
	e    *extents
	ax   *timeAxis
	tsg  [2]*tsg
	inf  [2]*inflight
	thr  *throughput
	rtt  *rttGraph
	// exact: few segments, each drawn (see exactRecords).
	exact bool
}

// ConnPictures draws connection c's graphs and its ladder diagram; times are
// labelled in seconds since base (ns, the capture's first frame). It reads
// the connection's records twice and keeps no more of them than the ladder
// shows.
func ConnPictures(base int64, c *state.Connection) []Picture {
	e := measure(c)
	if e.n == 0 {
		return nil
	}
	g := &graphs{c: c, base: base, e: e, exact: e.n <= exactRecords}
	// The direction that carried more data first: its story is the one to tell.
	main := flow.C2S
	if c.Bytes[flow.S2C] > c.Bytes[flow.C2S] {
		main = flow.S2C
	}
	g.ax = newTimeAxis(base, e.tMin, e.tMax, e.gaps, plotLeft, plotRight)
	noData := e.dir[0].dataSegs+e.dir[1].dataSegs == 0
	for d := flow.C2S; d <= flow.S2C; d++ {
		x := &e.dir[d]
		// Without data, the client's graph shows its retransmitted SYNs
		// (a server that does not answer); the ladder tells the rest.
		busy := x.dataSegs >= minSegments || x.marked > 0
		if (x.dataSegs > 0 && (d == main || busy)) || (noData && d == flow.C2S && x.marked > 0) {
			g.tsg[d] = g.newTSG(d)
		}
		if x.inHi > 0 && busy {
			g.inf[d] = g.newInflight(d)
		}
	}
	if !noData && g.ax.pxPerNs > 0 {
		g.thr = newThroughput()
	}
	if e.dir[0].rttN+e.dir[1].rttN > 0 {
		g.rtt = g.newRTT()
	}
	g.plot()
	var out []Picture
	for _, d := range []flow.Dir{main, main.Reverse()} {
		if t := g.tsg[d]; t != nil {
			out = append(out, g.drawTSG(t))
		}
	}
	for _, d := range []flow.Dir{main, main.Reverse()} {
		if f := g.inf[d]; f != nil {
			out = append(out, g.drawInflight(f))
		}
	}
	if g.thr != nil {
		out = append(out, g.drawThroughput())
	}
	if g.rtt != nil {
		out = append(out, g.drawRTT())
	}
	out = append(out, ladderPicture(base, c, e))
	return out
}

// arrow names a direction with its endpoints: "server → client
// (198.51.100.20:80 → 192.0.2.10:49152)".
func (g *graphs) arrow(d flow.Dir) string {
	return d.Side() + " → " + d.Reverse().Side() + " (" + g.c.Endpoint(d).String() + " → " + g.c.Endpoint(d.Reverse()).String() + ")"
}

func (g *graphs) title(what string) string { return "Connection " + connID(g.c) + ": " + what }

// newFrame lays out a plot area of the given height on the shared time axis.
func (g *graphs) newFrame(name string, h int, yTitle string) frame {
	return frame{w: picWidth, h: h, left: plotLeft, right: plotRight, top: plotTop, bottom: float64(h) - plotBottom,
		ax: g.ax, yTitle: yTitle, xTitle: "time (s since the capture's first frame)",
		id: htmlAnchor(connID(g.c)) + "-" + name}
}

func (g *graphs) newTSG(d flow.Dir) *tsg {
	x := &g.e.dir[d]
	t := &tsg{d: d, f: g.newFrame("tsg-"+d.String(), tsgHeight+legendLine, "relative sequence number (bytes)"),
		data: newSeries(g.exact), ack: newSeries(g.exact), win: newSeries(g.exact)}
	t.zw = make([]zwCol, int(plotRight-plotLeft)+2)
	t.f.top += legendLine // two lines of legend
	top, clipped := clipWindow(max(x.seqHi, x.ackHi), x.winHi)
	t.clipped = clipped
	t.f.yScale, t.f.yTicks = valueAxis(float64(min(x.seqLo, 0)), float64(top), t.f.bottom, t.f.top, nil)
	return t
}

// clipWindow returns the top of a graph whose data reach top and whose
// window line reaches win. The window often runs far above the data (a 64 KB
// window over a 2 KB exchange): it is then clipped at half as much again as
// the data rather than flattening them.
func clipWindow(top, win int64) (int64, bool) {
	if win <= top {
		return top, false
	}
	limit := top + top/2
	return min(win, limit), win > limit
}

// plot is the second pass: every record goes to the graphs it belongs in.
func (g *graphs) plot() {
	var u seqSpaces
	ax := g.ax
	for _, r := range g.c.Data.Records.All() {
		d, rev := r.Dir, r.Dir.Reverse()
		x := ax.x(r.Time)
		s, a, sb := u.point(r)
		if t := g.tsg[d]; t != nil {
			t.sent(g, r, x, s)
		}
		if t := g.tsg[rev]; t != nil {
			t.received(g, r, x, a, &sb)
		}
		if r.Flags&capture.RST != 0 {
			for _, t := range g.tsg {
				if t != nil {
					t.marks.add(mark{kind: mkRST, x: x, y0: t.f.top, y1: t.f.top, f0: r.Frame, t0: r.Time, rec: *r})
				}
			}
		}
		if f := g.inf[d]; f != nil && r.InFlight > 0 {
			f.in.add(r.InFlight, x, r.Frame, r.Time)
		}
		if f := g.inf[rev]; f != nil && r.WinScaled >= 0 && r.Flags&capture.RST == 0 {
			f.win.add(r.WinScaled, x, r.Frame, r.Time)
		}
		if g.thr != nil && r.Len > 0 {
			g.thr.add(d, r, x)
		}
		if g.rtt != nil && r.AckOf != 0 && r.AckRTT > 0 {
			g.rtt.add(r, x)
		}
	}
	for _, t := range g.tsg {
		if t != nil && t.zwOpen {
			t.zeroWindow(ax, t.zwStart, zwEdge{g.e.tMax, 0})
		}
	}
}

// segmentKind is the mark a data segment gets, or -1 for a normal one.
func segmentKind(a state.Analysis) int {
	switch {
	case a&state.SpuriousRetransmission != 0:
		return int(mkSpurious)
	case a&state.FastRetransmission != 0:
		return int(mkFast)
	case a&state.Retransmission != 0:
		return int(mkRetrans)
	case a&state.OutOfOrder != 0:
		return int(mkOutOfOrder)
	case a&state.ZeroWindowProbe != 0:
		return int(mkProbe)
	case a&state.KeepAlive != 0:
		return int(mkKeepAlive)
	}
	return -1
}

// sent draws a segment of the graph's own side.
func (t *tsg) sent(g *graphs, r *state.Record, x float64, s int64) {
	y := t.f.yScale.clamp
	end := s + int64(r.Len)
	if r.Flags&capture.SYN != 0 {
		t.marks.add(mark{kind: mkSYN, x: x, y0: y(float64(s)), y1: y(float64(s)), v0: s, v1: s, f0: r.Frame, t0: r.Time, rec: *r})
	}
	if k := segmentKind(r.Analysis); k >= 0 && (seqLen(r) > 0 || markKind(k) == mkKeepAlive) {
		t.marks.add(mark{kind: markKind(k), x: x, y0: y(float64(end)), y1: y(float64(s)), v0: s, v1: end, f0: r.Frame, t0: r.Time, rec: *r})
	} else if r.Len > 0 {
		c := t.data.at(x)
		c.add(s, x, r.Frame, r.Time)
		c.hi = max(c.hi, end) // the column's range runs to the end of its highest segment
		if c.n == 1 {
			c.last = end
		}
	}
	if r.Analysis&state.LostSegment != 0 {
		t.marks.add(mark{kind: mkLost, x: x, y0: y(float64(s)), y1: y(float64(s)), v0: s, v1: end, f0: r.Frame, t0: r.Time, rec: *r})
	}
	if r.Flags&capture.FIN != 0 {
		t.marks.add(mark{kind: mkFIN, x: x, y0: y(float64(end)), y1: y(float64(end)), v0: end, v1: end, f0: r.Frame, t0: r.Time, rec: *r})
	}
}

// received draws what the peer says about the graph's data: its ACK, its
// window, its SACK blocks, its duplicate ACKs and zero windows.
func (t *tsg) received(g *graphs, r *state.Record, x float64, a int64, sb *sackBlocks) {
	if r.Flags&capture.ACK == 0 {
		return
	}
	y := t.f.yScale.clamp
	t.ack.add(a, x, r.Frame, r.Time)
	if r.WinScaled >= 0 && r.Flags&capture.RST == 0 {
		t.win.add(a+r.WinScaled, x, r.Frame, r.Time)
		t.hasWin = true
	}
	for i := 0; i < sb.n; i++ {
		lo, hi := sb.lo[i], sb.hi[i]
		t.marks.add(mark{kind: mkSACK, x: x, y0: y(float64(hi)), y1: y(float64(lo)), v0: lo, v1: hi, f0: r.Frame, t0: r.Time, rec: *r})
	}
	if r.Analysis&state.DuplicateAck != 0 {
		t.marks.add(mark{kind: mkDupAck, x: x, y0: y(float64(a)), y1: y(float64(a)), v0: a, v1: a, f0: r.Frame, t0: r.Time, rec: *r})
	}
	if r.Flags&(capture.SYN|capture.RST) == 0 {
		switch {
		case r.Win == 0 && !t.zwOpen:
			t.zwOpen, t.zwStart = true, zwEdge{r.Time, r.Frame}
		case r.Win != 0 && t.zwOpen:
			t.zwOpen = false
			t.zeroWindow(g.ax, t.zwStart, zwEdge{r.Time, r.Frame})
		}
	}
}

// secondsText is a time as the timeline shows it: "0.063650 s".
func (g *graphs) secondsText(t int64) string { return seconds(t-g.base) + " s" }

// markTitle is a mark's hover text.
func (g *graphs) markTitle(m *mark) string {
	if m.n > 1 {
		return strconv.Itoa(m.n) + " × " + markStyle[m.kind].name + ": frames " + u64(m.f0) + " to " + u64(m.f1) +
			", " + seconds(m.t0-g.base) + " to " + g.secondsText(m.t1)
	}
	r := &m.rec
	head := "frame " + u64(m.f0) + ", " + g.secondsText(m.t0) + ": "
	switch m.kind {
	case mkSACK:
		return head + "SACK block " + siExact(m.v0) + "–" + siExact(m.v1) + " from the " + r.Dir.Side() + " (ack " + strconv.FormatUint(uint64(r.RelAck), 10) + ")"
	case mkDupAck:
		return head + "duplicate ACK #" + strconv.Itoa(int(r.DupAckNum)) + " of frame " + u64(r.DupAckOf) + ", ack " + strconv.FormatUint(uint64(r.RelAck), 10)
	case mkRST:
		return head + "RST from the " + r.Dir.Side()
	case mkSYN:
		return head + ladderFlags(r.Flags) + " from the " + r.Dir.Side() + ", seq " + strconv.FormatUint(uint64(r.RelSeq), 10)
	case mkFIN:
		return head + ladderFlags(r.Flags) + " from the " + r.Dir.Side() + ", the FIN at seq " + siExact(m.v0)
	case mkRTT:
		return head + "ACK from the " + r.Dir.Side() + " of frame " + u64(r.AckOf) + " after " + duration(r.AckRTT)
	}
	s := head + segmentText(r)
	if a := r.Analysis.Text(); a != "" {
		s += " [" + a + "]"
	}
	return s
}

// segmentText describes a data segment: "seq 1449–2897 (1448 bytes)".
func segmentText(r *state.Record) string {
	return "seq " + strconv.FormatUint(uint64(r.RelSeq), 10) + "–" + strconv.FormatUint(uint64(r.RelSeq)+uint64(r.Len), 10) +
		" (" + plural(int64(r.Len), "byte", "bytes") + ")"
}

func siExact(v int64) string { return strconv.FormatInt(v, 10) }

// drawTSG draws a time-sequence graph.
func (g *graphs) drawTSG(t *tsg) Picture {
	title := g.title("time-sequence graph, " + g.arrow(t.d))
	var s svgBuf
	f := &t.f
	y := func(v int64) float64 { return f.yScale.clamp(float64(v)) }

	var items []legendItem
	if g.e.dir[t.d].dataSegs > 0 {
		items = append(items, legendItem{cls: "d", name: "data"})
	}
	items = append(items, legendItem{cls: "ack", line: true, name: "ACK"})
	if t.hasWin {
		name := "receive window"
		if t.clipped {
			name += " (clipped at the top)"
		}
		items = append(items, legendItem{cls: "win", line: true, name: name})
	}
	if t.zwAny {
		items = append(items, legendItem{cls: "zw", box: true, name: "zero window"})
	}
	for k := mkRetrans; k <= mkRST; k++ {
		if k != mkSYN && k != mkFIN && t.marks.has(k) {
			st := markStyle[k]
			items = append(items, legendItem{cls: st.cls, sh: st.sh, line: k == mkRST, name: st.name})
		}
	}
	s.openGraph(f, title, items)
	s.axes(f)

	for i := 0; i < len(t.zw); i++ {
		if !t.zw[i].set {
			continue
		}
		j := i
		for j+1 < len(t.zw) && t.zw[j+1].set {
			j++
		}
		from, to := t.zw[i].from, t.zw[j].to
		i = j
		x0, x1 := g.ax.x(from.t), g.ax.x(to.t)
		title := "zero window from the " + t.d.Reverse().Side() + ": frame " + u64(from.frame) + " at " + g.secondsText(from.t)
		if to.frame != 0 {
			title += " until frame " + u64(to.frame) + " at " + g.secondsText(to.t)
		} else {
			title += " until the end of the capture"
		}
		title += " (" + duration(to.t-from.t) + ")"
		s.rect("zw", x0, f.top, max(x1-x0, 2), f.bottom-f.top, title)
		if x1-x0 >= 90 {
			s.label("note", (x0+x1)/2, f.top+12, "middle", "zero window for "+duration(to.t-from.t))
		}
	}
	xEnd := g.ax.x(g.e.tMax)
	if t.hasWin {
		s.stepPath("win", &t.win, y, xEnd)
	}
	s.stepPath("ack", &t.ack, y, xEnd)

	// Normal data: one path of bars, or titled bars when few.
	if t.data.exact {
		for i := range t.data.cols {
			c := &t.data.cols[i]
			if c.n == 0 {
				continue
			}
			s.str(`<g class="d"><title>`)
			if c.n == 1 {
				s.text("frame " + u64(c.f0) + ", " + g.secondsText(c.t0) + ": seq " + siExact(c.lo) + "–" + siExact(c.hi) + " (" + plural(c.hi-c.lo, "byte", "bytes") + ")")
			} else {
				s.text(strconv.Itoa(int(c.n)) + " segments, frames " + u64(c.f0) + " to " + u64(c.f1) + ": seq " + siExact(c.lo) + "–" + siExact(c.hi))
			}
			s.str("</title>")
			s.line("d", c.x, y(c.hi), c.x, y(c.lo))
			s.str("</g>")
		}
	} else {
		s.str(`<path class="d" d="`)
		for i := range t.data.cols {
			c := &t.data.cols[i]
			if c.n == 0 {
				continue
			}
			s.str("M")
			s.num(c.x)
			s.str(" ")
			s.num(y(c.hi))
			s.str("V")
			s.num(min(y(c.lo), y(c.hi)+1)) // at least a pixel
		}
		s.str(`"/>`)
	}
	g.drawMarks(&s, f, t.marks.list())
	s.plotEnd()
	return Picture{Name: "tsg-" + t.d.String(), Title: title, SVG: s.b}
}

// drawMarks draws marks with their hover texts.
func (g *graphs) drawMarks(s *svgBuf, f *frame, marks []*mark) {
	for _, m := range marks {
		st := markStyle[m.kind]
		cls := st.cls
		if m.kind == mkRTT {
			cls = m.sub.String()
		}
		s.str(`<g class="`)
		s.str(cls)
		s.str(`"><title>`)
		s.text(g.markTitle(m))
		s.str("</title>")
		switch m.kind {
		case mkRST:
			s.line("rst", m.x, f.top, m.x, f.bottom)
			if m.x > f.right-30 { // the label inside the plot
				s.label("ev", m.x-2, f.top+9, "end", "RST")
			} else {
				s.label("ev", m.x+2, f.top+9, "start", "RST")
			}
		case mkSYN, mkFIN:
			s.line("ax", m.x-3, m.y0, m.x+3, m.y0)
			s.label("ev", m.x, m.y0-4, "middle", st.name)
		default:
			if st.bar {
				s.line(cls, m.x, m.y0, m.x, max(m.y1, m.y0+1))
			}
			y := m.y0
			if m.kind == mkLost {
				y = m.y1
			}
			s.marker(st.sh, m.x, y)
		}
		s.str("</g>")
	}
}

// inflight is the graph of one side's bytes in flight against the receive
// window its peer advertised.
type inflight struct {
	d       flow.Dir
	f       frame
	in      series
	win     series
	clipped bool
}

func (g *graphs) newInflight(d flow.Dir) *inflight {
	x := &g.e.dir[d]
	f := &inflight{d: d, f: g.newFrame("inflight-"+d.String(), inflightHeight, "bytes"), in: newSeries(g.exact), win: newSeries(g.exact)}
	top, clipped := clipWindow(x.inHi, x.peerWinHi)
	f.clipped = clipped
	f.f.yScale, f.f.yTicks = valueAxis(0, float64(top), f.f.bottom, f.f.top, nil)
	return f
}

func (g *graphs) drawInflight(f *inflight) Picture {
	title := g.title("bytes in flight from the " + f.d.Side() + " and the " + f.d.Reverse().Side() + "'s receive window")
	var s svgBuf
	fr := &f.f
	win := "receive window of the " + f.d.Reverse().Side()
	if f.clipped {
		win += " (clipped at the top)"
	}
	s.openGraph(fr, title, []legendItem{{cls: "inf", name: "bytes in flight (unacknowledged) after each data segment"}, {cls: "win", line: true, name: win}})
	s.axes(fr)
	y := func(v int64) float64 { return fr.yScale.clamp(float64(v)) }
	s.stepPath("win", &f.win, y, g.ax.x(g.e.tMax))
	titled := f.in.exact
	for i := range f.in.cols {
		c := &f.in.cols[i]
		if c.n == 0 {
			continue
		}
		if titled {
			s.str(`<g class="inf"><title>`)
			if c.n == 1 {
				s.text("frame " + u64(c.f0) + ", " + g.secondsText(c.t0) + ": " + plural(c.lo, "byte", "bytes") + " in flight")
			} else {
				s.text("frames " + u64(c.f0) + " to " + u64(c.f1) + ": " + siExact(c.lo) + " to " + siExact(c.hi) + " bytes in flight")
			}
			s.str("</title>")
		}
		if titled {
			s.marker(circle, c.x, y(c.lo)) // each segment a dot
		} else {
			s.line("inf", c.x, y(c.hi)-1, c.x, y(c.lo)+1) // a pixel's range
		}
		if titled {
			s.str("</g>")
		}
	}
	s.plotEnd()
	return Picture{Name: "inflight-" + f.d.String(), Title: title, SVG: s.b}
}

// throughput adds up the payload each side sent per bucket of pixels.
type throughput struct {
	bytes, rexmit [2][]int64
	frames        [2][][2]uint64
}

const bucketPx = 6.0

func newThroughput() *throughput {
	n := int(math.Ceil((plotRight-plotLeft)/bucketPx)) + 1
	t := &throughput{}
	for d := range t.bytes {
		t.bytes[d], t.rexmit[d], t.frames[d] = make([]int64, n), make([]int64, n), make([][2]uint64, n)
	}
	return t
}

func (t *throughput) add(d flow.Dir, r *state.Record, x float64) {
	i := min(max(int((x-plotLeft)/bucketPx), 0), len(t.bytes[d])-1)
	t.bytes[d][i] += int64(r.Len)
	if r.Analysis&state.Retransmission != 0 {
		t.rexmit[d][i] += int64(r.Len)
	}
	if t.frames[d][i][0] == 0 {
		t.frames[d][i][0] = r.Frame
	}
	t.frames[d][i][1] = r.Frame
}

func (g *graphs) drawThroughput() Picture {
	t := g.thr
	title := g.title("throughput (payload bytes per second, retransmissions included)")
	dur := bucketPx / g.ax.pxPerNs / 1e9 // seconds per bucket
	var hi float64
	anyRex := false
	for d := range t.bytes {
		for i, b := range t.bytes[d] {
			hi = max(hi, float64(b)/dur)
			anyRex = anyRex || t.rexmit[d][i] > 0
		}
	}
	f := g.newFrame("throughput", smallHeight, "bytes/s")
	f.yScale, f.yTicks = valueAxis(0, hi, f.bottom, f.top, siFormat)
	var s svgBuf
	items := []legendItem{{cls: "c2s", line: true, name: "client → server"}, {cls: "s2c", line: true, name: "server → client"}}
	if anyRex {
		items = append(items, legendItem{cls: "rxb", line: true, name: "retransmitted"})
	}
	s.openGraph(&f, title, items)
	s.axes(&f)
	for d := flow.C2S; d <= flow.S2C; d++ {
		if g.e.dir[d].dataSegs > 0 {
			g.rateLine(&s, &f, t.bytes[d], d.String(), dur)
		}
	}
	if anyRex {
		sum := make([]int64, len(t.rexmit[0]))
		for i := range sum {
			sum[i] = t.rexmit[0][i] + t.rexmit[1][i]
		}
		g.rateLine(&s, &f, sum, "rxb", dur)
	}
	// Hover texts over the buckets that carried data.
	for d := flow.C2S; d <= flow.S2C; d++ {
		for i, b := range t.bytes[d] {
			if b == 0 {
				continue
			}
			x := plotLeft + float64(i)*bucketPx
			y := f.yScale.at(float64(b) / dur)
			txt := "frames " + u64(t.frames[d][i][0]) + " to " + u64(t.frames[d][i][1]) + ": " + plural(b, "byte", "bytes") +
				" from the " + d.Side() + " (" + rate(float64(b)/dur) + ")"
			if rx := t.rexmit[d][i]; rx > 0 {
				txt += ", " + plural(rx, "byte", "bytes") + " of them retransmitted"
			}
			s.rect("hov", x, y-3, bucketPx, 6, txt)
		}
	}
	s.plotEnd()
	return Picture{Name: "throughput", Title: title, SVG: s.b}
}

// rateLine draws per-bucket byte counts as a rate step line, lifting the pen
// over the breaks of the time axis.
func (g *graphs) rateLine(s *svgBuf, f *frame, bytes []int64, cls string, dur float64) {
	s.str(`<path class="`)
	s.str(cls)
	s.str(`" fill="none" d="`)
	for _, is := range g.ax.isl {
		i0 := int((is.px0 - plotLeft) / bucketPx)
		i1 := min(int((is.px1-plotLeft)/bucketPx), len(bytes)-1)
		for i := i0; i <= i1; i++ {
			x0 := max(plotLeft+float64(i)*bucketPx, is.px0)
			x1 := min(plotLeft+float64(i+1)*bucketPx, is.px1)
			y := f.yScale.at(float64(bytes[i]) / dur)
			if i == i0 {
				s.str("M")
				s.num(x0)
				s.str(" ")
			} else {
				s.str("V")
			}
			s.num(y)
			s.str("H")
			s.num(max(x1, x0+0.5))
		}
	}
	s.str(`"/>`)
}

// rttGraph is the scatter of ACK round-trip times.
type rttGraph struct {
	f     frame
	marks markGrid
}

func (g *graphs) newRTT() *rttGraph {
	r := &rttGraph{f: g.newFrame("rtt", smallHeight, "ACK RTT (ms)")}
	hi := max(g.e.dir[0].rttHi, g.e.dir[1].rttHi, g.c.Data.HandshakeRTT)
	r.f.yScale, r.f.yTicks = valueAxis(0, float64(hi)/1e6, r.f.bottom, r.f.top, plainFormat)
	return r
}

func (r *rttGraph) add(rec *state.Record, x float64) {
	y := r.f.yScale.at(float64(rec.AckRTT) / 1e6)
	r.marks.add(mark{kind: mkRTT, sub: rec.Dir.Reverse(), x: x, y0: y, y1: y, v0: rec.AckRTT, v1: rec.AckRTT, f0: rec.Frame, t0: rec.Time, rec: *rec})
}

func (g *graphs) drawRTT() Picture {
	r := g.rtt
	title := g.title("ACK round-trip times (from a data segment to the ACK that first covers it)")
	var s svgBuf
	f := &r.f
	var items []legendItem
	for d := flow.C2S; d <= flow.S2C; d++ {
		if g.e.dir[d].rttN > 0 {
			items = append(items, legendItem{cls: d.String(), sh: circle, name: "data from the " + d.Side()})
		}
	}
	hs := g.c.Data.HandshakeRTT
	if hs >= 0 {
		items = append(items, legendItem{cls: "hrtt", line: true, name: "handshake RTT " + duration(hs)})
	}
	s.openGraph(f, title, items)
	s.axes(f)
	if hs >= 0 {
		y := f.yScale.at(float64(hs) / 1e6)
		s.line("hrtt", f.left, y, f.right, y)
	}
	g.drawMarks(&s, f, r.marks.list())
	s.plotEnd()
	return Picture{Name: "rtt", Title: title, SVG: s.b}
}
