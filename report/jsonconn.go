package report

import (
	"encoding/hex"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
	"github.com/tcpflow/tcpflow/stream"
)

// A connection's object (the JSONL "connection" line, and each element of
// the JSON document's connections array) is appended by hand rather than
// built as a jsonConn and given to encoding/json: on a capture of many
// short connections, the reflection and the maps of counts (every analysis
// finding, malformed option, checksum status and stall cause, zeros too)
// were a third of a --format jsonl run. The bytes are exactly those
// encoding/json writes for connJSONAt's jsonConn (jsonref_test.go; json.Marshal for the
// line, json.MarshalIndent(connIndent, " ") for the document): same field
// order, omissions, number formats, string escaping, and map keys in sorted
// order. TestConnAppendMatchesEncodingJSON holds the two together on every
// connection of the golden captures and of the corpus; docs/json-schema.md
// describes the fields.

// jsonWriter appends JSON compact, as json.Marshal writes it, or indented,
// as json.MarshalIndent(v, connIndent, " ") does: each element of an object
// or array on its own line, behind connIndent and one space per depth, a
// space after a key's colon, empty ones as {} and [].
type jsonWriter struct {
	b      []byte
	indent bool
	depth  int
	first  bool  // no element yet in the object or array being written
	err    error // a value JSON cannot hold (a NaN or infinite float)
}

// sep starts an element: the comma after the previous one, and in indented
// output the new line.
func (w *jsonWriter) sep() {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
	if w.indent {
		w.newline()
	}
}

func (w *jsonWriter) newline() { w.b = appendNewline(w.b, connIndent, w.depth) }

// appendNewline starts a line of indented JSON: prefix, then a space per
// depth (spaces: timeline.go).
func appendNewline(b []byte, prefix string, depth int) []byte {
	b = append(b, '\n')
	b = append(b, prefix...)
	for ; depth > len(spaces); depth -= len(spaces) {
		b = append(b, spaces...)
	}
	return append(b, spaces[:depth]...)
}

// open starts an object ('{') or an array ('[') as a value.
func (w *jsonWriter) open(c byte) {
	w.b = append(w.b, c)
	w.depth++
	w.first = true
}

// close ends the object ('}') or array (']') being written.
func (w *jsonWriter) close(c byte) {
	w.depth--
	if !w.first && w.indent {
		w.newline()
	}
	w.b = append(w.b, c)
	w.first = false
}

// key starts an object's member; the names here need no escaping.
func (w *jsonWriter) key(k string) {
	w.sep()
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
	if w.indent {
		w.b = append(w.b, ' ')
	}
}

func (w *jsonWriter) i64(k string, v int64) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, v, 10)
}

func (w *jsonWriter) u64(k string, v uint64) {
	w.key(k)
	if v < 10 { // most counts are 0
		w.b = append(w.b, byte('0'+v))
		return
	}
	w.b = strconv.AppendUint(w.b, v, 10)
}

func (w *jsonWriter) str(k, v string) {
	w.key(k)
	w.b = appendString(w.b, v)
}

func (w *jsonWriter) boolean(k string, v bool) {
	w.key(k)
	w.b = strconv.AppendBool(w.b, v)
}

func (w *jsonWriter) null(k string) {
	w.key(k)
	w.b = append(w.b, "null"...)
}

func (w *jsonWriter) f64(k string, f float64) {
	w.key(k)
	w.floatValue(f)
}

func (w *jsonWriter) floatValue(f float64) {
	switch {
	case math.Float64bits(f) == 0: // most of them: no stall, no RTT, ...
		w.b = append(w.b, '0')
	case math.IsNaN(f) || math.IsInf(f, 0):
		// encoding/json refuses them; so does this.
		w.err = errors.New("json: unsupported value: " + strconv.FormatFloat(f, 'g', -1, 64))
	default:
		w.b = appendFloat(w.b, f)
	}
}

// object starts a member whose value is an object.
func (w *jsonWriter) object(k string) {
	w.key(k)
	w.open('{')
}

// array starts a member whose value is an array.
func (w *jsonWriter) array(k string) {
	w.key(k)
	w.open('[')
}

// elem starts an array's element that is an object.
func (w *jsonWriter) elem() {
	w.sep()
	w.open('{')
}

// quoteFrom ends a string value whose opening quote is at b[start-1] and
// whose bytes were appended unquoted after it (an address, the key): closed
// as is when none needs escaping, else escaped as appendString does.
func quoteFrom(b []byte, start int) []byte {
	for _, c := range b[start:] {
		if c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			s := string(b[start:])
			return appendString(b[:start-1], s)
		}
	}
	return append(b, '"')
}

