package wsdiff

import (
	"reflect"
	"strings"
	"testing"
)

// seg is a full TCP frame of stream 0 with an ACK.
func seg(n uint64, seq, ack uint32, length int, win int64, names ...Name) Frame {
	f := Frame{Number: n, TCPLayers: 1, Seq: seq, AckFlag: true, Ack: ack, Len: length, Win: win}
	for _, a := range names {
		f.Analysis = f.Analysis.Add(a)
	}
	return f
}

func TestCompareAgree(t *testing.T) {
	ours := []Frame{
		seg(1, 0, 0, 0, 64240),
		seg(2, 1, 1, 100, 1024, WindowFull),
		{Number: 3, Stream: 0, Quoted: true, TCPLayers: 1, Win: WinUnknown},
	}
	ours[0].AckFlag = false
	// tshark's frames in another order, and its ack of a SYN is irrelevant
	theirs := []Frame{ours[2], ours[1], ours[0]}
	theirs[2].Ack = 77
	r := Compare(ours, theirs)
	if len(r.Diffs) != 0 || len(r.ScaleKnown) != 0 {
		t.Fatalf("diffs %+v, scale known %+v; want none", r.Diffs, r.ScaleKnown)
	}
	want := [NumFields]Tally{
		FieldTCP:      {Compared: 3, Agree: 3},
		FieldStream:   {Compared: 3, Agree: 3},
		FieldSeq:      {Compared: 2, Agree: 2},
		FieldAck:      {Compared: 1, Agree: 1}, // the SYN without ACK is not compared
		FieldLen:      {Compared: 2, Agree: 2},
		FieldWin:      {Compared: 2, Agree: 2},
		FieldAnalysis: {Compared: 2, Agree: 2},
		FieldAckFrame: {Compared: 2, Agree: 2},
		FieldAckRTT:   {Compared: 2, Agree: 2},
	}
	if r.Fields != want {
		t.Errorf("tallies\n got %+v\nwant %+v", r.Fields, want)
	}
	if r.Names[WindowFull] != (NameTally{Both: 1}) || r.QuotedOurs != 1 || r.QuotedTheirs != 1 {
		t.Errorf("names %+v, quoted %d/%d", r.Names, r.QuotedOurs, r.QuotedTheirs)
	}
	if m := r.Missed(Targets{MinAnalysis: DefaultMinAnalysis}); m != nil {
		t.Errorf("missed %q", m)
	}
}

