package report

import (
	"encoding/hex"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
	"github.com/tcpflow/tcpflow/stream"
)

// The connections row is built from the connection's state directly, not
// through its JSON object (connJSONAt, now only the tests' reference) and a conversion: that made every
// count map twice, formatted two RFC 3339 times the row has no column for,
// and named every finding afresh: on a SYN flood (a row per SYN) half the
// run's CPU. The values are those of the JSON report all the same;
// parquetrow_test.go compares the two ways on every connection of the test
// captures and of the corpus.

// The names of the count maps' keys, made once.
var (
	analysisKeys = func() []string {
		var ks []string
		for _, an := range state.AllAnalysis() {
			ks = append(ks, an.Name())
		}
		return ks
	}()
	optionProblemKeys = func() []string {
		var ks []string
		for _, p := range capture.OptionProblems() {
			ks = append(ks, p.String())
		}
		return ks
	}()
)

// ConnRowOf fills the connections row of a finished connection; base is the
// time relative times count from (ns), run the run's name, inputs the names
// of its inputs. A row filled again keeps its maps of the findings' counts
// (each has every finding's key, set again), so that rows of a batch make
// them once: a copy of a row kept elsewhere must not be filled again.
func ConnRowOf(row *ConnRow, base int64, c *state.Connection, run string, inputs []string) {
	a := c.Data
	dur := c.LastTime - c.FirstTime
	c2s, s2c := row.Stats.C2S.Analysis, row.Stats.S2C.Analysis
	*row = ConnRow{Run: run, ID: int64(c.ID), Part: int32(c.Part), Evicted: c.Evicted, Key: ConnKey(c),
		File: inputName(inputs, c.FirstFile), FileFrame: int64(c.FirstFileFrame),
		Client: endpointRowOf(c, flow.Client), Server: endpointRowOf(c, flow.Server),
		FirstFrame: int64(c.FirstFrame), LastFrame: int64(c.LastFrame),
		FirstTime: secs(c.FirstTime - base), LastTime: secs(c.LastTime - base),
		FirstTS: c.FirstTime / 1e3, LastTS: c.LastTime / 1e3, MidStream: c.MidStream, EndedBy: a.EndedBy.String(),
		SYNs: int32(a.SYNs), SYNACKs: int32(a.SYNACKs), CapturePoint: state.WhereCaptured(c).String(),
		Packets:   DirCountsRow{int64(c.Packets[flow.C2S]), int64(c.Packets[flow.S2C])},
		Bytes:     DirCountsRow{int64(c.Bytes[flow.C2S]), int64(c.Bytes[flow.S2C])},
		DurationS: secs(dur), MaxIdleS: secs(a.MaxIdle), Stalls: stallsRowOf(c, base),
		Stats:     StatsRow{dirStatsRowOf(c, flow.C2S, dur, c2s), dirStatsRowOf(c, flow.S2C, dur, s2c)},
		ConnState: a.Zeek.ConnState(), History: a.Zeek.History(), Verdict: verdict(c), VerdictCodes: VerdictCodes(c),
		ICMPErrors: []ICMPErrorRow{}, BadHeaders: []BadHeaderRow{}}
	if a.CloseSeen {
		s := a.Closer.Side()
		row.ClosedBy = &s
	}
	if a.EndedBy == state.Rst || a.EndedBy == state.Refused {
		s := a.ResetBy.Side()
		row.ResetBy, row.ResetAfter = &s, a.ResetAfterClose
	}
	if a.HandshakeRTT >= 0 {
		v := secs(a.HandshakeRTT)
		row.HandshakeRTT = &v
	}
	if a.ConnectTime >= 0 {
		v := secs(a.ConnectTime)
		row.ConnectTime = &v
	}
	if st := a.Streams; st != nil {
		row.Streams = &StreamsRow{streamRowOf(&st.Facts[flow.C2S]), streamRowOf(&st.Facts[flow.S2C])}
	}
	for _, e := range a.ICMP {
		proto := "icmp"
		if e.V6 {
			proto = "icmpv6"
		}
		row.ICMPErrors = append(row.ICMPErrors, ICMPErrorRow{Frame: int64(e.Frame), Time: secs(e.Time - base), Dir: e.Dir.String(),
			Proto: proto, Type: int32(e.Type), Code: int32(e.Code), Text: icmpText(e), SeqAbs: int64(e.Seq), Partial: e.Partial})
	}
	for _, b := range a.BadHeaders {
		row.BadHeaders = append(row.BadHeaders, BadHeaderRow{Frame: int64(b.Frame), Time: secs(b.Time - base), Dir: b.Dir.String(), HeaderLen: int32(b.HdrLen)})
	}
}

// endpointRowOf is the client or the server: the options of its SYN when
// one was seen.
func endpointRowOf(c *state.Connection, r flow.Dir) EndpointRow {
	e := &c.Data.EP[r]
	ap := c.Client
	if r == flow.Server {
		ap = c.Server
	}
	row := EndpointRow{Addr: ap.Addr().String(), Port: int32(ap.Port()), SACKPermitted: e.SACKPermitted,
		Timestamps: e.Timestamps, FinalState: e.State.String()}
	if e.SYNSeen {
		isn := int64(e.ISN)
		row.ISN = &isn
		if e.MSS >= 0 {
			m := e.MSS
			row.MSS = &m
		}
		if e.WScale >= 0 {
			ws := int32(e.WScale)
			row.WScale = &ws
		}
	}
	return row
}

