package report

import (
	"path/filepath"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/state"
)

// The rows of the Parquet tables (--format parquet; docs/parquet.md). Each
// is an object of the JSON report (docs/json-schema.md) with the same names
// and the same nesting, as Parquet groups (STRUCT), lists and maps, with
// signed integers (engines take unsigned Parquet types badly) and "unknown"
// as NULL; plus the columns that place a row in a set of runs:
//
//   - run: the run's inputs as given on its command line, so that the rows
//     of several runs written into one directory keep apart (a connection is
//     (run, id, part); its segments have the same run, conn and part);
//   - key on connections: ConnKey, the same in every run that saw the
//     connection;
//   - file and file_frame: the input of the frame (of a connection's first
//     frame) and its number there, where frame counts the merged capture;
//   - ts on segments, first_ts and last_ts on connections: absolute times
//     (TIMESTAMP, UTC, microseconds), where time, first_time and last_time
//     are seconds since the run's first frame.
//
// The sink package writes them with parquet-go, whose struct tags these are;
// the json tags give the names of the JSON report, for comparisons.

// ConnRow is a row of the connections table.
type ConnRow struct {
	Run          string         `parquet:"run,dict" json:"run"`
	ID           int64          `parquet:"id" json:"id"`
	Part         int32          `parquet:"part" json:"part"`
	Evicted      bool           `parquet:"evicted" json:"evicted"`
	Key          string         `parquet:"key" json:"key"`
	File         string         `parquet:"file,dict" json:"file"`
	FileFrame    int64          `parquet:"file_frame" json:"file_frame"`
	Client       EndpointRow    `parquet:"client" json:"client"`
	Server       EndpointRow    `parquet:"server" json:"server"`
	FirstFrame   int64          `parquet:"first_frame" json:"first_frame"`
	LastFrame    int64          `parquet:"last_frame" json:"last_frame"`
	FirstTime    float64        `parquet:"first_time" json:"first_time"`
	LastTime     float64        `parquet:"last_time" json:"last_time"`
	FirstTS      int64          `parquet:"first_ts,timestamp(microsecond)" json:"first_ts"`
	LastTS       int64          `parquet:"last_ts,timestamp(microsecond)" json:"last_ts"`
	MidStream    bool           `parquet:"mid_stream" json:"mid_stream"`
	EndedBy      string         `parquet:"ended_by,dict" json:"ended_by"`
	ClosedBy     *string        `parquet:"closed_by,optional,dict" json:"closed_by"`
	ResetBy      *string        `parquet:"reset_by,optional,dict" json:"reset_by"`
	ResetAfter   bool           `parquet:"reset_after_close" json:"reset_after_close"`
	HandshakeRTT *float64       `parquet:"handshake_rtt_s,optional" json:"handshake_rtt_s"`
	ConnectTime  *float64       `parquet:"connect_time_s,optional" json:"connect_time_s"`
	SYNs         int32          `parquet:"syns" json:"syns"`
	SYNACKs      int32          `parquet:"syn_acks" json:"syn_acks"`
	CapturePoint string         `parquet:"capture_point,dict" json:"capture_point"`
	Packets      DirCountsRow   `parquet:"packets" json:"packets"`
	Bytes        DirCountsRow   `parquet:"bytes" json:"bytes"`
	DurationS    float64        `parquet:"duration_s" json:"duration_s"`
	MaxIdleS     float64        `parquet:"max_idle_s" json:"max_idle_s"`
	Stalls       StallsRow      `parquet:"stalls" json:"stalls"`
	Stats        StatsRow       `parquet:"stats" json:"stats"`
	ConnState    string         `parquet:"conn_state,dict" json:"conn_state"`
	History      string         `parquet:"history,dict" json:"history"`
	Verdict      string         `parquet:"verdict,dict" json:"verdict"`
	VerdictCodes []string       `parquet:"verdict_codes,list" json:"verdict_codes"`
	Streams      *StreamsRow    `parquet:"streams,optional" json:"streams,omitempty"`
	ICMPErrors   []ICMPErrorRow `parquet:"icmp_errors,list" json:"icmp_errors"`
	BadHeaders   []BadHeaderRow `parquet:"bad_headers,list" json:"bad_headers"`
}

