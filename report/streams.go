package report

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

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
	parts := []string{plural(f.Bytes, "byte", "bytes") + " delivered"}
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
		parts = append(parts, fmt.Sprintf("%s missing in %s", plural(f.GapBytes, "byte", "bytes"), plural(gaps, "gap", "gaps")))
	case f.LimitBytes == 0:
		parts = append(parts, "no gaps")
	}
	if f.LimitBytes > 0 {
		// Not a capture loss: the reassembly gave up waiting for them.
		parts = append(parts, fmt.Sprintf("%s not reassembled (%s): buffer limit reached", plural(f.LimitBytes, "byte", "bytes"),
			plural(limits, "gap", "gaps")))
	}
	if f.OverlapCount > 0 {
		parts = append(parts, fmt.Sprintf("%s with bytes DIFFERENT from those delivered (first: frame %d vs frame %d at offset %d)",
			plural(int64(f.OverlapCount), "retransmission", "retransmissions"), f.Overlaps[0].Frame, f.Overlaps[0].FirstSeen, f.Overlaps[0].Offset))
	}
	if f.Retransmitted > 0 {
		parts = append(parts, plural(f.Retransmitted, "byte", "bytes")+" retransmitted")
	}
	parts = append(parts, "sha256 "+hex.EncodeToString(f.SHA256[:]))
	if f.Proto != "" {
		parts = append(parts, escape([]byte(f.Proto)))
	}
	return strings.Join(parts, "; ")
}
