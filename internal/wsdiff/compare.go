package wsdiff

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
)

// Field is a compared property of a frame.
type Field uint8

const (
	// FieldTCP: both tools dissect the frame, and as the same kind (TCP
	// segment, ICMP error quoting TCP, or TCP header cut short).
	FieldTCP Field = iota
	FieldStream
	FieldSeq
	FieldAck
	FieldLen
	FieldWin
	FieldAnalysis
	// FieldAckFrame is tcp.analysis.acks_frame, FieldAckRTT
	// tcp.analysis.ack_rtt (to the ns, as tshark prints it).
	FieldAckFrame
	FieldAckRTT
	NumFields
)

var fieldText = [NumFields]string{"tcp", "stream", "seq", "ack", "len", "win", "analysis", "acks_frame", "ack_rtt"}

func (f Field) String() string {
	if f < NumFields {
		return fieldText[f]
	}
	return "Field(" + strconv.Itoa(int(f)) + ")"
}

// ParseField returns the Field whose String is s.
func ParseField(s string) (Field, bool) {
	for f, t := range fieldText {
		if t == s {
			return Field(f), true
		}
	}
	return 0, false
}

// Strict reports whether every frame must agree on the field: all fields but
// the analysis set, which must reach Targets.MinAnalysis.
func (f Field) Strict() bool { return f != FieldAnalysis }

// Tally counts the frames compared on one field.
type Tally struct {
	Compared  int
	Agree     int
	Explained int // disagreements matched by a Known entry
}

// New is the number of disagreements no Known entry explains.
func (t Tally) New() int { return t.Compared - t.Agree - t.Explained }

// Rate is the percentage of compared frames that agree (100 when none were compared).
func (t Tally) Rate() float64 { return pct(t.Agree, t.Compared) }

// RateExplained is Rate counting explained disagreements as agreeing.
func (t Tally) RateExplained() float64 { return pct(t.Agree+t.Explained, t.Compared) }

func pct(n, d int) float64 {
	if d == 0 {
		return 100
	}
	return 100 * float64(n) / float64(d)
}

// NameTally counts one analysis name over the frames compared.
type NameTally struct {
	Both int // both tools report it
	FP   int // false positives: tcpflow reports it, tshark does not
	FN   int // false negatives: tshark reports it, tcpflow does not
}

// Diff is one frame on which the tools disagree about one field.
type Diff struct {
	File   string // base name of the capture
	Frame  uint64
	Stream int // tshark's tcp.stream, else tcpflow's id (NoStream when neither has one)
	Field  Field
	// Ours and Theirs are the values as text: numbers, "no-ack" for a segment
	// without the ACK flag, "unknown" for a window whose scale is unknown, an
	// analysis Set's String, or for FieldTCP the kind of frame ("tcp",
	// "icmp-quoted", "cut-header", "-" when the tool has no such frame); a
	// stream is "none" when tshark dissects TCP without giving a tcp.stream.
	Ours, Theirs string
	FN, FP       Set    // analysis only: names only tshark / only tcpflow reports
	Reason       string // from the Known entry that explains it; "" for a new difference
}

// Kind groups disagreements: the field, and for analysis the names involved,
// e.g. "analysis FN fast_retransmission".
func (d Diff) Kind() string {
	if d.Field != FieldAnalysis {
		return d.Field.String()
	}
	k := "analysis"
	if d.FN != 0 {
		k += " FN " + d.FN.String()
	}
	if d.FP != 0 {
		k += " FP " + d.FP.String()
	}
	return k
}

// FrameRef names a frame of a capture.
type FrameRef struct {
	File  string
	Frame uint64
}

// Report is the comparison of the two tools over one capture, or the sum over
// several (Add).
type Report struct {
	Ours, Theirs             int // frames each tool gave: TCP segments and ICMP errors quoting TCP
	QuotedOurs, QuotedTheirs int // ICMP errors quoting TCP: compared on the stream only
	PartialTheirs            int // tshark frames with a cut TCP header: compared on the stream only
	// WinUnknownOurs and WinUnknownTheirs count the frames compared on the
	// other fields where that tool did not know the window scale; the window
	// is compared where both know it. ScaleKnown lists the frames where only
	// one knows it (not a disagreement, and not counted against the targets).
	WinUnknownOurs, WinUnknownTheirs int
	ScaleKnown                       []Diff
	Fields                           [NumFields]Tally
	Names                            [NumCompared]NameTally
	// Uncompared counts frames carrying each tshark analysis name that tcpflow
	// does not report (tfo_*), by Name.
	Uncompared map[Name]int
	// StreamConflicts counts tcpflow ids mapped to more than one tshark stream
	// and tshark streams mapped to more than one id: 0 when the mapping is a
	// bijection (it should be the identity, which FieldStream checks).
	StreamConflicts int
	// MultiLayer are frames in which tshark dissected several TCP headers; they
	// are not compared.
	MultiLayer []FrameRef
	Diffs      []Diff // in frame order, then field order
}