// EndpointRow is a connection's client or server.
type EndpointRow struct {
	Addr          string `parquet:"addr,dict" json:"addr"`
	Port          int32  `parquet:"port" json:"port"`
	ISN           *int64 `parquet:"isn,optional" json:"isn"`
	MSS           *int32 `parquet:"mss,optional" json:"mss"`
	WScale        *int32 `parquet:"wscale,optional" json:"wscale"`
	SACKPermitted bool   `parquet:"sack_permitted" json:"sack_permitted"`
	Timestamps    bool   `parquet:"timestamps" json:"timestamps"`
	FinalState    string `parquet:"final_state,dict" json:"final_state"`
}

// DirCountsRow is a count each way.
type DirCountsRow struct {
	C2S int64 `parquet:"c2s" json:"c2s"`
	S2C int64 `parquet:"s2c" json:"s2c"`
}

// StatsRow is stats: each direction's.
type StatsRow struct {
	C2S DirStatsRow `parquet:"c2s" json:"c2s"`
	S2C DirStatsRow `parquet:"s2c" json:"s2c"`
}

// DirStatsRow is one direction's stats.
type DirStatsRow struct {
	Analysis    map[string]int64 `parquet:"analysis" json:"analysis"`
	GapBytes    int64            `parquet:"gap_bytes" json:"gap_bytes"`
	AckRTT      *RTTRow          `parquet:"ack_rtt,optional" json:"ack_rtt"`
	Karn        *KarnRow         `parquet:"rtt_karn,optional" json:"rtt_karn"`
	LimitedBy   LimitRow         `parquet:"limited_by" json:"limited_by"`
	ZeroWindowS float64          `parquet:"zero_window_s" json:"zero_window_s"`
	Throughput  float64          `parquet:"throughput_bps" json:"throughput_bps"`
	Goodput     float64          `parquet:"goodput_bps" json:"goodput_bps"`
	DataSegs    int64            `parquet:"data_segments" json:"data_segments"`
	UniqueBytes int64            `parquet:"unique_bytes" json:"unique_bytes"`
	RexmtBytes  int64            `parquet:"retransmitted_bytes" json:"retransmitted_bytes"`
	RexmtSegs   int64            `parquet:"retransmitted_segments" json:"retransmitted_segments"`
	RexmtRate   float64          `parquet:"retransmission_rate" json:"retransmission_rate"`
	// The out-of-sequence segments by cause, as in JSON.
	OutSeqRexmt   int64 `parquet:"retransmissions" json:"retransmissions"`
	LostBefore    int64 `parquet:"lost_before_capture" json:"lost_before_capture"`
	Spurious      int64 `parquet:"spurious_retransmissions" json:"spurious_retransmissions"`
	SpuriousAcked int64 `parquet:"spurious_acked" json:"spurious_acked"`
	SpuriousDSACK int64 `parquet:"spurious_dsack" json:"spurious_dsack"`
	Reordered     int64 `parquet:"reordered_segments" json:"reordered_segments"`
	Duplicates    int64 `parquet:"duplicate_segments" json:"duplicate_segments"`
	Ambiguous     int64 `parquet:"ambiguous_segments" json:"ambiguous_segments"`
	DSACKs        int64 `parquet:"dsacks" json:"dsacks"`
	// Damage, as in JSON: empty, NULL and 0 when there is none.
	MalformedOptions map[string]int64 `parquet:"malformed_options" json:"malformed_options,omitempty"`
	Checksums        *ChecksumsRow    `parquet:"checksums,optional" json:"checksums,omitempty"`
	SeqJumps         int64            `parquet:"impossible_seq_jumps" json:"impossible_seq_jumps,omitempty"`
	AckJumps         int64            `parquet:"impossible_ack_jumps" json:"impossible_ack_jumps,omitempty"`
}

// ChecksumsRow counts TCP segments by checksum status, for the IP header
// and for TCP (capture.ChecksumStatus names).
type ChecksumsRow struct {
	IP  map[string]int64 `parquet:"ip" json:"ip"`
	TCP map[string]int64 `parquet:"tcp" json:"tcp"`
}

