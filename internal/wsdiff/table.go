package wsdiff

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Style chooses how tables are drawn.
type Style int

const (
	ASCII    Style = iota // +---+ boxes, for terminals and test logs
	Markdown              // GitHub tables, for docs/wireshark-differences.md
)

func newTable(w io.Writer, st Style) *tablewriter.Table {
	var r tw.Renderer = renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})
	if st == Markdown {
		r = renderer.NewMarkdown()
	}
	return tablewriter.NewTable(w,
		tablewriter.WithRenderer(r),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
	)
}

// percent formats a rate rounded down to 0.01, so that only full agreement
// reads 100.
func percent(n, d int) string {
	if n == d {
		return "100"
	}
	return strconv.FormatFloat(math.Floor(pct(n, d)*100)/100, 'f', 2, 64)
}

// rateCell is a field's agreement in a per-file row: "100", "99.12 (3)" with the
// number of disagreements, "99.12 (3, 1 expl.)" when some are explained, "-"
// when nothing was compared.
func rateCell(t Tally) string {
	if t.Compared == 0 {
		return "-"
	}
	s := percent(t.Agree, t.Compared)
	if d := t.Compared - t.Agree; d > 0 {
		s += " (" + strconv.Itoa(d)
		if t.Explained > 0 {
			s += ", " + strconv.Itoa(t.Explained) + " expl."
		}
		s += ")"
	}
	return s
}

// WriteFiles writes one row per capture: frames each tool gave, agreement per
// field, frames whose window scale was unknown, and faults or errors.
func WriteFiles(w io.Writer, results []FileResult, st Style) error {
	t := newTable(w, st)
	head := []any{"file", "frames tcpflow/tshark"}
	for f := Field(0); f < NumFields; f++ {
		head = append(head, f.String())
	}
	head = append(head, "win unknown tcpflow/tshark", "notes")
	t.Header(head...)
	for _, r := range results {
		rep := &r.Report
		row := []any{r.Name, fmt.Sprintf("%d/%d", rep.Ours, rep.Theirs)}
		for f := Field(0); f < NumFields; f++ {
			row = append(row, rateCell(rep.Fields[f]))
		}
		row = append(row, fmt.Sprintf("%d/%d", rep.WinUnknownOurs, rep.WinUnknownTheirs), notes(&r))
		if err := t.Append(row...); err != nil {
			return err
		}
	}
	return t.Render()
}

// notes says what else is worth knowing about a capture's comparison.
func notes(r *FileResult) string {
	var ns []string
	if r.Err != nil {
		ns = append(ns, "NOT COMPARED")
	}
	switch {
	case r.OursFault != nil && r.TheirsFault != nil:
		ns = append(ns, "file fault (both tools)")
	case r.OursFault != nil:
		ns = append(ns, "file fault (tcpflow only)")
	case r.TheirsFault != nil:
		ns = append(ns, "file fault (tshark only)")
	}
	rep := &r.Report
	if rep.QuotedOurs+rep.QuotedTheirs > 0 {
		ns = append(ns, fmt.Sprintf("ICMP-quoted %d/%d", rep.QuotedOurs, rep.QuotedTheirs))
	}
	if len(rep.ScaleKnown) > 0 {
		ns = append(ns, fmt.Sprintf("scale known to one tool only %d", len(rep.ScaleKnown)))
	}
	if rep.PartialTheirs > 0 {
		ns = append(ns, fmt.Sprintf("tshark cut headers %d", rep.PartialTheirs))
	}
	if len(rep.MultiLayer) > 0 {
		ns = append(ns, fmt.Sprintf("several TCP layers (not compared) %d", len(rep.MultiLayer)))
	}
	if rep.StreamConflicts > 0 {
		ns = append(ns, fmt.Sprintf("stream mapping conflicts %d", rep.StreamConflicts))
	}
	for _, n := range uncompared(rep) {
		ns = append(ns, fmt.Sprintf("tshark %s %d (not compared)", n, rep.Uncompared[n]))
	}
	return strings.Join(ns, "; ")
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }

// WriteFaults lists, per capture, the errors that stopped a comparison and the
// faults in the file each tool met (frames before a fault are compared).
func WriteFaults(w io.Writer, results []FileResult) {
	for _, r := range results {
		if r.Err != nil {
			fmt.Fprintf(w, "%s: not compared: %s\n", r.Name, oneLine(r.Err))
		}
		if r.OursFault != nil {
			fmt.Fprintf(w, "%s: tcpflow: %s\n", r.Name, oneLine(r.OursFault))
		}
		if r.TheirsFault != nil {
			fmt.Fprintf(w, "%s: tshark: %s\n", r.Name, oneLine(r.TheirsFault))
		}
	}
}

// uncompared lists the uncompared names of r in Name order.
func uncompared(r *Report) []Name {
	var ns []Name
	for n := Name(NumCompared); n < numNames; n++ {
		if r.Uncompared[n] > 0 {
			ns = append(ns, n)
		}
	}
	return ns
}

