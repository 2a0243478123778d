package report

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/state"
)

// rowCompare is a sink that builds every finished connection's row both
// ways: ConnRowOf, from the state, and connRowViaJSON, the conversion of the
// JSON object it replaced.
type rowCompare struct {
	t     *testing.T
	name  string
	base  *int64
	n     int
	wrong int
	got   ConnRow // filled again and again, as the rows of a batch are
}

func (k *rowCompare) Finished(c *pipeline.Connection) error {
	k.n++
	var want ConnRow
	inputs := []string{"a.pcap", "b.pcap"}
	ConnRowOf(&k.got, *k.base, c, "run", inputs)
	connRowViaJSON(&want, *k.base, c, "run", inputs)
	if got := k.got; !reflect.DeepEqual(got, want) && k.wrong < 3 {
		k.wrong++
		k.t.Errorf("%s, connection %d part %d: the row differs from the JSON one's\n got %+v\nwant %+v", k.name, c.ID, c.Part, got, want)
	}
	return nil
}

func (k *rowCompare) End(*pipeline.Summary) error { return nil }

// TestConnRowOfEqualsJSONPath checks that the connections row made from the
// state is the one made by converting the JSON object, for every connection
// of the crafted captures and of the corpus (with TCPFLOW_CORPUS), with and
// without reassembly (the streams column).
func TestConnRowOfEqualsJSONPath(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "pcaps", "*.pcap*"))
	if len(files) == 0 {
		t.Fatal("no captures in testdata/pcaps")
	}
	if dir := os.Getenv("TCPFLOW_CORPUS"); dir != "" {
		more, _ := filepath.Glob(filepath.Join(dir, "*.pcap*"))
		files = append(files, more...)
	} else {
		t.Log("TCPFLOW_CORPUS not set: only the crafted captures")
	}
	conns := 0
	for _, f := range files {
		for _, reassemble := range []bool{false, true} {
			r := capture.NewReader(f)
			k := &rowCompare{t: t, name: filepath.Base(f), base: &r.Stats.FirstTime}
			pipeline.Run(r, pipeline.Options{Reassemble: reassemble}, k) // faulty captures too: what was read
			r.Close()
			conns += k.n
		}
	}
	if conns == 0 {
		t.Fatal("no connections compared")
	}
	t.Logf("%d captures, %d connections compared (twice: with and without reassembly)", len(files), conns/2)
}

// The conversion from the JSON object that ConnRowOf replaced, kept as the
// reference.

// connRowViaJSON fills the row as ConnRowOf did: through connJSONAt.
func connRowViaJSON(row *ConnRow, base int64, c *state.Connection, run string, inputs []string) {
	jc := connJSONAt(base, c, Options{Summary: true})
	*row = ConnRow{Run: run, ID: int64(c.ID), Part: int32(c.Part), Evicted: c.Evicted, Key: jc.Key,
		File: inputName(inputs, c.FirstFile), FileFrame: int64(c.FirstFileFrame),
		Client: endpointRow(&jc.Client), Server: endpointRow(&jc.Server),
		FirstFrame: int64(c.FirstFrame), LastFrame: int64(c.LastFrame), FirstTime: jc.FirstTime, LastTime: jc.LastTime,
		FirstTS: c.FirstTime / 1e3, LastTS: c.LastTime / 1e3, MidStream: c.MidStream, EndedBy: jc.EndedBy,
		ClosedBy: jc.ClosedBy, ResetBy: jc.ResetBy, ResetAfter: jc.ResetAfter, HandshakeRTT: jc.HandshakeRTT,
		ConnectTime: jc.ConnectTime, SYNs: int32(jc.SYNs), SYNACKs: int32(jc.SYNACKs),
		CapturePoint: jc.CapturePoint,
		Packets:      DirCountsRow{int64(c.Packets[flow.C2S]), int64(c.Packets[flow.S2C])},
		Bytes:        DirCountsRow{int64(c.Bytes[flow.C2S]), int64(c.Bytes[flow.S2C])},
		DurationS:    jc.DurationS, MaxIdleS: jc.MaxIdleS, Stalls: stallsRow(&jc.Stalls),
		Stats:     StatsRow{dirStatsRow(&jc.Stats.C2S), dirStatsRow(&jc.Stats.S2C)},
		ConnState: jc.ConnState, History: jc.History, Verdict: jc.Verdict, VerdictCodes: jc.VerdictCodes,
		ICMPErrors: []ICMPErrorRow{}, BadHeaders: []BadHeaderRow{}}
	if jc.Streams != nil {
		row.Streams = &StreamsRow{streamRow(&jc.Streams.C2S), streamRow(&jc.Streams.S2C)}
	}
	for _, e := range jc.ICMP {
		row.ICMPErrors = append(row.ICMPErrors, ICMPErrorRow{Frame: int64(e.Frame), Time: e.Time, Dir: e.Dir, Proto: e.Proto,
			Type: int32(e.Type), Code: int32(e.Code), Text: e.Text, SeqAbs: int64(e.Seq), Partial: e.Partial})
	}
	for _, b := range jc.BadHeaders {
		row.BadHeaders = append(row.BadHeaders, BadHeaderRow{Frame: int64(b.Frame), Time: b.Time, Dir: b.Dir, HeaderLen: int32(b.HdrLen)})
	}
}