// rfc3339Layout is rfc3339's: UTC, all nine digits of the nanoseconds.
const rfc3339Layout = "2006-01-02T15:04:05.000000000Z"

// appendRFC3339 appends rfc3339(ns) quoted (its characters need no escaping).
func appendRFC3339(b []byte, ns int64) []byte {
	b = append(b, '"')
	b = time.Unix(0, ns).UTC().AppendFormat(b, rfc3339Layout)
	return append(b, '"')
}

// named is one key of a map-valued field with what it counts.
type named[T any] struct {
	name string
	v    T
}

// countNames are the keys of the count maps in the order encoding/json
// writes a map's keys (sorted).
type countNames struct {
	analysis  []named[state.Analysis]
	options   []named[capture.OptionProblem]
	checksums []named[capture.ChecksumStatus]
	stalls    []named[state.StallCause]
	// The maps as most connections have them: every count 0, no stall.
	noAnalysis, noOptions, noStalls *fixedObject
}

// sortedNames computes them once.
var sortedNames = sync.OnceValue(func() *countNames {
	var causes []state.StallCause
	for k := state.StallCause(0); k < state.NumStallCauses; k++ {
		causes = append(causes, k)
	}
	n := &countNames{
		analysis:  byName(state.AllAnalysis(), state.Analysis.Name),
		options:   byName(capture.OptionProblems(), capture.OptionProblem.String),
		checksums: byName(capture.ChecksumStatuses(), capture.ChecksumStatus.String),
		stalls:    byName(causes, state.StallCause.Name),
	}
	n.noAnalysis = newFixed(func(w *jsonWriter) {
		for _, an := range n.analysis {
			w.u64(an.name, 0)
		}
	})
	n.noOptions = newFixed(func(w *jsonWriter) {
		for _, p := range n.options {
			w.u64(p.name, 0)
		}
	})
	n.noStalls = newFixed(func(w *jsonWriter) { appendStallCauses(w, n.stalls, nil) })
	return n
})

// fixedObject is an object whose text depends only on where it is: written
// once for each indentation and depth (the count maps are at depth 2 or 3).
type fixedObject [2][8]string

func newFixed(members func(w *jsonWriter)) *fixedObject {
	var f fixedObject
	for i, indent := range [...]bool{false, true} {
		for d := range f[i] {
			w := jsonWriter{indent: indent, depth: d}
			w.open('{')
			members(&w)
			w.close('}')
			f[i][d] = string(w.b)
		}
	}
	return &f
}

// fixed writes a member whose value is f.
func (w *jsonWriter) fixed(k string, f *fixedObject) {
	w.key(k)
	i := 0
	if w.indent {
		i = 1
	}
	w.b = append(w.b, f[i][w.depth]...)
}

// allZero reports whether every count is 0.
func allZero(counts []uint32) bool {
	for _, n := range counts {
		if n != 0 {
			return false
		}
	}
	return true
}

func byName[T any](all []T, name func(T) string) []named[T] {
	out := make([]named[T], len(all))
	for i, v := range all {
		out[i] = named[T]{name(v), v}
	}
	slices.SortFunc(out, func(a, b named[T]) int { return strings.Compare(a.name, b.name) })
	return out
}