func TestCompareDiffs(t *testing.T) {
	noAck := seg(5, 1, 0, 0, 512)
	noAck.AckFlag = false
	ours := []Frame{
		seg(1, 0, 0, 0, 64240),
		seg(2, 1, 1, 100, WinUnknown, Retransmission, OutOfOrder),
		seg(3, 101, 1, 100, 4096),
		seg(4, 201, 1, 10, 4096),
		noAck,
		{Number: 7, Stream: 1, Quoted: true, TCPLayers: 1, Win: WinUnknown},
		seg(8, 1, 1, 0, 512),
		seg(9, 1, 1, 0, 512), // tshark has no such frame
	}
	ours[6].Stream = 2
	theirs := []Frame{
		seg(1, 0, 0, 0, 64240),
		seg(2, 1, 1, 100, 8192, Retransmission, FastRetransmission),
		seg(3, 102, 1, 100, 4096),
		seg(4, 201, 1, 11, 8192, TFOAck),
		seg(5, 1, 9, 0, 512),
		{Number: 6, Stream: 1, TCPLayers: 1, Partial: true, Win: WinUnknown}, // tcpflow has no such frame
		{Number: 7, Stream: NoStream, Quoted: true, TCPLayers: 1, Win: WinUnknown},
		seg(8, 1, 1, 0, 512),
		{Number: 10, Stream: 3, TCPLayers: 2, Win: WinUnknown},
	}
	ours = append(ours, Frame{Number: 10, Stream: 3, TCPLayers: 1, Win: 1})
	r := Compare(ours, theirs)
	var none Set
	want := []Diff{
		{Frame: 2, Field: FieldAnalysis, Ours: "retransmission,out_of_order", Theirs: "retransmission,fast_retransmission",
			FN: none.Add(FastRetransmission), FP: none.Add(OutOfOrder)},
		{Frame: 3, Field: FieldSeq, Ours: "101", Theirs: "102"},
		{Frame: 4, Field: FieldLen, Ours: "10", Theirs: "11"},
		{Frame: 4, Field: FieldWin, Ours: "4096", Theirs: "8192"},
		{Frame: 5, Field: FieldAck, Ours: "no-ack", Theirs: "9"},
		{Frame: 6, Stream: 1, Field: FieldTCP, Ours: "-", Theirs: "cut-header"},
		{Frame: 7, Stream: 1, Field: FieldStream, Ours: "1", Theirs: "none"},
		{Frame: 8, Field: FieldStream, Ours: "2", Theirs: "0"},
		{Frame: 9, Field: FieldTCP, Ours: "tcp", Theirs: "-"},
	}
	if !reflect.DeepEqual(r.Diffs, want) {
		t.Errorf("diffs\n got %+v\nwant %+v", r.Diffs, want)
	}
	if want := []Diff{{Frame: 2, Field: FieldWin, Ours: "unknown", Theirs: "8192"}}; !reflect.DeepEqual(r.ScaleKnown, want) {
		t.Errorf("scale known %+v, want %+v", r.ScaleKnown, want)
	}
	if r.WinUnknownOurs != 1 || r.WinUnknownTheirs != 0 {
		t.Errorf("win unknown %d/%d, want 1/0", r.WinUnknownOurs, r.WinUnknownTheirs)
	}
	if r.Names[FastRetransmission] != (NameTally{FN: 1}) || r.Names[OutOfOrder] != (NameTally{FP: 1}) ||
		r.Names[Retransmission] != (NameTally{Both: 1}) {
		t.Errorf("names %+v", r.Names)
	}
	if r.Uncompared[TFOAck] != 1 {
		t.Errorf("uncompared %v, want tfo_ack 1", r.Uncompared)
	}
	if want := []FrameRef{{Frame: 10}}; !reflect.DeepEqual(r.MultiLayer, want) {
		t.Errorf("multi-layer %+v, want %+v", r.MultiLayer, want)
	}
	// our id 2 and id 0 both map to tshark's stream 0
	if r.StreamConflicts != 1 {
		t.Errorf("stream conflicts %d, want 1", r.StreamConflicts)
	}
	if got := r.Diffs[0].Kind(); got != "analysis FN fast_retransmission FP out_of_order" {
		t.Errorf("kind %q", got)
	}
	missed := strings.Join(r.Missed(Targets{MinAnalysis: DefaultMinAnalysis}), "\n")
	for _, f := range []string{"tcp:", "stream:", "seq:", "ack:", "len:", "win:", "analysis:", "bijection"} {
		if !strings.Contains(missed, f) {
			t.Errorf("missed targets %q do not name %s", missed, f)
		}
	}
}

func TestKnown(t *testing.T) {
	const tsv = "# documented differences\n" +
		knownColumns + "\n" +
		"\n" +
		"a.pcap\t3\tseq\t101\t102\tbecause\n" +
		"a.pcap\t2\tanalysis\tretransmission\tretransmission,fast_retransmission\tcounts dup ACKs differently\n" +
		"b.pcap\t1\tlen\t1\t2\tstale\n"
	k, err := ParseKnown(strings.NewReader(tsv))
	if err != nil {
		t.Fatal(err)
	}
	r := Compare(
		[]Frame{seg(2, 1, 1, 0, 1, Retransmission), seg(3, 101, 1, 0, 1), seg(4, 7, 1, 0, 1)},
		[]Frame{seg(2, 1, 1, 0, 1, Retransmission, FastRetransmission), seg(3, 102, 1, 0, 1), seg(4, 8, 1, 0, 1)})
	r.SetFile("a.pcap")
	k.Explain(&r)
	if r.Fields[FieldSeq] != (Tally{Compared: 3, Agree: 1, Explained: 1}) || r.Fields[FieldAnalysis].Explained != 1 {
		t.Errorf("tallies %+v", r.Fields)
	}
	if n := r.NewDiffs(); len(n) != 1 || n[0].Frame != 4 {
		t.Errorf("new diffs %+v, want frame 4 only", n)
	}
	if m := r.Missed(Targets{MinAnalysis: DefaultMinAnalysis}); len(m) != 2 || !strings.HasPrefix(m[0], "seq: 1 unexplained") {
		t.Errorf("missed %q, want seq (1 new) and analysis (1 of 3 differs)", m)
	}
	if u := k.Unused("a.pcap"); len(u) != 0 {
		t.Errorf("unused entries for a.pcap: %+v", u)
	}
	if u := k.Unused(); len(u) != 1 || u[0].Line != 6 {
		t.Errorf("unused entries %+v, want line 6", u)
	}

	var total Report
	total.Add(&r)
	total.Add(&r)
	if total.Fields[FieldSeq] != (Tally{Compared: 6, Agree: 2, Explained: 2}) || len(total.Diffs) != 6 {
		t.Errorf("sum of two: %+v, %d diffs", total.Fields[FieldSeq], len(total.Diffs))
	}
}