func checksumsRow(c *jsonChecksums) ChecksumsRow {
	r := ChecksumsRow{IP: make(map[string]int64, len(c.IP)), TCP: make(map[string]int64, len(c.TCP))}
	for k, v := range c.IP {
		r.IP[k] = int64(v)
	}
	for k, v := range c.TCP {
		r.TCP[k] = int64(v)
	}
	return r
}

// RTTRow is ack_rtt.
type RTTRow struct {
	MinS    float64 `parquet:"min_s" json:"min_s"`
	AvgS    float64 `parquet:"avg_s" json:"avg_s"`
	MaxS    float64 `parquet:"max_s" json:"max_s"`
	Samples int64   `parquet:"samples" json:"samples"`
}

// KarnRow is rtt_karn: RTTRow with the percentiles (report/timing.go).
type KarnRow struct {
	RTTRow
	P50S float64 `parquet:"p50_s" json:"p50_s"`
	P90S float64 `parquet:"p90_s" json:"p90_s"`
	P99S float64 `parquet:"p99_s" json:"p99_s"`
}

// StreamsRow is streams, present when the run reassembled.
type StreamsRow struct {
	C2S StreamRow `parquet:"c2s" json:"c2s"`
	S2C StreamRow `parquet:"s2c" json:"s2c"`
}

// StreamRow is one direction's reassembly facts.
type StreamRow struct {
	Bytes         int64        `parquet:"bytes" json:"bytes"`
	GapBytes      int64        `parquet:"gap_bytes" json:"gap_bytes"`
	LimitBytes    int64        `parquet:"buffer_limit_bytes" json:"buffer_limit_bytes"`
	Gaps          []GapRow     `parquet:"gaps,list" json:"gaps"`
	Retransmitted int64        `parquet:"retransmitted_bytes" json:"retransmitted_bytes"`
	OverlapCount  int64        `parquet:"differing_overlap_count" json:"differing_overlap_count"`
	Overlaps      []OverlapRow `parquet:"differing_overlaps,list" json:"differing_overlaps"`
	SHA256        string       `parquet:"sha256" json:"sha256"`
	Proto         *string      `parquet:"proto,optional,dict" json:"proto"`
	ProtoFrame    *int64       `parquet:"proto_frame,optional" json:"proto_frame,omitempty"`
}

// GapRow is a gap in a stream.
type GapRow struct {
	Offset int64  `parquet:"offset" json:"offset"`
	Size   int64  `parquet:"size" json:"size"`
	Frame  *int64 `parquet:"frame,optional" json:"frame,omitempty"`
	Kind   string `parquet:"kind,dict" json:"kind"`
}

// OverlapRow is a differing overlap in a stream.
type OverlapRow struct {
	Offset    int64 `parquet:"offset" json:"offset"`
	Size      int64 `parquet:"size" json:"size"`
	Frame     int64 `parquet:"frame" json:"frame"`
	FirstSeen int64 `parquet:"first_seen_frame" json:"first_seen_frame"`
}

// ICMPErrorRow is an ICMP error quoting a segment of the connection.
type ICMPErrorRow struct {
	Frame   int64   `parquet:"frame" json:"frame"`
	Time    float64 `parquet:"time" json:"time"`
	Dir     string  `parquet:"dir,dict" json:"dir"`
	Proto   string  `parquet:"proto,dict" json:"proto"`
	Type    int32   `parquet:"type" json:"type"`
	Code    int32   `parquet:"code" json:"code"`
	Text    string  `parquet:"text,dict" json:"text"`
	SeqAbs  int64   `parquet:"seq_abs" json:"seq_abs"`
	Partial bool    `parquet:"partial_quote" json:"partial_quote"`
}

// BadHeaderRow is a frame of the connection with a bogus TCP header length.
type BadHeaderRow struct {
	Frame     int64   `parquet:"frame" json:"frame"`
	Time      float64 `parquet:"time" json:"time"`
	Dir       string  `parquet:"dir,dict" json:"dir"`
	HeaderLen int32   `parquet:"header_len" json:"header_len"`
}

