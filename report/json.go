package report

import (
	"encoding/hex"
	"encoding/json"
	"io"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/state"
	"github.com/tcpflow/tcpflow/stream"
)

// The JSON document is written in pieces, so that a run streams it:
// JSONStart (the capture and the expert summary, known at the end of the
// run), then each connection (AppendConnJSON, rendered when it finished and
// kept in a spool meanwhile) behind JSONConnSep, then JSONEnd. The bytes are
// those json.Encoder with SetIndent("", " ") writes for the whole document.

// jsonHead is the part of the document before the connections.
type jsonHead struct {
	Capture jsonCapture  `json:"capture"`
	Expert  []jsonExpert `json:"expert"`
}

// JSONStart writes the document up to the opening of the connections array.
func JSONStart(w io.Writer, sum *pipeline.Summary, e *Expert) error {
	head := jsonHead{Capture: captureJSON(sum), Expert: []jsonExpert{}}
	for _, r := range e.list() {
		head.Expert = append(head.Expert, expertJSON(r))
	}
	b, err := json.MarshalIndent(head, "", " ")
	if err != nil {
		return err
	}
	b = append(b[:len(b)-len("\n}")], ",\n \"connections\": ["...)
	_, err = w.Write(b)
	return err
}

// JSONConnSep is what goes before the i-th connection (from 0).
func JSONConnSep(i int) string {
	if i == 0 {
		return "\n  "
	}
	return ",\n  "
}

// JSONEnd closes the document after n connections.
func JSONEnd(w io.Writer, n int) error {
	end := "\n ]\n}\n"
	if n == 0 {
		end = "]\n}\n"
	}
	_, err := io.WriteString(w, end)
	return err
}

// AppendConnJSON appends one connection of the document's connections array,
// indented at its depth, with its segments unless opts.Summary. Segments are
// encoded one at a time, so a connection of millions of segments needs no
// more memory than its encoded text.
func AppendConnJSON(b []byte, base int64, c *state.Connection, opts Options) ([]byte, error) {
	// The object is written by hand (jsonconn.go), indented as
	// json.MarshalIndent(connJSONAt(...), connIndent, " ") would.
	w := jsonWriter{b: b, indent: true}
	w.open('{')
	appendConnFields(&w, base, c)
	if w.err != nil {
		return b, w.err
	}
	if opts.Summary {
		w.close('}')
		return w.b, nil
	}
	// The segments, one at a time, so a connection of millions of segments
	// needs no more memory than its encoded text.
	w.key("segments")
	b = append(w.b, '[')
	a := c.Data
	var seg []byte
	ti, n := 0, 0
	for _, r := range a.Records.All() {
		t0 := ti
		for ti < len(a.Transitions) && a.Transitions[ti].Frame <= r.Frame {
			ti++
		}
		seg = appendSegment(append(seg[:0], '{'), base, r, a.Transitions[t0:ti])
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n"+segIndent...)
		b = appendIndented(b, seg, segIndent)
		n++
	}
	if n > 0 {
		b = append(b, "\n"+connIndent+" "...)
	}
	return append(b, "]\n"+connIndent+"}"...), c.Data.Records.Err()
}

// The indentation of a connection object and of a segment object in the
// document.
const (
	connIndent = "  "
	segIndent  = "    "
)

func expertJSON(r expertRow) jsonExpert {
	je := jsonExpert{Name: r.Kind.Name(), Total: r.Total, Connections: r.Conns}
	for _, cc := range r.Worst {
		je.Worst = append(je.Worst, jsonWorst{cc.ID, cc.N})
	}
	return je
}

func captureJSON(sum *pipeline.Summary) jsonCapture {
	jc := jsonCapture{Files: []jsonInput{}, LinkTypes: []jsonLink{}, Errors: []string{}, Frames: map[string]uint64{},
		Interrupted: sum.Interrupted, Evicted: sum.Evicted, EvictedOpen: sum.EvictedOpen, MaxOpen: sum.MaxOpen,
		Continued: sum.Parts, ForgottenDropped: sum.ForgottenDropped}
	for i, in := range sum.Inputs {
		ji := jsonInput{File: in.Name, Format: string(in.Format), Gzip: in.Gzip, Frames: in.Frames}
		if in.Err != nil {
			ji.Error = in.Err.Error()
		}
		jc.Files = append(jc.Files, ji)
		if i == 0 {
			jc.File, jc.Format = in.Name, string(in.Format)
		} else if jc.Format != string(in.Format) {
			jc.Format = "mixed"
		}
	}
	st := &sum.Stats
	for _, l := range st.Links {
		jc.LinkTypes = append(jc.LinkTypes, jsonLink{capture.LinkName(l.Type), l.Frames})
	}
	jc.Frames["total"], jc.Frames["tcp"] = st.Frames, st.TCP
	for _, r := range capture.Reasons() {
		jc.Frames[r.String()] = st.Count[r]
	}
	if st.Frames > 0 {
		jc.FirstTime = utc(st.FirstTime)
		jc.FirstTimeRFC, jc.LastTimeRFC = rfc3339(st.FirstTime), rfc3339(st.LastTime)
	}
	if isLive(sum) {
		d := st.KernelDrops
		jc.DroppedByKernel = &d
	}
	for _, err := range sum.Errors {
		jc.Errors = append(jc.Errors, err.Error())
	}
	jc.MalformedOptions = map[string]uint64{}
	for _, p := range capture.OptionProblems() {
		jc.MalformedOptions[p.String()] = st.Options[p]
	}
	jc.Checksums = jsonChecksums{checksumCounts(st.IPChecksums[:], true), checksumCounts(st.TCPChecksums[:], true)}
	jc.ImpossibleJumps = jsonJumps{sum.SeqJumps, sum.AckJumps}
	jc.Quality = qualityJSON(sum) // quality.go
	return jc
}

