package report

import (
	"encoding/hex"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
	"github.com/tcpflow/tcpflow/stream"
)

// The reference the hand-written JSON appenders are held to
// (report/jsonconn.go, report/jsonappend.go): the JSON document's connection
// and segment objects as structs, filled from the state and given to
// encoding/json. The output is made by the appenders; these structs say
// the schema's field order and omissions in the form encoding/json reads,
// and TestConnAppendMatchesEncodingJSON and
// TestSegmentAppendMatchesEncodingJSON compare the two byte for byte on
// every connection of the test captures and the corpus
// (docs/json-schema.md describes every field).

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

// jsonKarn is rtt_karn: the min, average and max with the percentiles.
type jsonKarn struct {
	jsonRTT
	P50 float64 `json:"p50_s"`
	P90 float64 `json:"p90_s"`
	P99 float64 `json:"p99_s"`
}

func karnJSON(k *state.RTTStats) *jsonKarn {
	if k.Count == 0 {
		return nil
	}
	return &jsonKarn{jsonRTT{secs(k.Min), secs(k.Avg()), secs(k.Max), k.Count},
		secs(k.Percentile(50)), secs(k.Percentile(90)), secs(k.Percentile(99))}
}

// jsonStalls is a connection's stalls: the total, per cause (every cause,
// zeros written out) and the longest few.
type jsonStalls struct {
	TotalS  float64                   `json:"total_s"`
	Count   int64                     `json:"count"`
	Causes  map[string]jsonStallCause `json:"by_cause"` // encoding/json sorts map keys
	Longest []jsonStall               `json:"longest"`
}

func stallsJSON(c *state.Connection, base int64) jsonStalls {
	js := jsonStalls{Causes: map[string]jsonStallCause{}, Longest: []jsonStall{}}
	s := state.ToldStalls(c)
	for k := state.StallCause(0); k < state.NumStallCauses; k++ {
		var c jsonStallCause
		if s != nil {
			c = jsonStallCause{secs(s.Total[k]), s.Count[k]}
			js.Count += int64(s.Count[k])
		}
		js.Causes[k.Name()] = c
	}
	if s == nil {
		return js
	}
	js.TotalS = secs(s.All())
	for _, st := range s.Kept() {
		j := jsonStall{Cause: st.Cause.Name(), Frame: int64(st.Frame), Time: secs(st.Time - base), DurationS: secs(st.Duration)}
		if st.EndFrame != 0 {
			f := int64(st.EndFrame)
			j.EndFrame = &f
		}
		js.Longest = append(js.Longest, j)
	}
	return js
}

type jsonRTT struct {
	Min     float64 `json:"min_s"`
	Avg     float64 `json:"avg_s"`
	Max     float64 `json:"max_s"`
	Samples int     `json:"samples"`
}

type jsonDirStats struct {
	Analysis    map[string]uint32 `json:"analysis"` // encoding/json sorts map keys
	GapBytes    int64             `json:"gap_bytes"`
	RTT         *jsonRTT          `json:"ack_rtt"`
	Karn        *jsonKarn         `json:"rtt_karn"` // report/timing.go
	ZeroWindowS float64           `json:"zero_window_s"`
	Throughput  float64           `json:"throughput_bps"`
	// The payload as the capture saw it (state.DirStats).
	Goodput     float64 `json:"goodput_bps"`
	DataSegs    int64   `json:"data_segments"`
	UniqueBytes int64   `json:"unique_bytes"`
	RexmtBytes  int64   `json:"retransmitted_bytes"`
	RexmtSegs   int64   `json:"retransmitted_segments"`
	RexmtRate   float64 `json:"retransmission_rate"`
	// The out-of-sequence segments by cause (state.OutSeq).
	OutSeqRexmt   uint32    `json:"retransmissions"`
	LostBefore    uint32    `json:"lost_before_capture"`
	Spurious      uint32    `json:"spurious_retransmissions"`
	SpuriousAcked uint32    `json:"spurious_acked"`
	SpuriousDSACK uint32    `json:"spurious_dsack"`
	Reordered     uint32    `json:"reordered_segments"`
	Duplicates    uint32    `json:"duplicate_segments"`
	Ambiguous     uint32    `json:"ambiguous_segments"`
	DSACKs        uint32    `json:"dsacks"`
	LimitedBy     jsonLimit `json:"limited_by"` // report/timing.go
	// Damage (report/damage.go): present only when there is some.
	MalformedOptions map[string]uint32 `json:"malformed_options"`
	Checksums        jsonChecksums     `json:"checksums"`
	SeqJumps         uint32            `json:"impossible_seq_jumps"`
	AckJumps         uint32            `json:"impossible_ack_jumps"`
}