// SegmentRow is a row of the segments table.
type SegmentRow struct {
	Run             string          `parquet:"run,dict" json:"run"`
	Conn            int64           `parquet:"conn" json:"conn"`
	Part            int32           `parquet:"part" json:"part"`
	File            string          `parquet:"file,dict" json:"file"`
	FileFrame       int64           `parquet:"file_frame" json:"file_frame"`
	Frame           int64           `parquet:"frame" json:"frame"`
	Time            float64         `parquet:"time" json:"time"`
	TS              int64           `parquet:"ts,timestamp(microsecond)" json:"ts"`
	Dir             string          `parquet:"dir,dict" json:"dir"`
	Flags           string          `parquet:"flags,dict" json:"flags"`
	Seq             int64           `parquet:"seq" json:"seq"`
	Ack             int64           `parquet:"ack" json:"ack"`
	SeqAbs          int64           `parquet:"seq_abs" json:"seq_abs"`
	AckAbs          int64           `parquet:"ack_abs" json:"ack_abs"`
	Len             int64           `parquet:"len" json:"len"`
	WinRaw          int32           `parquet:"win_raw" json:"win_raw"`
	Win             *int64          `parquet:"win,optional" json:"win"`
	WinScaleAssumed bool            `parquet:"win_scale_assumed" json:"win_scale_assumed"`
	Options         *OptionsRow     `parquet:"options,optional" json:"options"`
	Analysis        []string        `parquet:"analysis,list,dict" json:"analysis"`
	DupAckNum       *int64          `parquet:"dup_ack_num,optional" json:"dup_ack_num"`
	DupAckFrame     *int64          `parquet:"dup_ack_frame,optional" json:"dup_ack_frame"`
	AckRTT          *float64        `parquet:"ack_rtt_s,optional" json:"ack_rtt_s"`
	AckFrame        *int64          `parquet:"ack_frame,optional" json:"ack_frame"`
	BytesInFlight   *int64          `parquet:"bytes_in_flight,optional" json:"bytes_in_flight"`
	Truncated       bool            `parquet:"truncated" json:"truncated"`
	Checksums       *SegChecksumRow `parquet:"checksums,optional" json:"checksums"`
	SeqJump         int64           `parquet:"seq_jump" json:"seq_jump"`
	AckJump         int64           `parquet:"ack_jump" json:"ack_jump"`
	Artifacts       []string        `parquet:"artifacts,list,dict" json:"artifacts"`
	DuplicateOf     *int64          `parquet:"duplicate_of,optional" json:"duplicate_of"`
	Transitions     []TransitionRow `parquet:"transitions,list" json:"transitions"`

	// What the optional columns point to, kept with the row so that
	// filling it allocates nothing.
	win, dupAckNum, dupAckFrame, ackFrame, inFlight, dupOf int64
	ackRTT                                                 float64
	opts                                                   OptionsRow
	sums                                                   SegChecksumRow
}

// SegChecksumRow is a segment's checksum statuses, present (as in JSON)
// unless the TCP checksum is right and the IP one right or absent.
type SegChecksumRow struct {
	IP  string `parquet:"ip,dict" json:"ip"`
	TCP string `parquet:"tcp,dict" json:"tcp"`
}

// OptionsRow is a segment's TCP options.
type OptionsRow struct {
	MSS           *int32         `parquet:"mss,optional" json:"mss,omitempty"`
	WScale        *int32         `parquet:"wscale,optional" json:"wscale,omitempty"`
	SACKPermitted bool           `parquet:"sack_permitted" json:"sack_permitted,omitempty"`
	TSVal         *int64         `parquet:"ts_val,optional" json:"ts_val,omitempty"`
	TSEcr         *int64         `parquet:"ts_ecr,optional" json:"ts_ecr,omitempty"`
	SACK          [][]int64      `parquet:"sack,list" parquet-element:",list" json:"sack,omitempty"`
	UnknownKinds  []int32        `parquet:"unknown_kinds,list" json:"unknown_kinds,omitempty"`
	Malformed     []BadOptionRow `parquet:"malformed,list" json:"malformed,omitempty"`

	mss, wscale  int32
	tsVal, tsEcr int64
	sack         [capture.MaxSACKBlocks][2]int64
	unknownKinds [capture.MaxUnknownOptions]int32
}