// appendConnFields writes the members of c's object (jsonConn) up to its
// segments, the object opened and left open; relative times count from
// base (ns).
func appendConnFields(w *jsonWriter, base int64, c *state.Connection) {
	a := c.Data
	w.i64("id", int64(c.ID))
	if c.Part != 0 {
		w.i64("part", int64(c.Part))
	}
	if c.Evicted {
		w.boolean("evicted", true)
	}
	w.key("key")
	w.b = append(w.b, '"')
	w.b = quoteFrom(appendConnKey(w.b, c), len(w.b))
	for _, d := range [...]flow.Dir{flow.Client, flow.Server} {
		w.object(d.Side())
		appendEndpoint(w, c, d)
		w.close('}')
	}
	w.u64("first_frame", c.FirstFrame)
	w.u64("last_frame", c.LastFrame)
	w.f64("first_time", secs(c.FirstTime-base))
	w.f64("last_time", secs(c.LastTime-base))
	w.key("first_time_rfc3339")
	w.b = appendRFC3339(w.b, c.FirstTime)
	w.key("last_time_rfc3339")
	w.b = appendRFC3339(w.b, c.LastTime)
	w.boolean("mid_stream", c.MidStream)
	w.str("ended_by", a.EndedBy.String())
	if a.CloseSeen {
		w.str("closed_by", a.Closer.Side())
	} else {
		w.null("closed_by")
	}
	reset := a.EndedBy == state.Rst || a.EndedBy == state.Refused
	if reset {
		w.str("reset_by", a.ResetBy.Side())
	} else {
		w.null("reset_by")
	}
	w.boolean("reset_after_close", reset && a.ResetAfterClose)
	w.optSecs("handshake_rtt_s", a.HandshakeRTT)
	w.optSecs("connect_time_s", a.ConnectTime)
	w.i64("syns", int64(a.SYNs))
	w.i64("syn_acks", int64(a.SYNACKs))
	w.str("capture_point", state.WhereCaptured(c).String())
	for _, k := range [...]struct {
		name string
		n    *[2]uint64
	}{{"packets", &c.Packets}, {"bytes", &c.Bytes}} {
		w.object(k.name)
		w.u64("c2s", k.n[flow.C2S])
		w.u64("s2c", k.n[flow.S2C])
		w.close('}')
	}
	dur := c.LastTime - c.FirstTime
	w.f64("duration_s", secs(dur))
	w.f64("max_idle_s", secs(a.MaxIdle))
	appendStalls(w, c, base)
	w.object("stats")
	for d := flow.C2S; d <= flow.S2C; d++ {
		w.object(d.String())
		appendDirStats(w, c, d, dur)
		w.close('}')
	}
	w.close('}')
	w.str("conn_state", a.Zeek.ConnState())
	w.str("history", a.Zeek.History())
	appendVerdict(w, c)
	if st := a.Streams; st != nil {
		w.object("streams")
		for d := flow.C2S; d <= flow.S2C; d++ {
			w.object(d.String())
			appendStream(w, &st.Facts[d])
			w.close('}')
		}
		w.close('}')
	}
	w.array("icmp_errors")
	for _, e := range a.ICMP {
		w.frameAt(e.Frame, e.Time-base, e.Dir)
		proto := "icmp"
		if e.V6 {
			proto = "icmpv6"
		}
		w.str("proto", proto)
		w.u64("type", uint64(e.Type))
		w.u64("code", uint64(e.Code))
		w.str("text", icmpText(e))
		w.u64("seq_abs", uint64(e.Seq))
		if e.Partial {
			w.boolean("partial_quote", true)
		}
		w.close('}')
	}
	w.close(']')
	if len(a.BadHeaders) > 0 {
		w.array("bad_headers")
		for _, h := range a.BadHeaders {
			w.frameAt(h.Frame, h.Time-base, h.Dir)
			w.u64("header_len", uint64(h.HdrLen))
			w.close('}')
		}
		w.close(']')
	}
}

// frameAt starts an array's element about a frame: its number, relative
// time (ns) and direction.
func (w *jsonWriter) frameAt(frame uint64, t int64, d flow.Dir) {
	w.elem()
	w.u64("frame", frame)
	w.f64("time", secs(t))
	w.str("dir", d.String())
}

// optSecs writes a duration in ns as seconds, null when negative (unknown).
func (w *jsonWriter) optSecs(k string, ns int64) {
	if ns < 0 {
		w.null(k)
		return
	}
	w.f64(k, secs(ns))
}

// appendEndpoint writes the members of an endpoint (jsonEndpoint).
func appendEndpoint(w *jsonWriter, c *state.Connection, r flow.Dir) {
	e := &c.Data.EP[r]
	ap := c.Client
	if r == flow.Server {
		ap = c.Server
	}
	w.key("addr")
	w.b = append(w.b, '"')
	w.b = quoteFrom(ap.Addr().AppendTo(w.b), len(w.b))
	w.u64("port", uint64(ap.Port()))
	if e.SYNSeen {
		w.u64("isn", uint64(e.ISN))
	} else {
		w.null("isn")
	}
	if e.SYNSeen && e.MSS >= 0 {
		w.i64("mss", int64(e.MSS))
	} else {
		w.null("mss")
	}
	if e.SYNSeen && e.WScale >= 0 {
		w.i64("wscale", int64(e.WScale))
	} else {
		w.null("wscale")
	}
	w.boolean("sack_permitted", e.SACKPermitted)
	w.boolean("timestamps", e.Timestamps)
	w.str("final_state", e.State.String())
}