func endpointRow(e *jsonEndpoint) EndpointRow {
	r := EndpointRow{Addr: e.Addr, Port: int32(e.Port), SACKPermitted: e.SACKPermitted, Timestamps: e.Timestamps, FinalState: e.FinalState}
	if e.ISN != nil {
		v := int64(*e.ISN)
		r.ISN = &v
	}
	if e.MSS != nil {
		v := *e.MSS
		r.MSS = &v
	}
	if e.WScale != nil {
		v := int32(*e.WScale)
		r.WScale = &v
	}
	return r
}

func dirStatsRow(s *jsonDirStats) DirStatsRow {
	r := DirStatsRow{Analysis: make(map[string]int64, len(s.Analysis)), GapBytes: s.GapBytes, ZeroWindowS: s.ZeroWindowS, Throughput: s.Throughput,
		Goodput: s.Goodput, DataSegs: s.DataSegs, UniqueBytes: s.UniqueBytes, RexmtBytes: s.RexmtBytes, RexmtSegs: s.RexmtSegs, RexmtRate: s.RexmtRate,
		OutSeqRexmt: int64(s.OutSeqRexmt), LostBefore: int64(s.LostBefore), Spurious: int64(s.Spurious), SpuriousAcked: int64(s.SpuriousAcked),
		SpuriousDSACK: int64(s.SpuriousDSACK), Reordered: int64(s.Reordered), Duplicates: int64(s.Duplicates), Ambiguous: int64(s.Ambiguous), DSACKs: int64(s.DSACKs)}
	for k, v := range s.Analysis {
		r.Analysis[k] = int64(v)
	}
	if s.RTT != nil {
		r.AckRTT = &RTTRow{s.RTT.Min, s.RTT.Avg, s.RTT.Max, int64(s.RTT.Samples)}
	}
	if s.Karn != nil {
		r.Karn = &KarnRow{RTTRow{s.Karn.Min, s.Karn.Avg, s.Karn.Max, int64(s.Karn.Samples)}, s.Karn.P50, s.Karn.P90, s.Karn.P99}
	}
	r.LimitedBy = LimitRow(s.LimitedBy)
	// JSON writes every count out; the row keeps, as before, only those
	// counted, and checksums only when one is bad or left to the card.
	for k, v := range s.MalformedOptions {
		if v > 0 {
			if r.MalformedOptions == nil {
				r.MalformedOptions = map[string]int64{}
			}
			r.MalformedOptions[k] = int64(v)
		}
	}
	if ck := &s.Checksums; ck.IP["bad"]+ck.IP["unfilled"]+ck.TCP["bad"]+ck.TCP["unfilled"] > 0 {
		c := checksumsRow(ck)
		for _, m := range []map[string]int64{c.IP, c.TCP} {
			for k, v := range m {
				if v == 0 {
					delete(m, k)
				}
			}
		}
		r.Checksums = &c
	}
	r.SeqJumps, r.AckJumps = int64(s.SeqJumps), int64(s.AckJumps)
	return r
}

func streamRow(s *jsonStream) StreamRow {
	r := StreamRow{Bytes: s.Bytes, GapBytes: s.GapBytes, LimitBytes: s.LimitBytes, Gaps: []GapRow{}, Retransmitted: s.Retransmitted,
		OverlapCount: int64(s.OverlapCount), Overlaps: []OverlapRow{}, SHA256: s.SHA256, Proto: s.Proto}
	if s.ProtoFrame != 0 {
		v := int64(s.ProtoFrame)
		r.ProtoFrame = &v
	}
	for _, g := range s.Gaps {
		gr := GapRow{Offset: g.Offset, Size: g.Size, Kind: g.Kind}
		if g.Frame != 0 {
			v := int64(g.Frame)
			gr.Frame = &v
		}
		r.Gaps = append(r.Gaps, gr)
	}
	for _, o := range s.Overlaps {
		r.Overlaps = append(r.Overlaps, OverlapRow{o.Offset, int64(o.Size), int64(o.Frame), int64(o.FirstSeen)})
	}
	return r
}

func stallsRow(j *jsonStalls) StallsRow {
	r := StallsRow{TotalS: j.TotalS, Count: j.Count, Longest: j.Longest}
	for i, f := range []*StallCauseRow{&r.ByCause.RTOClient, &r.ByCause.RTOServer, &r.ByCause.ZeroWindowClient,
		&r.ByCause.ZeroWindowServer, &r.ByCause.ClientApp, &r.ByCause.ServerApp, &r.ByCause.Network} {
		*f = j.Causes[state.StallCause(i).Name()]
	}
	return r
}
