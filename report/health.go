package report

import (
	"bufio"
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
)

// This file holds what tells a user which connections went wrong and how: the
// one-line verdict, the per-direction health facts and the file-level expert
// summary (like `tshark -z expert`).

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}

func count(a *state.Conn, d flow.Dir, an state.Analysis) int64 {
	return int64(a.Count[d][an.Index()])
}

// dupAcks is the duplicate ACKs direction d sent, as Wireshark counts them,
// less the frames captured twice among them (the verdict's count: a copy is
// no ACK the receiver sent).
func dupAcks(a *state.Conn, d flow.Dir) int64 {
	return count(a, d, state.DuplicateAck) - int64(a.Artifacts[d].DupDupAcks)
}

// finding is one part of a verdict: its code (JSON's verdict_codes) and its
// words.
type finding struct{ code, text string }

// Benign verdict codes: a connection with no others is not a problem
// (--problems hides it).
const (
	codeClean            = "clean"
	codeOpen             = "still_open"
	codeResetAfterClose  = "reset_after_close"
	codeHandshakePending = "handshake_not_completed"
	codeArtifacts        = "capture_artifacts" // what the capture did, not the connection
)

// findings lists what went wrong with a connection, the worst first; empty
// when nothing did.
func findings(c *state.Connection) []finding {
	a := c.Data
	var p []finding
	if code, long, _ := badEnd(c); long != "" {
		p = append(p, finding{code, long})
	}
	for d := flow.C2S; d <= flow.S2C; d++ {
		// Out-of-sequence segments as outseq.go tells them.
		if f, ok := retransmissionFinding(c, d); ok {
			p = append(p, f)
		}
		if f, ok := unneededFinding(a, d); ok {
			p = append(p, f)
		}
	}
	for d := flow.C2S; d <= flow.S2C; d++ {
		if g := a.Dir[d].GapBytes(); g > 0 {
			p = append(p, finding{"not_captured_from_" + d.Side(), plural(g, "byte", "bytes") + " from the " + d.Side() + " not captured"})
		}
	}
	if f, ok := filteredFinding(c); ok { // why they were not captured (quality.go)
		p = append(p, f)
	}
	if st := a.Streams; st != nil {
		for d := flow.C2S; d <= flow.S2C; d++ {
			if n := st.Facts[d].LimitBytes; n > 0 {
				p = append(p, finding{"buffer_limit_" + d.Side(), plural(n, "byte", "bytes") + " from the " + d.Side() +
					" not reassembled: buffer limit reached"})
			}
		}
	}
	for _, s := range damageVerdict(a) {
		p = append(p, finding{"damage", s})
	}
	for d := flow.C2S; d <= flow.S2C; d++ {
		if z := a.Dir[d].ZeroWindow; z > 0 || count(a, d, state.ZeroWindow) > 0 {
			p = append(p, finding{"zero_window_by_" + d.Side(), duration(z) + " stalled on a zero window by the " + d.Side()})
		}
	}
	p = append(p, stallFindings(c)...)
	for d := flow.C2S; d <= flow.S2C; d++ {
		side := d.Side()
		if f, ok := reorderingFinding(a, d); ok {
			p = append(p, f)
		}
		if n := dupAcks(a, d); n > 0 {
			p = append(p, finding{"duplicate_acks_from_" + side, plural(n, "duplicate ACK", "duplicate ACKs") + " from the " + side})
		}
	}
	if f, ok := oneSidedFinding(c); ok { // quality.go
		p = append(p, f)
	}
	// What the capture itself did (copies of frames, offload): said last,
	// and no problem of the connection (Problem leaves it out).
	if s := artifactVerdict(a); s != "" {
		p = append(p, finding{codeArtifacts, s})
	}
	return p
}

// cleanVerdict is the verdict of a connection without findings.
func cleanVerdict(c *state.Connection) finding {
	a := c.Data
	switch {
	case a.EndedBy == state.Open && !a.EP[flow.Client].State.Synchronized():
		return finding{codeHandshakePending, "handshake not completed"}
	case a.EndedBy == state.Open:
		return finding{codeOpen, "clean, still open"}
	}
	return finding{codeClean, "clean"}
}

// verdict says in one line what happened to a connection: "clean", or its
// problems from the worst down, e.g. "reset by the server, 12 retransmissions
// from the server, 2.000 s stalled on a zero window by the client".
func verdict(c *state.Connection) string {
	p := findings(c)
	if len(p) == 0 {
		return cleanVerdict(c).text
	}
	texts := make([]string, len(p))
	for i, f := range p {
		texts[i] = f.text
	}
	return strings.Join(texts, ", ")
}

