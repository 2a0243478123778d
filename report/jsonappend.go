package report

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/state"
)

// The segment lines of --format jsonl are the bulk of its output (one per
// segment of the capture), so they are encoded by appending to a reused
// buffer instead of through encoding/json's reflection. The bytes are exactly
// those encoding/json writes for the jsonSeg of the JSON report behind "type" and "conn" (same field order, omissions,
// number formats and string escaping): TestSegmentAppendMatchesEncodingJSON
// checks it on every golden capture.

// appendSegmentLine appends one "segment" JSONL line, newline included.
func appendSegmentLine(b []byte, c *state.Connection, base int64, r *state.Record, trans []state.Transition) []byte {
	b = append(b, `{"type":"segment","conn":`...)
	b = strconv.AppendInt(b, int64(c.ID), 10)
	if c.Part > 0 {
		b = append(b, `,"part":`...)
		b = strconv.AppendInt(b, int64(c.Part), 10)
	}
	b = append(b, ',')
	b = appendSegment(b, base, r, trans)
	return append(b, '\n')
}

// appendSegment appends the fields of one segment object (jsonSeg), without
// the opening brace, closing brace included.
func appendSegment(b []byte, base int64, r *state.Record, trans []state.Transition) []byte {
	b = append(b, `"frame":`...)
	b = strconv.AppendUint(b, r.Frame, 10)
	b = append(b, `,"time":`...)
	b = appendFloat(b, secs(r.Time-base))
	b = append(b, `,"dir":`...)
	b = appendString(b, r.Dir.String())
	b = append(b, `,"flags":`...)
	b = appendString(b, r.Flags.String())
	ack, ackAbs := ackFields(r)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, uint64(r.RelSeq), 10)
	b = append(b, `,"ack":`...)
	b = strconv.AppendUint(b, uint64(ack), 10)
	b = append(b, `,"seq_abs":`...)
	b = strconv.AppendUint(b, uint64(r.Seq), 10)
	b = append(b, `,"ack_abs":`...)
	b = strconv.AppendUint(b, uint64(ackAbs), 10)
	b = append(b, `,"len":`...)
	b = strconv.AppendInt(b, int64(r.Len), 10)
	b = append(b, `,"win_raw":`...)
	b = strconv.AppendUint(b, uint64(r.Win), 10)
	b = append(b, `,"win":`...)
	if r.WinScaled >= 0 {
		b = strconv.AppendInt(b, r.WinScaled, 10)
		if r.ScaleAssumed {
			b = append(b, `,"win_scale_assumed":true`...)
		}
	} else {
		b = append(b, "null"...)
	}
	b = appendOptions(b, &r.Opts)
	b = append(b, `,"analysis":[`...)
	first := true
	for i := 0; i < state.NumAnalysis; i++ {
		if a := state.Analysis(1) << i; r.Analysis&a != 0 {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendString(b, a.Name())
		}
	}
	b = append(b, ']')
	if r.DupAckNum != 0 {
		b = append(b, `,"dup_ack_num":`...)
		b = strconv.AppendUint(b, uint64(r.DupAckNum), 10)
	}
	if r.DupAckOf != 0 {
		b = append(b, `,"dup_ack_frame":`...)
		b = strconv.AppendUint(b, r.DupAckOf, 10)
	}
	if r.HasAckRTT() {
		b = append(b, `,"ack_rtt_s":`...)
		b = appendFloat(b, secs(r.AckRTT))
	}
	if r.AckOf != 0 {
		b = append(b, `,"ack_frame":`...)
		b = strconv.AppendUint(b, r.AckOf, 10)
	}
	if r.InFlight >= 0 {
		b = append(b, `,"bytes_in_flight":`...)
		b = strconv.AppendInt(b, r.InFlight, 10)
	}
	if r.Truncated {
		b = append(b, `,"truncated":true`...)
	}
	if segChecksumShown(r) {
		b = append(b, `,"checksums":{"ip":`...)
		b = appendString(b, r.IPChecksum.String())
		b = append(b, `,"tcp":`...)
		b = appendString(b, r.TCPChecksum.String())
		b = append(b, '}')
	}
	if r.SeqJump != 0 {
		b = append(b, `,"seq_jump":`...)
		b = strconv.AppendUint(b, uint64(r.SeqJump), 10)
	}
	if r.AckJump != 0 {
		b = append(b, `,"ack_jump":`...)
		b = strconv.AppendUint(b, uint64(r.AckJump), 10)
	}
	if r.Artifacts != 0 {
		b = append(b, `,"artifacts":[`...)
		first := true
		for _, a := range state.AllArtifacts() {
			if r.Artifacts&a != 0 {
				if !first {
					b = append(b, ',')
				}
				first = false
				b = appendString(b, a.Name())
			}
		}
		b = append(b, ']')
	}
	if d := r.DupOf(); d != 0 {
		b = append(b, `,"duplicate_of":`...)
		b = strconv.AppendUint(b, d, 10)
	}
	b = append(b, `,"transitions":[`...)
	for i, t := range trans {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"endpoint":`...)
		b = appendString(b, t.Endpoint.Side())
		b = append(b, `,"from":`...)
		b = appendString(b, t.From.String())
		b = append(b, `,"to":`...)
		b = appendString(b, t.To.String())
		b = append(b, `,"why":`...)
		b = appendString(b, t.Why)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// appendOptions mirrors jsonOptions (absent when the segment has none).
func appendOptions(b []byte, o *capture.Options) []byte {
	if o.MSS < 0 && o.WScale < 0 && !o.SACKPermitted && !o.HasTS && o.NSACK == 0 && o.NUnknown == 0 && o.Bad == 0 {
		return b
	}
	b = append(b, `,"options":{`...)
	n := len(b)
	sep := func() {
		if len(b) > n {
			b = append(b, ',')
		}
	}
	if o.MSS >= 0 {
		sep()
		b = append(b, `"mss":`...)
		b = strconv.AppendInt(b, int64(o.MSS), 10)
	}
	if o.WScale >= 0 {
		sep()
		b = append(b, `"wscale":`...)
		b = strconv.AppendInt(b, int64(o.WScale), 10)
	}
	if o.SACKPermitted {
		sep()
		b = append(b, `"sack_permitted":true`...)
	}
	if o.HasTS {
		sep()
		b = append(b, `"ts_val":`...)
		b = strconv.AppendUint(b, uint64(o.TSVal), 10)
		b = append(b, `,"ts_ecr":`...)
		b = strconv.AppendUint(b, uint64(o.TSEcr), 10)
	}
	if o.NSACK > 0 {
		sep()
		b = append(b, `"sack":[`...)
		for i, blk := range o.SACKBlocks() {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = strconv.AppendUint(b, uint64(blk.Left), 10)
			b = append(b, ',')
			b = strconv.AppendUint(b, uint64(blk.Right), 10)
			b = append(b, ']')
		}
		b = append(b, ']')
	}
	if o.NUnknown > 0 {
		sep()
		b = append(b, `"unknown_kinds":[`...)
		for i, k := range o.UnknownKinds() {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(k), 10)
		}
		b = append(b, ']')
	}
	if o.Bad != 0 {
		sep()
		b = append(b, `"malformed":[`...)
		first := true
		for _, p := range capture.OptionProblems() {
			if !o.Has(p) {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			bo := o.BadOpt[p]
			b = append(b, `{"problem":`...)
			b = appendString(b, p.String())
			b = append(b, `,"kind":`...)
			b = strconv.AppendUint(b, uint64(bo.Kind), 10)
			b = append(b, `,"len":`...)
			b = strconv.AppendUint(b, uint64(bo.Len), 10)
			b = append(b, `,"room":`...)
			b = strconv.AppendUint(b, uint64(bo.Room), 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// segChecksumShown says whether a segment's checksums are worth a field:
// unless the TCP checksum is right and the IP one right or absent.
func segChecksumShown(r *state.Record) bool {
	return r.TCPChecksum != capture.ChecksumGood ||
		(r.IPChecksum != capture.ChecksumGood && r.IPChecksum != capture.ChecksumNone)
}

// appendFloat formats a float64 as encoding/json does: the shortest
// representation, in exponent form below 1e-6 and from 1e21 on.
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// encoding/json writes e-07 as e-7.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendString quotes s as encoding/json does with HTML escaping on (its
// default): control characters, quotes, backslashes, <, > and &, U+2028 and
// U+2029, and invalid UTF-8 as U+FFFD.
func appendString(b []byte, s string) []byte {
	return append(appendStringBody(append(b, '"'), s), '"')
}

// appendStringBody is appendString without the quotes.
func appendStringBody(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}