func endpointJSON(c *state.Connection, r flow.Dir) jsonEndpoint {
	e := &c.Data.EP[r]
	ap := c.Client
	if r == flow.Server {
		ap = c.Server
	}
	je := jsonEndpoint{Addr: ap.Addr().String(), Port: ap.Port(), FinalState: e.State.String(),
		SACKPermitted: e.SACKPermitted, Timestamps: e.Timestamps}
	if e.SYNSeen {
		isn := e.ISN
		je.ISN = &isn
		if e.MSS >= 0 {
			m := e.MSS
			je.MSS = &m
		}
		if e.WScale >= 0 {
			ws := e.WScale
			je.WScale = &ws
		}
	}
	return je
}

func secs(ns int64) float64 { return float64(ns) / 1e9 }

func streamJSON(f *stream.Facts) jsonStream {
	js := jsonStream{Bytes: f.Bytes, GapBytes: f.GapBytes, LimitBytes: f.LimitBytes, Gaps: gapsJSON(f), Retransmitted: f.Retransmitted,
		OverlapCount: f.OverlapCount, Overlaps: overlapsJSON(f), SHA256: hex.EncodeToString(f.SHA256[:])}
	if f.Proto != "" {
		p := f.Proto
		js.Proto, js.ProtoFrame = &p, f.ProtoFrame
	}
	return js
}

// connJSONAt is a connection's object with relative times counted from base
// (ns); its segment list is empty (AppendConnJSON fills it), or absent with
// opts.Summary.
func connJSONAt(base int64, c *state.Connection, opts Options) jsonConn {
	a := c.Data
	jc := jsonConn{
		ID: c.ID, Part: c.Part, Evicted: c.Evicted, Key: ConnKey(c), Client: endpointJSON(c, flow.Client), Server: endpointJSON(c, flow.Server),
		FirstFrame: c.FirstFrame, LastFrame: c.LastFrame,
		FirstTime: secs(c.FirstTime - base), LastTime: secs(c.LastTime - base),
		FirstTimeRFC: rfc3339(c.FirstTime), LastTimeRFC: rfc3339(c.LastTime),
		MidStream: c.MidStream, EndedBy: a.EndedBy.String(),
		Packets: dirCounts{c.Packets[flow.C2S], c.Packets[flow.S2C]},
		Bytes:   dirCounts{c.Bytes[flow.C2S], c.Bytes[flow.S2C]},
	}
	dur := c.LastTime - c.FirstTime
	jc.DurationS, jc.MaxIdleS = secs(dur), secs(a.MaxIdle)
	jc.Stalls = stallsJSON(c, base)
	jc.ConnState, jc.History, jc.Verdict, jc.VerdictCodes = a.Zeek.ConnState(), a.Zeek.History(), verdict(c), VerdictCodes(c)
	jc.Stats.C2S, jc.Stats.S2C = dirStatsJSON(c, flow.C2S, dur), dirStatsJSON(c, flow.S2C, dur)
	if st := a.Streams; st != nil {
		jc.Streams = &jsonStreams{streamJSON(&st.Facts[flow.C2S]), streamJSON(&st.Facts[flow.S2C])}
	}
	if a.CloseSeen {
		s := a.Closer.Side()
		jc.ClosedBy = &s
	}
	if a.EndedBy == state.Rst || a.EndedBy == state.Refused {
		s := a.ResetBy.Side()
		jc.ResetBy, jc.ResetAfter = &s, a.ResetAfterClose
	}
	if a.HandshakeRTT >= 0 {
		v := secs(a.HandshakeRTT)
		jc.HandshakeRTT = &v
	}
	jc.CapturePoint = state.WhereCaptured(c).String()
	if a.ConnectTime >= 0 {
		v := secs(a.ConnectTime)
		jc.ConnectTime = &v
	}
	jc.SYNs, jc.SYNACKs = a.SYNs, a.SYNACKs
	jc.ICMP = []jsonICMP{}
	for _, e := range a.ICMP {
		proto := "icmp"
		if e.V6 {
			proto = "icmpv6"
		}
		jc.ICMP = append(jc.ICMP, jsonICMP{Frame: e.Frame, Time: secs(e.Time - base), Dir: e.Dir.String(),
			Proto: proto, Type: e.Type, Code: e.Code, Text: icmpText(e), Seq: e.Seq, Partial: e.Partial})
	}
	for _, b := range a.BadHeaders {
		jc.BadHeaders = append(jc.BadHeaders, jsonBad{Frame: b.Frame, Time: secs(b.Time - base), Dir: b.Dir.String(), HdrLen: b.HdrLen})
	}
	if opts.Summary {
		return jc
	}
	jc.Segments = &[]jsonSeg{}
	return jc
}