// VerdictCodes are the verdict's findings as codes, in the verdict's order
// (docs/json-schema.md lists them): "reset_by_client",
// "retransmissions_from_server", ...; one code, "clean", "still_open" or
// "handshake_not_completed", when there is no finding. Damage of any kind
// is "damage", once per kind found.
func VerdictCodes(c *state.Connection) []string {
	p := findings(c)
	if len(p) == 0 {
		return []string{cleanVerdict(c).code}
	}
	codes := make([]string, len(p))
	for i, f := range p {
		codes[i] = f.code
	}
	return codes
}

// Problem reports whether a connection's verdict is not clean: it has a
// finding other than a reset after a completed close (which aborted
// nothing) or what the capture did (copies of frames, one direction only,
// bytes a data-only capture left out: quality.go). A connection still
// open, or whose handshake the capture ended before completing, is not a
// problem.
func Problem(c *state.Connection) bool {
	for _, f := range findings(c) {
		if f.code != codeResetAfterClose && f.code != codeArtifacts && f.code != codeOneSided && !capturedAway(c, f.code) {
			return true
		}
	}
	return false
}

// badEnd says how a connection ended when that is a problem (refused, no
// answer, reset), as a verdict code, in the verdict's words and in the
// table's. A reset is told by the side that sent the RST; one after both
// FINs were acknowledged is told apart from an abort.
func badEnd(c *state.Connection) (code, long, short string) {
	a := c.Data
	switch {
	case a.EndedBy == state.Refused:
		return "refused", "refused: the SYN was answered with RST", "refused"
	case a.EP[flow.Client].SYNSeen && !a.EP[flow.Server].SYNSeen && !c.MidStream && c.Packets[flow.S2C] == 0 && !state.OneSided(c):
		return "no_answer", "no answer to the SYN", "no answer"
	case a.EndedBy == state.Rst && a.ResetAfterClose:
		return codeResetAfterClose, "reset by the " + a.ResetBy.Side() + " after a completed close (both FINs acknowledged)", "reset after close"
	case a.EndedBy == state.Rst:
		return "reset_by_" + a.ResetBy.Side(), "reset by the " + a.ResetBy.Side(), "reset"
	}
	return "", "", ""
}

// health writes the per-connection summary facts under the connection header
// (directly, not through fmt: it runs once per connection of a summary).
func health(w *bufio.Writer, c *state.Connection) {
	a := c.Data
	var nb [24]byte
	num := func(n int64) { w.Write(strconv.AppendInt(nb[:0], n, 10)) }
	z := a.Zeek.ConnState()
	w.WriteString("zeek: conn_state ")
	w.WriteString(z)
	w.WriteString(" (")
	w.WriteString(state.ZeekStateText[z])
	w.WriteString("), history ")
	w.WriteString(a.Zeek.History())
	w.WriteByte('\n')
	dur := c.LastTime - c.FirstTime
	pluralW := func(n int64, one, many string) {
		num(n)
		if n == 1 {
			w.WriteString(" " + one)
		} else {
			w.WriteString(" " + many)
		}
	}
	for d := flow.C2S; d <= flow.S2C; d++ {
		s := &a.Dir[d]
		if d == flow.C2S {
			w.WriteString("client -> server: ")
		} else {
			w.WriteString("server -> client: ")
		}
		pluralW(int64(c.Packets[d]), "segment", "segments")
		w.WriteString("; ")
		pluralW(int64(c.Bytes[d]), "byte", "bytes")
		if dur > 0 && c.Bytes[d] > 0 {
			w.WriteString("; ")
			w.WriteString(rate(float64(c.Bytes[d]) / (float64(dur) / 1e9)))
		}
		if s.RexmtBytes > 0 {
			// The bytes sent again, and the rate without them.
			w.WriteString("; ")
			pluralW(s.RexmtBytes, "byte", "bytes")
			w.WriteString(" retransmitted in ")
			pluralW(s.RexmtSegs, "segment", "segments")
			w.WriteString(" (")
			w.WriteString(percent(s.RetransmissionRate()))
			w.WriteString(" %)")
			if dur > 0 {
				w.WriteString(", goodput ")
				w.WriteString(rate(float64(s.UniqueBytes) / (float64(dur) / 1e9)))
			}
		}
		if g := s.GapBytes(); g > 0 {
			w.WriteString("; ")
			pluralW(g, "byte", "bytes")
			w.WriteString(" not captured")
		}
		rtts := func(name string, min, avg, max int64, n int) {
			w.WriteString(name)
			w.WriteString(" min/avg/max ")
			writeDuration(w, min)
			w.WriteByte('/')
			writeDuration(w, avg)
			w.WriteByte('/')
			writeDuration(w, max)
			w.WriteString(" (")
			pluralW(int64(n), "sample", "samples")
			w.WriteByte(')')
		}
		if s.ACK.Count > 0 {
			rtts("; ACK RTT", s.ACK.Min, s.ACK.Avg(), s.ACK.Max, s.ACK.Count)
		}
		if k := &s.Karn; k.Count > 0 && count(a, d, state.Retransmission) > 0 {
			// The ACK RTT counts the waits for retransmissions; this
			// side sent some, so say the round trip without them.
			rtts("; RTT without resent segments (Karn)", k.Min, k.Avg(), k.Max, k.Count)
		}
		if s.ZeroWindow > 0 {
			w.WriteString("; zero window for ")
			writeDuration(w, s.ZeroWindow)
		}
		writeOutSeq(w, &s.Out)
		first := true
		for _, an := range state.AllAnalysis() {
			if n := a.Count[d][an.Index()]; n > 0 {
				if first {
					w.WriteString("; findings: ")
					first = false
				} else {
					w.WriteString(", ")
				}
				num(int64(n))
				w.WriteByte(' ')
				w.WriteString(an.Text())
			}
		}
		w.WriteByte('\n')
	}
	if a.MaxIdle > 0 {
		w.WriteString("longest idle time between segments: ")
		writeDuration(w, a.MaxIdle)
		w.WriteByte('\n')
	}
	timing(w, c)
	w.WriteString("verdict: ")
	w.WriteString(verdict(c))
	w.WriteByte('\n')
}

