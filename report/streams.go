package report

import (
	"encoding/hex"
	"encoding/json"
	"strconv"

	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
	"github.com/tcpflow/tcpflow/stream"
)

// StreamFileName is the file --write-streams writes direction d of
// connection c to: the id zero-padded to 8 digits, so names sort by
// connection, then c2s (bytes the client sent) or s2c; a continuation's part
// follows the id ("00000012.2-c2s.bin").
func StreamFileName(c *state.Connection, d flow.Dir) string {
	return string(AppendStreamFileName(nil, c.ID, c.Part, d))
}

// AppendStreamFileName appends the name StreamFileName gives part part of
// connection id (a run of millions of files names each twice).
func AppendStreamFileName(b []byte, id, part int, d flow.Dir) []byte {
	var digits [20]byte
	n := strconv.AppendInt(digits[:0], int64(id), 10)
	for range 8 - len(n) {
		b = append(b, '0')
	}
	b = append(b, n...)
	if part > 0 {
		b = append(b, '.')
		b = strconv.AppendInt(b, int64(part+1), 10)
	}
	b = append(b, '-')
	b = append(b, d.String()...)
	return append(b, ".bin"...)
}

// ManifestName is the manifest --write-streams writes next to the streams.
const ManifestName = "streams.json"

type manifestEntry struct {
	File     *string       `json:"file"` // null when no byte was delivered
	Conn     int           `json:"conn"`
	Part     int           `json:"part,omitempty"`
	Dir      string        `json:"dir"`
	From     string        `json:"from"`
	To       string        `json:"to"`
	Bytes    int64         `json:"bytes"`
	SHA256   string        `json:"sha256"`
	GapBytes int64         `json:"gap_bytes"`
	Limit    int64         `json:"buffer_limit_bytes"`
	Gaps     []jsonGap     `json:"gaps"`
	Overlaps []jsonOverlap `json:"differing_overlaps"`
	Proto    string        `json:"proto,omitempty"`
}

// The manifest is {"streams": [entry, ...]}, indented as json.Encoder with
// SetIndent("", " ") writes it, in pieces: ManifestStart, each entry behind
// JSONConnSep, then JSONEnd... with the manifest's own closing.

// ManifestStart opens the manifest.
const ManifestStart = "{\n \"streams\": ["

// ManifestEnd closes the manifest after n entries.
func ManifestEnd(n int) string {
	if n == 0 {
		return "]\n}\n"
	}
	return "\n ]\n}\n"
}

// AppendManifestEntry appends the manifest entry of direction d of c, at its
// depth in the manifest; written says whether its file exists (a direction
// that delivered no byte has none).
func AppendManifestEntry(b []byte, c *state.Connection, d flow.Dir, written bool) ([]byte, error) {
	f := &c.Data.Streams.Facts[d]
	e := manifestEntry{Conn: c.ID, Part: c.Part, Dir: d.String(), From: c.Endpoint(d).String(), To: c.Endpoint(d.Reverse()).String(),
		Bytes: f.Bytes, SHA256: hex.EncodeToString(f.SHA256[:]), GapBytes: f.GapBytes, Limit: f.LimitBytes,
		Gaps: gapsJSON(f), Overlaps: overlapsJSON(f), Proto: f.Proto}
	if written {
		name := StreamFileName(c, d)
		e.File = &name
	}
	if len(e.Gaps) == 0 && len(e.Overlaps) == 0 {
		return e.appendFlat(b), nil
	}
	j, err := json.MarshalIndent(e, connIndent, " ")
	return append(b, j...), err
}