// BadOptionRow is an option problem of a segment, with the first option
// that has it (as jsonBadOption).
type BadOptionRow struct {
	Problem string `parquet:"problem,dict" json:"problem"`
	Kind    int32  `parquet:"kind" json:"kind"`
	Len     int32  `parquet:"len" json:"len"`
	Room    int32  `parquet:"room" json:"room"`
}

// TransitionRow is a state change a segment caused.
type TransitionRow struct {
	Endpoint string `parquet:"endpoint,dict" json:"endpoint"`
	From     string `parquet:"from,dict" json:"from"`
	To       string `parquet:"to,dict" json:"to"`
	Why      string `parquet:"why,dict" json:"why"`
}

// inputName is the name of input i as given ("" when unknown).
func inputName(inputs []string, i int) string {
	if i < 0 || i >= len(inputs) {
		return ""
	}
	return inputs[i]
}

// InputBase is the base name of an input, "stdin" for "-".
func InputBase(name string) string {
	if name == "-" {
		return "stdin"
	}
	return filepath.Base(name)
}

// SegmentRowOf fills the segments row of an analyzed segment, as
// appendSegment writes it in JSON. The row's slices are reused: a row
// filled again overwrites them, and filling allocates nothing once they
// have grown.
func SegmentRowOf(row *SegmentRow, c *state.Connection, base int64, r *state.Record, trans []state.Transition, run string, inputs []string) {
	row.Run, row.Conn, row.Part = run, int64(c.ID), int32(c.Part)
	row.File, row.FileFrame = inputName(inputs, int(r.File)), int64(r.FileFrame)
	row.Frame, row.Time, row.TS = int64(r.Frame), secs(r.Time-base), r.Time/1e3
	row.Dir, row.Flags = r.Dir.String(), flagsString(r.Flags)
	ack, ackAbs := ackFields(r)
	row.Seq, row.Ack, row.SeqAbs, row.AckAbs = int64(r.RelSeq), int64(ack), int64(r.Seq), int64(ackAbs)
	row.Len, row.WinRaw = int64(r.Len), int32(r.Win)
	row.Win, row.WinScaleAssumed = nil, false
	if r.WinScaled >= 0 {
		row.win = r.WinScaled
		row.Win, row.WinScaleAssumed = &row.win, r.ScaleAssumed
	}
	row.Options = row.opts.fill(&r.Opts)
	row.Analysis = row.Analysis[:0]
	for i := 0; i < state.NumAnalysis; i++ {
		if a := state.Analysis(1) << i; r.Analysis&a != 0 {
			row.Analysis = append(row.Analysis, a.Name())
		}
	}
	row.DupAckNum = optInt(&row.dupAckNum, int64(r.DupAckNum), r.DupAckNum != 0)
	row.DupAckFrame = optInt(&row.dupAckFrame, int64(r.DupAckOf), r.DupAckOf != 0)
	row.AckFrame = optInt(&row.ackFrame, int64(r.AckOf), r.AckOf != 0)
	row.BytesInFlight = optInt(&row.inFlight, r.InFlight, r.InFlight >= 0)
	row.AckRTT = nil
	if r.HasAckRTT() {
		row.ackRTT = secs(r.AckRTT)
		row.AckRTT = &row.ackRTT
	}
	row.Truncated = r.Truncated
	row.Checksums = nil
	if segChecksumShown(r) {
		row.sums = SegChecksumRow{r.IPChecksum.String(), r.TCPChecksum.String()}
		row.Checksums = &row.sums
	}
	row.SeqJump, row.AckJump = int64(r.SeqJump), int64(r.AckJump)
	row.Artifacts = row.Artifacts[:0]
	for _, a := range state.AllArtifacts() {
		if r.Artifacts&a != 0 {
			row.Artifacts = append(row.Artifacts, a.Name())
		}
	}
	row.DuplicateOf = optInt(&row.dupOf, int64(r.DupOf()), r.DupOf() != 0)
	row.Transitions = row.Transitions[:0]
	for _, t := range trans {
		row.Transitions = append(row.Transitions, TransitionRow{t.Endpoint.Side(), t.From.String(), t.To.String(), t.Why})
	}
}