type jsonStream struct {
	Bytes         int64         `json:"bytes"`
	GapBytes      int64         `json:"gap_bytes"`
	LimitBytes    int64         `json:"buffer_limit_bytes"`
	Gaps          []jsonGap     `json:"gaps"`
	Retransmitted int64         `json:"retransmitted_bytes"`
	OverlapCount  int           `json:"differing_overlap_count"`
	Overlaps      []jsonOverlap `json:"differing_overlaps"`
	SHA256        string        `json:"sha256"`
	Proto         *string       `json:"proto"`
	ProtoFrame    uint64        `json:"proto_frame,omitempty"`
}

type jsonStreams struct {
	C2S jsonStream `json:"c2s"`
	S2C jsonStream `json:"s2c"`
}

type jsonStats struct {
	C2S jsonDirStats `json:"c2s"`
	S2C jsonDirStats `json:"s2c"`
}

type jsonEndpoint struct {
	Addr          string  `json:"addr"`
	Port          uint16  `json:"port"`
	ISN           *uint32 `json:"isn"`
	MSS           *int32  `json:"mss"`
	WScale        *int8   `json:"wscale"`
	SACKPermitted bool    `json:"sack_permitted"`
	Timestamps    bool    `json:"timestamps"`
	FinalState    string  `json:"final_state"`
}

type jsonConn struct {
	ID           int          `json:"id"`
	Part         int          `json:"part,omitempty"`    // continuations: 1, 2, ...
	Evicted      bool         `json:"evicted,omitempty"` // finished while open (--max-conns)
	Key          string       `json:"key"`               // stable across runs (ConnKey)
	Client       jsonEndpoint `json:"client"`
	Server       jsonEndpoint `json:"server"`
	FirstFrame   uint64       `json:"first_frame"`
	LastFrame    uint64       `json:"last_frame"`
	FirstTime    float64      `json:"first_time"`
	LastTime     float64      `json:"last_time"`
	FirstTimeRFC string       `json:"first_time_rfc3339"` // UTC, RFC 3339 to the ns
	LastTimeRFC  string       `json:"last_time_rfc3339"`
	MidStream    bool         `json:"mid_stream"`
	EndedBy      string       `json:"ended_by"`
	ClosedBy     *string      `json:"closed_by"`
	ResetBy      *string      `json:"reset_by"`
	ResetAfter   bool         `json:"reset_after_close"`
	HandshakeRTT *float64     `json:"handshake_rtt_s"`
	ConnectTime  *float64     `json:"connect_time_s"`
	SYNs         int          `json:"syns"`
	SYNACKs      int          `json:"syn_acks"`
	CapturePoint string       `json:"capture_point"` // state.CapturePoint
	Packets      dirCounts    `json:"packets"`
	Bytes        dirCounts    `json:"bytes"`
	DurationS    float64      `json:"duration_s"`
	MaxIdleS     float64      `json:"max_idle_s"`
	Stalls       jsonStalls   `json:"stalls"` // report/timing.go
	Stats        jsonStats    `json:"stats"`
	ConnState    string       `json:"conn_state"`
	History      string       `json:"history"`
	Verdict      string       `json:"verdict"`
	VerdictCodes []string     `json:"verdict_codes"`
	Streams      *jsonStreams `json:"streams,omitempty"` // when reassembled
	ICMP         []jsonICMP   `json:"icmp_errors"`
	BadHeaders   []jsonBad    `json:"bad_headers,omitempty"`
	Segments     *[]jsonSeg   `json:"segments,omitempty"` // absent in summary mode
}