// stallsRowOf is the stalls as the reports tell them (toldStalls): every
// cause's total, zeros too, and the longest few.
func stallsRowOf(c *state.Connection, base int64) StallsRow {
	r := StallsRow{Longest: []StallRow{}}
	s := state.ToldStalls(c)
	if s == nil {
		return r
	}
	for i, f := range []*StallCauseRow{&r.ByCause.RTOClient, &r.ByCause.RTOServer, &r.ByCause.ZeroWindowClient,
		&r.ByCause.ZeroWindowServer, &r.ByCause.ClientApp, &r.ByCause.ServerApp, &r.ByCause.Network} {
		*f = StallCauseRow{secs(s.Total[i]), s.Count[i]}
		r.Count += int64(s.Count[i])
	}
	r.TotalS = secs(s.All())
	for _, st := range s.Kept() {
		sr := StallRow{Cause: st.Cause.Name(), Frame: int64(st.Frame), Time: secs(st.Time - base), DurationS: secs(st.Duration)}
		if st.EndFrame != 0 {
			f := int64(st.EndFrame)
			sr.EndFrame = &f
		}
		r.Longest = append(r.Longest, sr)
	}
	return r
}

// dirStatsRowOf is direction d's stats over a connection of duration dur:
// every finding's count (zeros too) in the map analysis (made when nil),
// the malformed options and the checksums only as far as counted (checksums
// only when one is bad or left to the card).
func dirStatsRowOf(c *state.Connection, d flow.Dir, dur int64, analysis map[string]int64) DirStatsRow {
	s := &c.Data.Dir[d]
	o := &s.Out
	if analysis == nil {
		analysis = make(map[string]int64, len(analysisKeys))
	}
	r := DirStatsRow{Analysis: analysis, GapBytes: s.GapBytes(), ZeroWindowS: secs(s.ZeroWindow),
		LimitedBy: limitJSON(c, d), DataSegs: s.DataSegs, UniqueBytes: s.UniqueBytes, RexmtBytes: s.RexmtBytes, RexmtSegs: s.RexmtSegs,
		RexmtRate: s.RetransmissionRate(), OutSeqRexmt: int64(o.Retransmissions), LostBefore: int64(o.LostBeforeCapture),
		Spurious: int64(o.Spurious()), SpuriousAcked: int64(o.Unneeded), SpuriousDSACK: int64(o.UnneededDSACK),
		Reordered: int64(o.Reordered), Duplicates: int64(o.Duplicates), Ambiguous: int64(o.Ambiguous), DSACKs: int64(o.DSACKs)}
	for i, an := range state.AllAnalysis() {
		r.Analysis[analysisKeys[i]] = int64(c.Data.Count[d][an.Index()])
	}
	if s.ACK.Count > 0 {
		r.AckRTT = &RTTRow{secs(s.ACK.Min), secs(s.ACK.Avg()), secs(s.ACK.Max), int64(s.ACK.Count)}
	}
	if k := &s.Karn; k.Count != 0 {
		r.Karn = &KarnRow{RTTRow{secs(k.Min), secs(k.Avg()), secs(k.Max), int64(k.Count)},
			secs(k.Percentile(50)), secs(k.Percentile(90)), secs(k.Percentile(99))}
	}
	if dur > 0 {
		r.Throughput = float64(c.Bytes[d]) / secs(dur)
		r.Goodput = float64(s.UniqueBytes) / secs(dur)
	}
	dm := &c.Data.Damage[d]
	for i, n := range dm.Options {
		if n > 0 {
			if r.MalformedOptions == nil {
				r.MalformedOptions = map[string]int64{}
			}
			r.MalformedOptions[optionProblemKeys[i]] = int64(n)
		}
	}
	if dm.IPChecksum[capture.ChecksumBad]+dm.IPChecksum[capture.ChecksumUnfilled]+
		dm.TCPChecksum[capture.ChecksumBad]+dm.TCPChecksum[capture.ChecksumUnfilled] > 0 {
		r.Checksums = &ChecksumsRow{IP: countedChecksums(dm.IPChecksum[:]), TCP: countedChecksums(dm.TCPChecksum[:])}
	}
	r.SeqJumps, r.AckJumps = int64(dm.SeqJumps), int64(dm.AckJumps)
	return r
}

// countedChecksums maps the names of the checksum statuses counted to their
// counts.
func countedChecksums(counts []uint32) map[string]int64 {
	m := map[string]int64{}
	for s, n := range counts {
		if n > 0 {
			m[capture.ChecksumStatus(s).String()] = int64(n)
		}
	}
	return m
}

// streamRowOf is one direction's reassembly facts.
func streamRowOf(f *stream.Facts) StreamRow {
	r := StreamRow{Bytes: f.Bytes, GapBytes: f.GapBytes, LimitBytes: f.LimitBytes, Gaps: []GapRow{}, Retransmitted: f.Retransmitted,
		OverlapCount: int64(f.OverlapCount), Overlaps: []OverlapRow{}, SHA256: hex.EncodeToString(f.SHA256[:])}
	if f.Proto != "" {
		p := f.Proto
		r.Proto = &p
		if f.ProtoFrame != 0 {
			v := int64(f.ProtoFrame)
			r.ProtoFrame = &v
		}
	}
	for _, g := range f.Gaps {
		gr := GapRow{Offset: g.Offset, Size: g.Size, Kind: g.Kind.String()}
		if g.Frame != 0 {
			v := int64(g.Frame)
			gr.Frame = &v
		}
		r.Gaps = append(r.Gaps, gr)
	}
	for _, o := range f.Overlaps {
		r.Overlaps = append(r.Overlaps, OverlapRow{o.Offset, int64(o.Size), int64(o.Frame), int64(o.FirstSeen)})
	}
	return r
}