func TestParseKnownErrors(t *testing.T) {
	for _, tt := range []struct{ input, err string }{
		{"a.pcap\t1\tseq\t1\t2\n", "5 columns, want 6"},
		{"a.pcap\tx\tseq\t1\t2\tr\n", "frame"},
		{"a.pcap\t1\tsequence\t1\t2\tr\n", `unknown field "sequence"`},
		{"a.pcap\t1\tseq\t1\t2\t \n", "empty reason"},
		{"a.pcap\t1\tseq\t1\t2\tr\na.pcap\t1\tseq\t1\t2\tr2\n", "same difference as line 1"},
	} {
		if _, err := ParseKnown(strings.NewReader(tt.input)); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("ParseKnown(%q): error %v, want one containing %q", tt.input, err, tt.err)
		}
	}
}

func TestSet(t *testing.T) {
	var s Set
	if s.String() != "-" {
		t.Errorf("empty set %q", s)
	}
	s = s.Add(ReusedPorts).Add(Retransmission)
	if s.String() != "retransmission,reused_ports" || !s.Has(ReusedPorts) || s.Has(KeepAlive) {
		t.Errorf("set %q", s)
	}
	for n := range numNames {
		if p, ok := ParseName(n.String()); !ok || p != n {
			t.Errorf("ParseName(%q) = %v, %v", n, p, ok)
		}
	}
	for f := range NumFields {
		if p, ok := ParseField(f.String()); !ok || p != f {
			t.Errorf("ParseField(%q) = %v, %v", f, p, ok)
		}
	}
}

func TestCompareAckRTT(t *testing.T) {
	ours := []Frame{seg(2, 1, 1, 0, 512), seg(3, 1, 1, 0, 512), seg(4, 1, 1, 0, 512)}
	theirs := []Frame{ours[0], ours[1], ours[2]}
	ours[0].AckFrame, ours[0].AckRTT, ours[0].HasRTT = 1, 1000, true
	theirs[0].AckFrame, theirs[0].AckRTT, theirs[0].HasRTT = 1, 2000, true
	ours[1].AckFrame = 1 // acknowledged at the same time: no ack_rtt
	theirs[1].AckFrame = 1
	theirs[2].AckFrame, theirs[2].AckRTT, theirs[2].HasRTT = 1, -1500, true
	r := Compare(ours, theirs)
	want := []Diff{
		{Frame: 2, Field: FieldAckRTT, Ours: "0.000001000", Theirs: "0.000002000"},
		{Frame: 4, Field: FieldAckFrame, Ours: "-", Theirs: "1"},
		{Frame: 4, Field: FieldAckRTT, Ours: "-", Theirs: "-0.000001500"},
	}
	if !reflect.DeepEqual(r.Diffs, want) {
		t.Errorf("diffs\n got %+v\nwant %+v", r.Diffs, want)
	}
	if r.Fields[FieldAckFrame] != (Tally{Compared: 3, Agree: 2}) || r.Fields[FieldAckRTT] != (Tally{Compared: 3, Agree: 1}) {
		t.Errorf("tallies %+v %+v", r.Fields[FieldAckFrame], r.Fields[FieldAckRTT])
	}
}
