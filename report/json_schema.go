package report

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

// jsonChecksums counts checksums by status (capture.ChecksumStatus names).
type jsonChecksums struct {
	IP  map[string]uint64 `json:"ip"`
	TCP map[string]uint64 `json:"tcp"`
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

type jsonCapture struct {
	File      string            `json:"file"` // the first input, for the common one-file case
	Files     []jsonInput       `json:"files"`
	Format    string            `json:"format"`
	LinkTypes []jsonLink        `json:"link_types"`
	Frames    map[string]uint64 `json:"frames"` // encoding/json sorts map keys
	FirstTime string            `json:"first_time,omitempty"`
	// The first and the last frame's times, RFC 3339 in UTC to the ns.
	FirstTimeRFC string   `json:"first_time_rfc3339,omitempty"`
	LastTimeRFC  string   `json:"last_time_rfc3339,omitempty"`
	Errors       []string `json:"errors"`
	// What the run's bounds changed (docs/json-schema.md), always written.
	Interrupted      bool `json:"interrupted"`
	Evicted          int  `json:"evicted"`
	EvictedOpen      int  `json:"evicted_open"`
	MaxOpen          int  `json:"max_open"`
	Continued        int  `json:"continued"`
	ForgottenDropped int  `json:"forgotten_dropped"`
	// A live capture's frames lost in the kernel, its socket buffer full;
	// only for live captures.
	DroppedByKernel *uint64 `json:"dropped_by_kernel,omitempty"`
	// Damage over all TCP segments (report/damage.go), always written.
	MalformedOptions map[string]uint64 `json:"malformed_options"`
	Checksums        jsonChecksums     `json:"checksums"`
	ImpossibleJumps  jsonJumps         `json:"impossible_jumps"`
	// How the capture was taken (report/quality.go), always written.
	Quality jsonQuality `json:"quality"`
}

type jsonJumps struct {
	Seq int `json:"seq"`
	Ack int `json:"ack"`
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