// optInt points p at v when ok, or returns nil.
func optInt(p *int64, v int64, ok bool) *int64 {
	if !ok {
		return nil
	}
	*p = v
	return p
}

// fill sets the options row from a segment's options (as jsonOptions) and
// returns it, or nil when the segment has none.
func (o *OptionsRow) fill(opts *capture.Options) *OptionsRow {
	if opts.MSS < 0 && opts.WScale < 0 && !opts.SACKPermitted && !opts.HasTS && opts.NSACK == 0 && opts.NUnknown == 0 && opts.Bad == 0 {
		return nil
	}
	*o = OptionsRow{SACK: o.SACK[:0], UnknownKinds: o.UnknownKinds[:0], Malformed: o.Malformed[:0]}
	if opts.MSS >= 0 {
		o.mss = opts.MSS
		o.MSS = &o.mss
	}
	if opts.WScale >= 0 {
		o.wscale = int32(opts.WScale)
		o.WScale = &o.wscale
	}
	o.SACKPermitted = opts.SACKPermitted
	if opts.HasTS {
		o.tsVal, o.tsEcr = int64(opts.TSVal), int64(opts.TSEcr)
		o.TSVal, o.TSEcr = &o.tsVal, &o.tsEcr
	}
	for i, b := range opts.SACKBlocks() {
		o.sack[i] = [2]int64{int64(b.Left), int64(b.Right)}
		o.SACK = append(o.SACK, o.sack[i][:])
	}
	for _, k := range opts.UnknownKinds() {
		o.UnknownKinds = append(o.UnknownKinds, int32(k))
	}
	if opts.Bad != 0 { // rare
		for _, p := range capture.OptionProblems() {
			if opts.Has(p) {
				b := opts.BadOpt[p]
				o.Malformed = append(o.Malformed, BadOptionRow{p.String(), int32(b.Kind), int32(b.Len), int32(b.Room)})
			}
		}
	}
	return o
}

// flagNames holds the letters of every combination of the 9 flag bits, so
// that a segment row takes its flags without allocating.
var flagNames = func() (t [1 << 9]string) {
	for i := range t {
		t[i] = capture.Flags(i).String()
	}
	return t
}()

func flagsString(f capture.Flags) string {
	if int(f) < len(flagNames) {
		return flagNames[f]
	}
	return f.String()
}

// RunRow is the row of the runs table: what the capture line of --format
// jsonl says (the capture object, the connections written, the expert
// summary), with first_time as a TIMESTAMP.
type RunRow struct {
	Run              string           `parquet:"run" json:"run"`
	File             string           `parquet:"file" json:"file"`
	Files            []InputRow       `parquet:"files,list" json:"files"`
	Format           string           `parquet:"format" json:"format"`
	LinkTypes        []LinkRow        `parquet:"link_types,list" json:"link_types"`
	Frames           map[string]int64 `parquet:"frames" json:"frames"`
	FirstTS          *int64           `parquet:"first_ts,optional,timestamp(microsecond)" json:"first_ts"`
	LastTS           *int64           `parquet:"last_ts,optional,timestamp(microsecond)" json:"last_ts"`
	Errors           []string         `parquet:"errors,list" json:"errors"`
	Interrupted      bool             `parquet:"interrupted" json:"interrupted"`
	Evicted          int64            `parquet:"evicted" json:"evicted"`
	EvictedOpen      int64            `parquet:"evicted_open" json:"evicted_open"`
	MaxOpen          int64            `parquet:"max_open" json:"max_open"`
	Continued        int64            `parquet:"continued" json:"continued"`
	ForgottenDropped int64            `parquet:"forgotten_dropped" json:"forgotten_dropped"`
	MalformedOptions map[string]int64 `parquet:"malformed_options" json:"malformed_options"`
	Checksums        ChecksumsRow     `parquet:"checksums" json:"checksums"`
	ImpossibleJumps  JumpsRow         `parquet:"impossible_jumps" json:"impossible_jumps"`
	Quality          QualityRow       `parquet:"quality" json:"quality"` // quality.go
	Connections      int64            `parquet:"connections" json:"connections"`
	Expert           []ExpertRow      `parquet:"expert,list" json:"expert"`
}

