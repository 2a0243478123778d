package report

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/state"
	"github.com/tcpflow/tcpflow/stream"
)

// The JSON document; docs/json-schema.md describes every field. Field order is
// fixed by these structs, and every list is in a defined order, so the bytes are
// the same on every run.
type jsonDoc struct {
	Capture     jsonCapture  `json:"capture"`
	Expert      []jsonExpert `json:"expert"`
	Connections []jsonConn   `json:"connections"`
}

type jsonExpert struct {
	Name        string      `json:"name"`
	Total       int64       `json:"total"`
	Connections int         `json:"connections"`
	Worst       []jsonWorst `json:"worst"`
}

type jsonWorst struct {
	ID    int   `json:"id"`
	Count int64 `json:"count"`
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
	ZeroWindowS float64           `json:"zero_window_s"`
	Throughput  float64           `json:"throughput_bps"`
}

type jsonStream struct {
	Bytes         int64         `json:"bytes"`
	GapBytes      int64         `json:"gap_bytes"`
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

func streamJSON(f *stream.Facts) jsonStream {
	js := jsonStream{Bytes: f.Bytes, GapBytes: f.GapBytes, Gaps: gapsJSON(f), Retransmitted: f.Retransmitted,
		OverlapCount: f.OverlapCount, Overlaps: overlapsJSON(f), SHA256: hex.EncodeToString(f.SHA256[:])}
	if f.Proto != "" {
		p := f.Proto
		js.Proto, js.ProtoFrame = &p, f.ProtoFrame
	}
	return js
}

type jsonStats struct {
	C2S jsonDirStats `json:"c2s"`
	S2C jsonDirStats `json:"s2c"`
}

type jsonCapture struct {
	File      string            `json:"file"` // the first input, for the common one-file case
	Files     []jsonInput       `json:"files"`
	Format    string            `json:"format"`
	LinkTypes []jsonLink        `json:"link_types"`
	Frames    map[string]uint64 `json:"frames"` // encoding/json sorts map keys
	FirstTime string            `json:"first_time,omitempty"`
	Errors    []string          `json:"errors"`
	// What the run's bounds changed (docs/json-schema.md), always written.
	Interrupted      bool `json:"interrupted"`
	Evicted          int  `json:"evicted"`
	EvictedOpen      int  `json:"evicted_open"`
	MaxOpen          int  `json:"max_open"`
	Continued        int  `json:"continued"`
	ForgottenDropped int  `json:"forgotten_dropped"`
}

type jsonInput struct {
	File   string `json:"file"`
	Format string `json:"format"`
	Gzip   bool   `json:"gzip"`
	Frames uint64 `json:"frames"`
	Error  string `json:"error,omitempty"`
}

type jsonLink struct {
	Name   string `json:"name"`
	Frames uint64 `json:"frames"`
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
	MidStream    bool         `json:"mid_stream"`
	EndedBy      string       `json:"ended_by"`
	ClosedBy     *string      `json:"closed_by"`
	HandshakeRTT *float64     `json:"handshake_rtt_s"`
	Packets      dirCounts    `json:"packets"`
	Bytes        dirCounts    `json:"bytes"`
	DurationS    float64      `json:"duration_s"`
	MaxIdleS     float64      `json:"max_idle_s"`
	Stats        jsonStats    `json:"stats"`
	ConnState    string       `json:"conn_state"`
	History      string       `json:"history"`
	Verdict      string       `json:"verdict"`
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
	Transitions []jsonTransition `json:"transitions"`
}

type jsonOptions struct {
	MSS     *int32      `json:"mss,omitempty"`
	WScale  *int8       `json:"wscale,omitempty"`
	SACKOK  bool        `json:"sack_permitted,omitempty"`
	TSVal   *uint32     `json:"ts_val,omitempty"`
	TSEcr   *uint32     `json:"ts_ecr,omitempty"`
	SACK    [][2]uint32 `json:"sack,omitempty"`
	Unknown []int       `json:"unknown_kinds,omitempty"`
}

type jsonTransition struct {
	Endpoint string `json:"endpoint"`
	From     string `json:"from"`
	To       string `json:"to"`
	Why      string `json:"why"`
}

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
	jc := connJSONAt(base, c, opts)
	head, err := json.MarshalIndent(jc, connIndent, " ")
	if err != nil {
		return b, err
	}
	if opts.Summary {
		return append(b, head...), nil
	}
	// The connection with an empty segment list ends in `[]` + "\n" + the
	// indent + `}`: open the list there and write the segments into it.
	tail := "[]\n" + connIndent + "}"
	b = append(b, head[:len(head)-len(tail)]...)
	b = append(b, '[')
	a := c.Data
	var seg []byte
	var ind bytes.Buffer
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
		ind.Reset()
		if err := json.Indent(&ind, seg, segIndent, " "); err != nil {
			return b, err
		}
		b = append(b, ind.Bytes()...)
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
	}
	for _, err := range sum.Errors {
		jc.Errors = append(jc.Errors, err.Error())
	}
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

// connJSONAt is a connection's object with relative times counted from base
// (ns); its segment list is empty (AppendConnJSON fills it), or absent with
// opts.Summary.
func connJSONAt(base int64, c *state.Connection, opts Options) jsonConn {
	a := c.Data
	jc := jsonConn{
		ID: c.ID, Part: c.Part, Evicted: c.Evicted, Key: ConnKey(c), Client: endpointJSON(c, flow.Client), Server: endpointJSON(c, flow.Server),
		FirstFrame: c.FirstFrame, LastFrame: c.LastFrame,
		FirstTime: secs(c.FirstTime - base), LastTime: secs(c.LastTime - base),
		MidStream: c.MidStream, EndedBy: a.EndedBy.String(),
		Packets: dirCounts{c.Packets[flow.C2S], c.Packets[flow.S2C]},
		Bytes:   dirCounts{c.Bytes[flow.C2S], c.Bytes[flow.S2C]},
	}
	dur := c.LastTime - c.FirstTime
	jc.DurationS, jc.MaxIdleS = secs(dur), secs(a.MaxIdle)
	jc.ConnState, jc.History, jc.Verdict = a.Zeek.ConnState(), a.Zeek.History(), verdict(c)
	jc.Stats.C2S, jc.Stats.S2C = dirStatsJSON(c, flow.C2S, dur), dirStatsJSON(c, flow.S2C, dur)
	if st := a.Streams; st != nil {
		jc.Streams = &jsonStreams{streamJSON(&st.Facts[flow.C2S]), streamJSON(&st.Facts[flow.S2C])}
	}
	if a.CloseSeen {
		s := a.Closer.Side()
		jc.ClosedBy = &s
	}
	if a.HandshakeRTT >= 0 {
		v := secs(a.HandshakeRTT)
		jc.HandshakeRTT = &v
	}
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
	if empty {
		return nil
	}
	return &jo
}

func dirStatsJSON(c *state.Connection, d flow.Dir, dur int64) jsonDirStats {
	s := &c.Data.Dir[d]
	js := jsonDirStats{Analysis: map[string]uint32{}, GapBytes: s.GapBytes(), ZeroWindowS: secs(s.ZeroWindow)}
	for _, an := range state.AllAnalysis() {
		if n := c.Data.Count[d][an.Index()]; n > 0 {
			js.Analysis[an.Name()] = n
		}
	}
	if s.RTTCount > 0 {
		js.RTT = &jsonRTT{secs(s.RTTMin), secs(s.RTTAvg()), secs(s.RTTMax), s.RTTCount}
	}
	if dur > 0 {
		js.Throughput = float64(c.Bytes[d]) / secs(dur)
	}
	return js
}