// percent formats a share as a percentage with two decimals, or two
// significant digits below 0.01 % (never a misleading 0.00).
func percent(f float64) string {
	if p := 100 * f; p < 0.01 && p > 0 {
		return strconv.FormatFloat(p, 'g', 2, 64)
	}
	return strconv.FormatFloat(100*f, 'f', 2, 64)
}

// rate formats bytes per second.
func rate(bps float64) string {
	switch {
	case bps >= 1e9:
		return strconv.FormatFloat(bps/1e9, 'f', 2, 64) + " GB/s"
	case bps >= 1e6:
		return strconv.FormatFloat(bps/1e6, 'f', 2, 64) + " MB/s"
	case bps >= 1e3:
		return strconv.FormatFloat(bps/1e3, 'f', 2, 64) + " kB/s"
	}
	return strconv.FormatFloat(bps, 'f', 0, 64) + " B/s"
}

// expertRow is one finding kind over the whole capture.
type expertRow struct {
	Kind  state.Analysis
	Total int64
	Conns int
	Worst []connCount // the connections with the most, most first (at most 3)
}

type connCount struct {
	ID int
	N  int64
}

// Expert accumulates the expert summary (like `tshark -z expert`) one
// connection at a time, so a streaming run need not keep its connections.
// The zero value is ready to use.
type Expert struct {
	rows [state.NumAnalysis]expertRow
	art  artifactTotals
}

// Add counts one connection's findings.
func (e *Expert) Add(c *state.Connection) {
	e.art.add(c.Data)
	for i, an := range state.AllAnalysis() {
		n := count(c.Data, flow.C2S, an) + count(c.Data, flow.S2C, an)
		if n == 0 {
			continue
		}
		r := &e.rows[i]
		r.Kind = an
		r.Total += n
		r.Conns++
		// Keep the three worst: most first, ties to the lower id.
		r.Worst = append(r.Worst, connCount{c.ID, n})
		slices.SortFunc(r.Worst, func(a, b connCount) int {
			if a.N != b.N {
				return cmp.Compare(b.N, a.N)
			}
			return a.ID - b.ID
		})
		r.Worst = r.Worst[:min(3, len(r.Worst))]
	}
}

// list returns the kinds with findings, in state.AllAnalysis order.
func (e *Expert) list() []expertRow {
	var rows []expertRow
	for _, r := range e.rows {
		if r.Total > 0 {
			rows = append(rows, r)
		}
	}
	return rows
}

// WriteText writes the expert summary, one line per finding kind, wrapped
// to opts.Width.
func (e *Expert) WriteText(w *bufio.Writer, opts Options) {
	wrapped(w, opts.Width, "      ", func(w *bufio.Writer) {
		expertLines(w, e.list())
		e.art.writeText(w)
	})
}

func expertLines(w *bufio.Writer, rows []expertRow) {
	if len(rows) == 0 {
		fmt.Fprintln(w, "expert summary: no findings (no retransmissions, losses, duplicate ACKs or window problems)")
		return
	}
	fmt.Fprintln(w, "expert summary (as tshark -z expert), with the connections worst hit:")
	width := 0
	for _, r := range rows {
		width = max(width, len(r.Kind.Text()))
	}
	for _, r := range rows {
		var worst []string
		for _, cc := range r.Worst {
			worst = append(worst, fmt.Sprintf("#%d (%d)", cc.ID, cc.N))
		}
		fmt.Fprintf(w, "  %-*s %6d in %s: %s\n", width, r.Kind.Text(), r.Total,
			plural(int64(r.Conns), "connection", "connections"), strings.Join(worst, ", "))
	}
}