// JumpsRow counts the sequence and acknowledgment numbers too far to be real.
type JumpsRow struct {
	Seq int64 `parquet:"seq" json:"seq"`
	Ack int64 `parquet:"ack" json:"ack"`
}

// InputRow is one input of a run.
type InputRow struct {
	File   string  `parquet:"file" json:"file"`
	Format string  `parquet:"format" json:"format"`
	Gzip   bool    `parquet:"gzip" json:"gzip"`
	Frames int64   `parquet:"frames" json:"frames"`
	Error  *string `parquet:"error,optional" json:"error,omitempty"`
}

// LinkRow is the frames of one link type.
type LinkRow struct {
	Name   string `parquet:"name" json:"name"`
	Frames int64  `parquet:"frames" json:"frames"`
}

// ExpertRow is one kind of finding of the expert summary.
type ExpertRow struct {
	Name        string     `parquet:"name" json:"name"`
	Total       int64      `parquet:"total" json:"total"`
	Connections int64      `parquet:"connections" json:"connections"`
	Worst       []WorstRow `parquet:"worst,list" json:"worst"`
}

// WorstRow is a connection among the worst hit by a finding.
type WorstRow struct {
	ID    int64 `parquet:"id" json:"id"`
	Count int64 `parquet:"count" json:"count"`
}

// RunRowOf fills the runs row at the end of a run that wrote conns
// connections.
func RunRowOf(row *RunRow, run string, sum *pipeline.Summary, conns int, e *Expert) {
	jc := captureJSON(sum)
	*row = RunRow{Run: run, File: jc.File, Files: []InputRow{}, Format: jc.Format, LinkTypes: []LinkRow{},
		Frames: map[string]int64{}, Errors: jc.Errors, Interrupted: jc.Interrupted, Evicted: int64(jc.Evicted),
		EvictedOpen: int64(jc.EvictedOpen), MaxOpen: int64(jc.MaxOpen), Continued: int64(jc.Continued),
		ForgottenDropped: int64(jc.ForgottenDropped), Connections: int64(conns), Expert: []ExpertRow{},
		MalformedOptions: map[string]int64{}, Checksums: checksumsRow(&jc.Checksums),
		ImpossibleJumps: JumpsRow{int64(jc.ImpossibleJumps.Seq), int64(jc.ImpossibleJumps.Ack)},
		Quality:         qualityRow(&jc.Quality)}
	for k, v := range jc.MalformedOptions {
		row.MalformedOptions[k] = int64(v)
	}
	for _, in := range jc.Files {
		ir := InputRow{File: in.File, Format: in.Format, Gzip: in.Gzip, Frames: int64(in.Frames)}
		if in.Error != "" {
			s := in.Error
			ir.Error = &s
		}
		row.Files = append(row.Files, ir)
	}
	for _, l := range jc.LinkTypes {
		row.LinkTypes = append(row.LinkTypes, LinkRow{l.Name, int64(l.Frames)})
	}
	for k, v := range jc.Frames {
		row.Frames[k] = int64(v)
	}
	if sum.Stats.Frames > 0 {
		first, last := sum.Stats.FirstTime/1e3, sum.Stats.LastTime/1e3
		row.FirstTS, row.LastTS = &first, &last
	}
	for _, r := range e.list() {
		je := expertJSON(r)
		er := ExpertRow{Name: je.Name, Total: je.Total, Connections: int64(je.Connections), Worst: []WorstRow{}}
		for _, w := range je.Worst {
			er.Worst = append(er.Worst, WorstRow{int64(w.ID), w.Count})
		}
		row.Expert = append(row.Expert, er)
	}
}