// frameKind is a frame's FieldTCP value.
func frameKind(f *Frame) string {
	switch {
	case f == nil:
		return "-"
	case f.Quoted:
		return "icmp-quoted"
	case f.Partial:
		return "cut-header"
	}
	return "tcp"
}

func ackText(f *Frame) string {
	if !f.AckFlag {
		return "no-ack"
	}
	return strconv.FormatUint(uint64(f.Ack), 10)
}

func ackFrameText(f *Frame) string {
	if f.AckFrame == 0 {
		return "-"
	}
	return strconv.FormatUint(f.AckFrame, 10)
}

func streamText(s int) string {
	if s == NoStream {
		return "none"
	}
	return strconv.Itoa(s)
}

func winText(w int64) string {
	if w == WinUnknown {
		return "unknown"
	}
	return strconv.FormatInt(w, 10)
}

// Compare matches tcpflow's frames (ours) with tshark's (theirs) by frame
// number and compares each field. Neither slice is modified.
func Compare(ours, theirs []Frame) Report {
	o := slices.Clone(ours)
	t := slices.Clone(theirs)
	byNumber := func(a, b Frame) int { return cmp.Compare(a.Number, b.Number) }
	slices.SortStableFunc(o, byNumber)
	slices.SortStableFunc(t, byNumber)

	var r Report
	r.Ours, r.Theirs = len(o), len(t)
	toTheirs := map[int]map[int]bool{}
	toOurs := map[int]map[int]bool{}
	i, j := 0, 0
	for i < len(o) || j < len(t) {
		var of, tf *Frame
		switch {
		case j == len(t) || i < len(o) && o[i].Number < t[j].Number:
			of = &o[i]
			i++
		case i == len(o) || t[j].Number < o[i].Number:
			tf = &t[j]
			j++
		default:
			of, tf = &o[i], &t[j]
			i, j = i+1, j+1
		}
		if of != nil && of.Quoted {
			r.QuotedOurs++
		}
		if tf != nil {
			switch {
			case tf.Quoted:
				r.QuotedTheirs++
			case tf.Partial:
				r.PartialTheirs++
			}
		}
		r.compareFrame(of, tf, toTheirs, toOurs)
	}
	for _, m := range []map[int]map[int]bool{toTheirs, toOurs} {
		for _, to := range m {
			if len(to) > 1 {
				r.StreamConflicts++
			}
		}
	}
	return r
}

// compareFrame compares one frame number; of or tf is nil when that tool has
// no such frame.
func (r *Report) compareFrame(of, tf *Frame, toTheirs, toOurs map[int]map[int]bool) {
	ref := tf
	if ref == nil {
		ref = of
	}
	stream := ref.Stream
	if stream == NoStream && of != nil {
		stream = of.Stream
	}
	diff := func(f Field, ours, theirs string) {
		r.Diffs = append(r.Diffs, Diff{Frame: ref.Number, Stream: stream, Field: f, Ours: ours, Theirs: theirs})
	}
	tally := func(f Field, ok bool, ours, theirs string) {
		r.Fields[f].Compared++
		if ok {
			r.Fields[f].Agree++
		} else {
			diff(f, ours, theirs)
		}
	}

	if of == nil || tf == nil {
		tally(FieldTCP, false, frameKind(of), frameKind(tf))
		return
	}
	if tf.TCPLayers > 1 {
		r.MultiLayer = append(r.MultiLayer, FrameRef{Frame: tf.Number})
		return
	}
	ok, ot := frameKind(of), frameKind(tf)
	tally(FieldTCP, ok == ot, ok, ot)

	tally(FieldStream, of.Stream == tf.Stream, streamText(of.Stream), streamText(tf.Stream))
	if of.Stream != NoStream && tf.Stream != NoStream {
		link(toTheirs, of.Stream, tf.Stream)
		link(toOurs, tf.Stream, of.Stream)
	}
	if ok != "tcp" || ot != "tcp" {
		return
	}

	tally(FieldSeq, of.Seq == tf.Seq, strconv.FormatUint(uint64(of.Seq), 10), strconv.FormatUint(uint64(tf.Seq), 10))
	if of.AckFlag || tf.AckFlag {
		tally(FieldAck, of.AckFlag == tf.AckFlag && of.Ack == tf.Ack, ackText(of), ackText(tf))
	}
	tally(FieldLen, of.Len == tf.Len, strconv.Itoa(of.Len), strconv.Itoa(tf.Len))
	if of.Win == WinUnknown {
		r.WinUnknownOurs++
	}
	if tf.Win == WinUnknown {
		r.WinUnknownTheirs++
	}
	switch {
	case of.Win != WinUnknown && tf.Win != WinUnknown:
		tally(FieldWin, of.Win == tf.Win, winText(of.Win), winText(tf.Win))
	case of.Win != tf.Win:
		r.ScaleKnown = append(r.ScaleKnown, Diff{Frame: ref.Number, Stream: stream, Field: FieldWin,
			Ours: winText(of.Win), Theirs: winText(tf.Win)})
	}

	tally(FieldAckFrame, of.AckFrame == tf.AckFrame, ackFrameText(of), ackFrameText(tf))
	tally(FieldAckRTT, of.HasRTT == tf.HasRTT && of.AckRTT == tf.AckRTT, rttText(of), rttText(tf))

	oa, ta := of.Analysis&comparedMask, tf.Analysis&comparedMask
	for _, n := range (tf.Analysis &^ comparedMask).Names() {
		if r.Uncompared == nil {
			r.Uncompared = map[Name]int{}
		}
		r.Uncompared[n]++
	}
	for _, n := range (oa | ta).Names() {
		switch {
		case oa.Has(n) && ta.Has(n):
			r.Names[n].Both++
		case oa.Has(n):
			r.Names[n].FP++
		default:
			r.Names[n].FN++
		}
	}
	r.Fields[FieldAnalysis].Compared++
	if oa == ta {
		r.Fields[FieldAnalysis].Agree++
		return
	}
	r.Diffs = append(r.Diffs, Diff{Frame: ref.Number, Stream: stream, Field: FieldAnalysis,
		Ours: oa.String(), Theirs: ta.String(), FN: ta &^ oa, FP: oa &^ ta})
}