// appendFlat appends an entry without gaps and overlaps exactly as
// json.MarshalIndent(e, connIndent, " ") does, without reflection: a flood
// of millions of connections writes millions of these
// (TestManifestEntryFlat compares the two).
func (e *manifestEntry) appendFlat(b []byte) []byte {
	const field = "\n" + connIndent + " \""
	b = append(b, "{"+field+"file\": "...)
	if e.File == nil {
		b = append(b, "null"...)
	} else {
		b = appendString(b, *e.File)
	}
	b = append(b, ","+field+"conn\": "...)
	b = strconv.AppendInt(b, int64(e.Conn), 10)
	if e.Part != 0 {
		b = append(b, ","+field+"part\": "...)
		b = strconv.AppendInt(b, int64(e.Part), 10)
	}
	for _, kv := range [...]struct{ k, v string }{{"dir", e.Dir}, {"from", e.From}, {"to", e.To}} {
		b = append(b, ","+field...)
		b = append(b, kv.k...)
		b = append(b, "\": "...)
		b = appendString(b, kv.v)
	}
	b = append(b, ","+field+"bytes\": "...)
	b = strconv.AppendInt(b, e.Bytes, 10)
	b = append(b, ","+field+"sha256\": "...)
	b = appendString(b, e.SHA256)
	b = append(b, ","+field+"gap_bytes\": "...)
	b = strconv.AppendInt(b, e.GapBytes, 10)
	b = append(b, ","+field+"buffer_limit_bytes\": "...)
	b = strconv.AppendInt(b, e.Limit, 10)
	b = append(b, ","+field+"gaps\": [],"+field+"differing_overlaps\": []"...)
	if e.Proto != "" {
		b = append(b, ","+field+"proto\": "...)
		b = appendString(b, e.Proto)
	}
	return append(b, "\n"+connIndent+"}"...)
}

type jsonGap struct {
	Offset int64  `json:"offset"`
	Size   int64  `json:"size"`
	Frame  uint64 `json:"frame,omitempty"`
	Kind   string `json:"kind"` // stream.GapKind: not_captured or buffer_limit
}

type jsonOverlap struct {
	Offset    int64  `json:"offset"`
	Size      int    `json:"size"`
	Frame     uint64 `json:"frame"`
	FirstSeen uint64 `json:"first_seen_frame"`
}

func gapsJSON(f *stream.Facts) []jsonGap {
	out := []jsonGap{}
	for _, g := range f.Gaps {
		out = append(out, jsonGap{g.Offset, g.Size, g.Frame, g.Kind.String()})
	}
	return out
}

func overlapsJSON(f *stream.Facts) []jsonOverlap {
	out := []jsonOverlap{}
	for _, o := range f.Overlaps {
		out = append(out, jsonOverlap{o.Offset, o.Size, o.Frame, o.FirstSeen})
	}
	return out
}

// streamSummary says what the reassembly found in one direction.
func streamSummary(f *stream.Facts) string {
	return string(appendStreamSummary(make([]byte, 0, 160), f))
}

// appendStreamSummary appends streamSummary's text (every connection's
// story has two: appended, not joined from parts).
func appendStreamSummary(b []byte, f *stream.Facts) []byte {
	b = appendPlural(b, f.Bytes, "byte", "bytes")
	b = append(b, " delivered"...)
	var gaps, limits int64
	for _, g := range f.Gaps {
		if g.Kind == stream.BufferLimit {
			limits++
		} else {
			gaps++
		}
	}
	switch {
	case f.GapBytes > 0:
		b = appendPlural(append(b, "; "...), f.GapBytes, "byte", "bytes")
		b = appendPlural(append(b, " missing in "...), gaps, "gap", "gaps")
	case f.LimitBytes == 0:
		b = append(b, "; no gaps"...)
	}
	if f.LimitBytes > 0 {
		// Not a capture loss: the reassembly gave up waiting for them.
		b = appendPlural(append(b, "; "...), f.LimitBytes, "byte", "bytes")
		b = appendPlural(append(b, " not reassembled ("...), limits, "gap", "gaps")
		b = append(b, "): buffer limit reached"...)
	}
	if f.OverlapCount > 0 {
		o := &f.Overlaps[0]
		b = appendPlural(append(b, "; "...), int64(f.OverlapCount), "retransmission", "retransmissions")
		b = strconv.AppendUint(append(b, " with bytes DIFFERENT from those delivered (first: frame "...), o.Frame, 10)
		b = strconv.AppendUint(append(b, " vs frame "...), o.FirstSeen, 10)
		b = strconv.AppendInt(append(b, " at offset "...), o.Offset, 10)
		b = append(b, ')')
	}
	if f.Retransmitted > 0 {
		b = appendPlural(append(b, "; "...), f.Retransmitted, "byte", "bytes")
		b = append(b, " retransmitted"...)
	}
	b = hex.AppendEncode(append(b, "; sha256 "...), f.SHA256[:])
	if f.Proto != "" {
		b = append(append(b, "; "...), escape([]byte(f.Proto))...)
	}
	return b
}

// appendPlural appends plural(n, one, many).
func appendPlural(b []byte, n int64, one, many string) []byte {
	b = strconv.AppendInt(b, n, 10)
	b = append(b, ' ')
	if n == 1 {
		return append(b, one...)
	}
	return append(b, many...)
}