// appendStalls writes the stalls member (jsonStalls).
func appendStalls(w *jsonWriter, c *state.Connection, base int64) {
	s := state.ToldStalls(c)
	var n int64
	if s != nil {
		for _, x := range s.Count {
			n += int64(x)
		}
	}
	w.object("stalls")
	w.f64("total_s", secs(s.All()))
	w.i64("count", n)
	if s == nil {
		w.fixed("by_cause", sortedNames().noStalls)
	} else {
		w.object("by_cause")
		appendStallCauses(w, sortedNames().stalls, s)
		w.close('}')
	}
	w.array("longest")
	if s != nil {
		for _, st := range s.Kept() {
			w.elem()
			w.str("cause", st.Cause.Name())
			w.i64("frame", int64(st.Frame))
			if st.EndFrame != 0 {
				w.i64("end_frame", int64(st.EndFrame))
			} else {
				w.null("end_frame")
			}
			w.f64("time", secs(st.Time-base))
			w.f64("duration_s", secs(st.Duration))
			w.close('}')
		}
	}
	w.close(']')
	w.close('}')
}

// appendStallCauses writes the members of by_cause: each cause's total
// and count (zeros without stalls), in the order of causes.
func appendStallCauses(w *jsonWriter, causes []named[state.StallCause], s *state.Stalls) {
	for _, k := range causes {
		w.object(k.name)
		if s != nil {
			w.f64("total_s", secs(s.Total[k.v]))
			w.i64("count", int64(s.Count[k.v]))
		} else {
			w.f64("total_s", 0)
			w.i64("count", 0)
		}
		w.close('}')
	}
}

// appendRTT writes the members of an RTT summary (jsonRTT).
func appendRTT(w *jsonWriter, k *state.RTTStats) {
	w.f64("min_s", secs(k.Min))
	w.f64("avg_s", secs(k.Avg()))
	w.f64("max_s", secs(k.Max))
	w.i64("samples", int64(k.Count))
}

// appendDirStats writes the members of one direction's stats
// (jsonDirStats).
func appendDirStats(w *jsonWriter, c *state.Connection, d flow.Dir, dur int64) {
	s := &c.Data.Dir[d]
	names := sortedNames()
	if counts := &c.Data.Count[d]; allZero(counts[:]) {
		w.fixed("analysis", names.noAnalysis)
	} else {
		w.object("analysis")
		for _, an := range names.analysis {
			w.u64(an.name, uint64(counts[an.v.Index()]))
		}
		w.close('}')
	}
	w.i64("gap_bytes", s.GapBytes())
	if s.ACK.Count > 0 {
		w.object("ack_rtt")
		appendRTT(w, &s.ACK)
		w.close('}')
	} else {
		w.null("ack_rtt")
	}
	if k := &s.Karn; k.Count > 0 {
		w.object("rtt_karn")
		appendRTT(w, k)
		w.f64("p50_s", secs(k.Percentile(50)))
		w.f64("p90_s", secs(k.Percentile(90)))
		w.f64("p99_s", secs(k.Percentile(99)))
		w.close('}')
	} else {
		w.null("rtt_karn")
	}
	w.f64("zero_window_s", secs(s.ZeroWindow))
	var through, good float64
	if dur > 0 {
		through, good = float64(c.Bytes[d])/secs(dur), float64(s.UniqueBytes)/secs(dur)
	}
	w.f64("throughput_bps", through)
	w.f64("goodput_bps", good)
	w.i64("data_segments", s.DataSegs)
	w.i64("unique_bytes", s.UniqueBytes)
	w.i64("retransmitted_bytes", s.RexmtBytes)
	w.i64("retransmitted_segments", s.RexmtSegs)
	w.f64("retransmission_rate", s.RetransmissionRate())
	o := &s.Out
	for _, f := range [...]struct {
		name string
		n    uint32
	}{{"retransmissions", o.Retransmissions}, {"lost_before_capture", o.LostBeforeCapture},
		{"spurious_retransmissions", o.Spurious()}, {"spurious_acked", o.Unneeded},
		{"spurious_dsack", o.UnneededDSACK}, {"reordered_segments", o.Reordered},
		{"duplicate_segments", o.Duplicates}, {"ambiguous_segments", o.Ambiguous}, {"dsacks", o.DSACKs}} {
		w.u64(f.name, uint64(f.n))
	}
	appendLimit(w, c, d)
	dm := &c.Data.Damage[d]
	if allZero(dm.Options[:]) {
		w.fixed("malformed_options", names.noOptions)
	} else {
		w.object("malformed_options")
		for _, p := range names.options {
			w.u64(p.name, uint64(dm.Options[p.v]))
		}
		w.close('}')
	}
	w.object("checksums")
	for _, k := range [...]struct {
		name   string
		counts []uint32
	}{{"ip", dm.IPChecksum[:]}, {"tcp", dm.TCPChecksum[:]}} {
		w.object(k.name)
		for _, s := range names.checksums {
			w.u64(s.name, uint64(k.counts[s.v]))
		}
		w.close('}')
	}
	w.close('}')
	w.u64("impossible_seq_jumps", uint64(dm.SeqJumps))
	w.u64("impossible_ack_jumps", uint64(dm.AckJumps))
}