type jsonICMP struct {
	Frame uint64  `json:"frame"`
	Time  float64 `json:"time"`
	Dir   string  `json:"dir"` // direction of the quoted segment
	Proto string  `json:"proto"`
	Type  uint8   `json:"type"`
	Code  uint8   `json:"code"`
	Text  string  `json:"text"`
	Seq   uint32  `json:"seq_abs"`
	// Partial: only 8 bytes of TCP header quoted, so Wireshark gives the
	// frame no tcp.stream.
	Partial bool `json:"partial_quote,omitempty"`
}

// jsonBad is a frame whose TCP header has a bogus length: numbered in the
// connection (Wireshark gives it the tcp.stream), not analyzed.
type jsonBad struct {
	Frame  uint64  `json:"frame"`
	Time   float64 `json:"time"`
	Dir    string  `json:"dir"`
	HdrLen uint8   `json:"header_len"`
}

type dirCounts struct {
	C2S uint64 `json:"c2s"`
	S2C uint64 `json:"s2c"`
}

type jsonSeg struct {
	Frame       uint64           `json:"frame"`
	Time        float64          `json:"time"`
	Dir         string           `json:"dir"`
	Flags       string           `json:"flags"`
	Seq         uint32           `json:"seq"`
	Ack         uint32           `json:"ack"`
	SeqAbs      uint32           `json:"seq_abs"`
	AckAbs      uint32           `json:"ack_abs"`
	Len         int              `json:"len"`
	WinRaw      uint16           `json:"win_raw"`
	Win         *int64           `json:"win"`
	WinAssumed  bool             `json:"win_scale_assumed,omitempty"`
	Options     *jsonOptions     `json:"options,omitempty"`
	Analysis    []string         `json:"analysis"`
	DupAckNum   uint32           `json:"dup_ack_num,omitempty"`
	DupAckFrame uint64           `json:"dup_ack_frame,omitempty"`
	AckRTT      *float64         `json:"ack_rtt_s,omitempty"`
	AckFrame    uint64           `json:"ack_frame,omitempty"`
	InFlight    *int64           `json:"bytes_in_flight,omitempty"`
	Truncated   bool             `json:"truncated,omitempty"`
	Checksums   *jsonSegChecksum `json:"checksums,omitempty"`
	SeqJump     uint32           `json:"seq_jump,omitempty"`
	AckJump     uint32           `json:"ack_jump,omitempty"`
	// Artifacts are the segment's capture artifacts (state.Artifact names);
	// DuplicateOf, on a duplicate_frame, the frame it is a copy of.
	Artifacts   []string         `json:"artifacts,omitempty"`
	DuplicateOf uint64           `json:"duplicate_of,omitempty"`
	Transitions []jsonTransition `json:"transitions"`
}

// jsonSegChecksum is a segment's checksum statuses, present unless the TCP
// checksum is right and the IP one right or absent.
type jsonSegChecksum struct {
	IP  string `json:"ip"`
	TCP string `json:"tcp"`
}

type jsonOptions struct {
	MSS     *int32      `json:"mss,omitempty"`
	WScale  *int8       `json:"wscale,omitempty"`
	SACKOK  bool        `json:"sack_permitted,omitempty"`
	TSVal   *uint32     `json:"ts_val,omitempty"`
	TSEcr   *uint32     `json:"ts_ecr,omitempty"`
	SACK    [][2]uint32 `json:"sack,omitempty"`
	Unknown []int       `json:"unknown_kinds,omitempty"`
	// Malformed lists the option problems, each with the first option that
	// has it (kind, length byte, bytes of options left from it).
	Malformed []jsonBadOption `json:"malformed,omitempty"`
}

type jsonBadOption struct {
	Problem string `json:"problem"`
	Kind    uint8  `json:"kind"`
	Len     uint8  `json:"len"`
	Room    uint8  `json:"room"`
}

type jsonTransition struct {
	Endpoint string `json:"endpoint"`
	From     string `json:"from"`
	To       string `json:"to"`
	Why      string `json:"why"`
}

// jsonlConn is the JSONL connection line.
type jsonlConn struct {
	Type string `json:"type"`
	jsonConn
}