// WriteTotal writes the overall figures of a (summed) report: a table of
// agreement per field, a table of agreement per analysis name, and the counts
// of frames compared only on their stream or not at all.
func WriteTotal(w io.Writer, r *Report, st Style) error {
	t := newTable(w, st)
	t.Header("field", "compared", "agree", "differ", "explained", "new", "agree %", "agree % counting explained")
	for f := Field(0); f < NumFields; f++ {
		tl := r.Fields[f]
		if err := t.Append(f.String(), tl.Compared, tl.Agree, tl.Compared-tl.Agree, tl.Explained, tl.New(),
			percent(tl.Agree, tl.Compared), percent(tl.Agree+tl.Explained, tl.Compared)); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	t = newTable(w, st)
	t.Header("analysis name", "both", "tcpflow only (FP)", "tshark only (FN)")
	for n := range Name(NumCompared) {
		nt := r.Names[n]
		if nt.Both+nt.FP+nt.FN == 0 {
			continue
		}
		if err := t.Append(n.String(), nt.Both, nt.FP, nt.FN); err != nil {
			return err
		}
	}
	for _, n := range uncompared(r) {
		if err := t.Append(n.String()+" (not compared)", 0, 0, r.Uncompared[n]); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if st == Markdown {
		// A blank line ends a Markdown paragraph; two spaces end a line within one.
		w = &lineBreaker{w: w}
	}
	fmt.Fprintf(w, "frames: tcpflow %d, tshark %d\n", r.Ours, r.Theirs)
	fmt.Fprintf(w, "ICMP errors quoting TCP (compared on stream only): tcpflow %d, tshark %d\n", r.QuotedOurs, r.QuotedTheirs)
	fmt.Fprintf(w, "tshark frames with a cut TCP header (compared on stream only): %d\n", r.PartialTheirs)
	fmt.Fprintf(w, "window compared where both know the scale; unknown: tcpflow %d, tshark %d frames; known to one only: %d frames\n",
		r.WinUnknownOurs, r.WinUnknownTheirs, len(r.ScaleKnown))
	fmt.Fprintf(w, "stream mapping tcpflow id <-> tcp.stream: %s\n", bijection(r.StreamConflicts))
	fmt.Fprintf(w, "frames with several TCP layers (not compared): %d\n", len(r.MultiLayer))
	return nil
}

func bijection(conflicts int) string {
	if conflicts == 0 {
		return "bijective"
	}
	return fmt.Sprintf("NOT bijective (%d conflicts)", conflicts)
}

// lineBreaker ends every line with two spaces: a Markdown line break.
type lineBreaker struct{ w io.Writer }

func (l *lineBreaker) Write(p []byte) (int, error) {
	_, err := l.w.Write([]byte(strings.ReplaceAll(string(p), "\n", "  \n")))
	return len(p), err
}

// WriteDiffs writes disagreements, at most limit of them when limit > 0
// (saying how many were left out): capture, frame, tcp.stream, field, tshark's
// value, tcpflow's, and whether the allowlist explains it.
func WriteDiffs(w io.Writer, diffs []Diff, limit int, st Style) error {
	return writeDiffs(w, diffs, limit, st, true)
}

// WriteScaleKnown writes Report.ScaleKnown like WriteDiffs, without status.
func WriteScaleKnown(w io.Writer, diffs []Diff, limit int, st Style) error {
	return writeDiffs(w, diffs, limit, st, false)
}

func writeDiffs(w io.Writer, diffs []Diff, limit int, st Style, status bool) error {
	t := newTable(w, st)
	head := []any{"file", "frame", "stream", "kind", "tshark", "tcpflow"}
	if status {
		head = append(head, "status")
	}
	t.Header(head...)
	shown := diffs
	if limit > 0 && len(shown) > limit {
		shown = shown[:limit]
	}
	for _, d := range shown {
		row := []any{d.File, d.Frame, streamText(d.Stream), d.Kind(), d.Theirs, d.Ours}
		if status {
			s := "NEW"
			if d.Reason != "" {
				s = "explained: " + d.Reason
			}
			row = append(row, s)
		}
		if err := t.Append(row...); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if len(shown) < len(diffs) {
		fmt.Fprintf(w, "... and %d more\n", len(diffs)-len(shown))
	}
	return nil
}

// Group is the disagreements of one capture that share kind and values.
type Group struct {
	File         string
	Kind         string
	Ours, Theirs string
	Frames       []uint64
	Reason       string // of the first; the allowlist usually gives one per group
}

// Groups gathers diffs by capture, kind and the two values, in order of first
// appearance.
func Groups(diffs []Diff) []Group {
	type key struct{ file, kind, ours, theirs string }
	index := map[key]int{}
	var gs []Group
	for _, d := range diffs {
		k := key{d.File, d.Kind(), d.Ours, d.Theirs}
		i, ok := index[k]
		if !ok {
			i = len(gs)
			index[k] = i
			gs = append(gs, Group{File: d.File, Kind: k.kind, Ours: d.Ours, Theirs: d.Theirs, Reason: d.Reason})
		}
		gs[i].Frames = append(gs[i].Frames, d.Frame)
	}
	return gs
}

// frameRanges writes frame numbers as "21-23, 29", runs of consecutive
// numbers joined.
func frameRanges(frames []uint64) string {
	var b strings.Builder
	for i := 0; i < len(frames); {
		j := i
		for j+1 < len(frames) && frames[j+1] == frames[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatUint(frames[i], 10))
		if j > i {
			b.WriteString("-" + strconv.FormatUint(frames[j], 10))
		}
		i = j + 1
	}
	return b.String()
}

// WriteGroups writes Groups(diffs): capture, kind, frames, tshark's value,
// tcpflow's, how many frames, and the allowlist's reason (empty when new).
func WriteGroups(w io.Writer, diffs []Diff, st Style) error {
	t := newTable(w, st)
	t.Header("file", "kind", "frames", "tshark", "tcpflow", "n", "why")
	for _, g := range Groups(diffs) {
		if err := t.Append(g.File, g.Kind, frameRanges(g.Frames), g.Theirs, g.Ours, len(g.Frames), g.Reason); err != nil {
			return err
		}
	}
	return t.Render()
}