// appendLimit writes the limited_by member (jsonLimit).
func appendLimit(w *jsonWriter, c *state.Connection, d flow.Dir) {
	r := &c.Data.Rate[d]
	factor, text := limitWords(c, d)
	w.object("limited_by")
	w.str("factor", factor)
	w.str("text", text)
	w.i64("data_segments", r.DataSegs)
	w.f64("active_s", secs(r.LastData-r.FirstData))
	if r.DataSegs > 0 && r.PeakInFlight >= 0 {
		w.i64("peak_in_flight", r.PeakInFlight)
		w.i64("peer_window_at_peak", r.PeerWindow)
	} else {
		w.null("peak_in_flight")
		w.null("peer_window_at_peak")
	}
	w.i64("flights", r.Flights)
	w.i64("flights_at_window", r.FullFlights)
	w.i64("loss_events", r.LossEvents)
	w.i64("resent_segments", r.Resent)
	w.f64("idle_s", secs(r.Idle))
	w.close('}')
}

// appendVerdict writes the verdict and verdict_codes members, from one
// computation of the findings (verdict and VerdictCodes each make their
// own).
func appendVerdict(w *jsonWriter, c *state.Connection) {
	p := findings(c)
	if len(p) == 0 {
		f := cleanVerdict(c)
		w.str("verdict", f.text)
		w.array("verdict_codes")
		w.sep()
		w.b = appendString(w.b, f.code)
		w.close(']')
		return
	}
	w.key("verdict")
	w.b = append(w.b, '"')
	for i, f := range p {
		if i > 0 {
			w.b = append(w.b, ", "...)
		}
		w.b = appendStringBody(w.b, f.text)
	}
	w.b = append(w.b, '"')
	w.array("verdict_codes")
	for _, f := range p {
		w.sep()
		w.b = appendString(w.b, f.code)
	}
	w.close(']')
}

// appendStream writes the members of one direction's reassembled stream
// (jsonStream).
func appendStream(w *jsonWriter, f *stream.Facts) {
	w.i64("bytes", f.Bytes)
	w.i64("gap_bytes", f.GapBytes)
	w.i64("buffer_limit_bytes", f.LimitBytes)
	w.array("gaps")
	for _, g := range f.Gaps {
		w.elem()
		w.i64("offset", g.Offset)
		w.i64("size", g.Size)
		if g.Frame != 0 {
			w.u64("frame", g.Frame)
		}
		w.str("kind", g.Kind.String())
		w.close('}')
	}
	w.close(']')
	w.i64("retransmitted_bytes", f.Retransmitted)
	w.i64("differing_overlap_count", int64(f.OverlapCount))
	w.array("differing_overlaps")
	for _, o := range f.Overlaps {
		w.elem()
		w.i64("offset", o.Offset)
		w.i64("size", int64(o.Size))
		w.u64("frame", o.Frame)
		w.u64("first_seen_frame", o.FirstSeen)
		w.close('}')
	}
	w.close(']')
	w.key("sha256")
	w.b = append(w.b, '"')
	w.b = hex.AppendEncode(w.b, f.SHA256[:])
	w.b = append(w.b, '"')
	if f.Proto != "" {
		w.str("proto", f.Proto)
		if f.ProtoFrame != 0 {
			w.u64("proto_frame", f.ProtoFrame)
		}
	} else {
		w.null("proto")
	}
}

// appendIndented appends src, compact JSON this package wrote, indented as
// json.Indent(dst, src, prefix, " ") does, without its validation (src is
// known valid): a segment of the document is written compact by
// appendSegment, and json.Indent's scanner took as long as writing it.
func appendIndented(dst, src []byte, prefix string) []byte {
	depth := 0
	newline := func() { dst = appendNewline(dst, prefix, depth) }
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '"':
			j := i + 1
			for ; src[j] != '"'; j++ {
				if src[j] == '\\' {
					j++
				}
			}
			dst = append(dst, src[i:j+1]...)
			i = j
		case '{', '[':
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst = append(dst, c, src[i+1]) // empty: {} or []
				i++
				continue
			}
			dst = append(dst, c)
			depth++
			newline()
		case ',':
			dst = append(dst, c)
			newline()
		case ':':
			dst = append(dst, ':', ' ')
		case '}', ']':
			depth--
			newline()
			dst = append(dst, c)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