func link(m map[int]map[int]bool, from, to int) {
	if m[from] == nil {
		m[from] = map[int]bool{}
	}
	m[from][to] = true
}

// SetFile records the capture's base name in every Diff and FrameRef.
func (r *Report) SetFile(name string) {
	for i := range r.Diffs {
		r.Diffs[i].File = name
	}
	for i := range r.ScaleKnown {
		r.ScaleKnown[i].File = name
	}
	for i := range r.MultiLayer {
		r.MultiLayer[i].File = name
	}
}

// Add adds o's counts to r and appends its lists.
func (r *Report) Add(o *Report) {
	r.Ours += o.Ours
	r.Theirs += o.Theirs
	r.QuotedOurs += o.QuotedOurs
	r.QuotedTheirs += o.QuotedTheirs
	r.PartialTheirs += o.PartialTheirs
	r.WinUnknownOurs += o.WinUnknownOurs
	r.WinUnknownTheirs += o.WinUnknownTheirs
	r.ScaleKnown = append(r.ScaleKnown, o.ScaleKnown...)
	for f := range r.Fields {
		r.Fields[f].Compared += o.Fields[f].Compared
		r.Fields[f].Agree += o.Fields[f].Agree
		r.Fields[f].Explained += o.Fields[f].Explained
	}
	for n := range r.Names {
		r.Names[n].Both += o.Names[n].Both
		r.Names[n].FP += o.Names[n].FP
		r.Names[n].FN += o.Names[n].FN
	}
	for n, c := range o.Uncompared {
		if r.Uncompared == nil {
			r.Uncompared = map[Name]int{}
		}
		r.Uncompared[n] += c
	}
	r.StreamConflicts += o.StreamConflicts
	r.MultiLayer = append(r.MultiLayer, o.MultiLayer...)
	r.Diffs = append(r.Diffs, o.Diffs...)
}

// NewDiffs returns the disagreements no Known entry explains.
func (r *Report) NewDiffs() []Diff {
	var ds []Diff
	for _, d := range r.Diffs {
		if d.Reason == "" {
			ds = append(ds, d)
		}
	}
	return ds
}

// Targets are what the harness requires over all frames compared.
type Targets struct {
	// MinAnalysis is the least percentage of frames whose analysis sets must
	// agree, counting every disagreement, explained or not.
	MinAnalysis float64
}

// DefaultMinAnalysis is the project's target for Targets.MinAnalysis.
const DefaultMinAnalysis = 99.5

// Missed lists the targets r misses, in field order: every strict field must
// have no disagreement that the allowlist does not explain, and the analysis
// sets must agree on at least t.MinAnalysis percent of the frames.
func (r *Report) Missed(t Targets) []string {
	var missed []string
	for f := Field(0); f < NumFields; f++ {
		tl := r.Fields[f]
		switch {
		case f.Strict() && tl.New() > 0:
			missed = append(missed, fmt.Sprintf("%s: %d unexplained difference(s) in %d frames compared", f, tl.New(), tl.Compared))
		case !f.Strict() && tl.Rate() < t.MinAnalysis:
			missed = append(missed, fmt.Sprintf("%s: %.3f%% agree (%d of %d frames), below %.3g%%", f, tl.Rate(), tl.Agree, tl.Compared, t.MinAnalysis))
		}
	}
	if r.StreamConflicts > 0 {
		missed = append(missed, fmt.Sprintf("stream: tcpflow ids and tshark streams are not a bijection (%d conflicts)", r.StreamConflicts))
	}
	return missed
}