func optionsJSON(o *capture.Options) *jsonOptions {
	var jo jsonOptions
	empty := true
	if o.MSS >= 0 {
		v := o.MSS
		jo.MSS, empty = &v, false
	}
	if o.WScale >= 0 {
		v := o.WScale
		jo.WScale, empty = &v, false
	}
	if o.SACKPermitted {
		jo.SACKOK, empty = true, false
	}
	if o.HasTS {
		v, e := o.TSVal, o.TSEcr
		jo.TSVal, jo.TSEcr, empty = &v, &e, false
	}
	for _, b := range o.SACKBlocks() {
		jo.SACK, empty = append(jo.SACK, [2]uint32{b.Left, b.Right}), false
	}
	if o.NUnknown > 0 {
		for _, k := range o.UnknownKinds() {
			jo.Unknown = append(jo.Unknown, int(k))
		}
		empty = false
	}
	for _, p := range capture.OptionProblems() {
		if o.Has(p) {
			b := o.BadOpt[p]
			jo.Malformed, empty = append(jo.Malformed, jsonBadOption{p.String(), b.Kind, b.Len, b.Room}), false
		}
	}
	if empty {
		return nil
	}
	return &jo
}

func dirStatsJSON(c *state.Connection, d flow.Dir, dur int64) jsonDirStats {
	s := &c.Data.Dir[d]
	js := jsonDirStats{Analysis: map[string]uint32{}, GapBytes: s.GapBytes(), ZeroWindowS: secs(s.ZeroWindow)}
	for _, an := range state.AllAnalysis() {
		js.Analysis[an.Name()] = c.Data.Count[d][an.Index()] // zeros written out
	}
	if s.ACK.Count > 0 {
		js.RTT = &jsonRTT{secs(s.ACK.Min), secs(s.ACK.Avg()), secs(s.ACK.Max), s.ACK.Count}
	}
	js.Karn, js.LimitedBy = karnJSON(&s.Karn), limitJSON(c, d)
	if dur > 0 {
		js.Throughput = float64(c.Bytes[d]) / secs(dur)
		js.Goodput = float64(s.UniqueBytes) / secs(dur)
	}
	js.DataSegs, js.UniqueBytes, js.RexmtBytes, js.RexmtSegs = s.DataSegs, s.UniqueBytes, s.RexmtBytes, s.RexmtSegs
	js.RexmtRate = s.RetransmissionRate()
	o := &s.Out
	js.OutSeqRexmt, js.LostBefore, js.Spurious, js.SpuriousAcked, js.SpuriousDSACK = o.Retransmissions, o.LostBeforeCapture, o.Spurious(), o.Unneeded, o.UnneededDSACK
	js.Reordered, js.Duplicates, js.Ambiguous, js.DSACKs = o.Reordered, o.Duplicates, o.Ambiguous, o.DSACKs
	dm := &c.Data.Damage[d]
	// Every count written out, zeros too, as the capture's.
	js.MalformedOptions = map[string]uint32{}
	for _, p := range capture.OptionProblems() {
		js.MalformedOptions[p.String()] = dm.Options[p]
	}
	js.Checksums = jsonChecksums{checksumCounts(dm.IPChecksum[:], true), checksumCounts(dm.TCPChecksum[:], true)}
	js.SeqJumps, js.AckJumps = dm.SeqJumps, dm.AckJumps
	return js
}

// checksumCounts maps status names to counts: every status with all, else
// only those counted.
func checksumCounts[N uint32 | uint64](counts []N, all bool) map[string]uint64 {
	m := map[string]uint64{}
	for _, s := range capture.ChecksumStatuses() {
		if counts[s] > 0 || all {
			m[s.String()] = uint64(counts[s])
		}
	}
	return m
}
