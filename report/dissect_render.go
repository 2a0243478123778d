package report

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/tcpflow/tcpflow/capture"
)

// The renderings of a Dissection: text that fits 100 columns, and JSON with
// the same fields (docs/json-schema.md, "--dissect").

const (
	dissectWidth = 100
	dissectValue = 21 // the column values start at
)

// AppendDissectText appends the dissection as text: a line on the frame,
// each header with its fields (and, with explain, a line on what each is
// for), the payload, and a hex and ASCII dump with the header boundaries
// marked. base is the capture's first frame time, for the relative time.
func AppendDissectText(b []byte, d *Dissection, base int64, explain bool) []byte {
	head := "Frame " + strconv.FormatUint(d.Frame, 10) + ", " + utc(d.Time) + " (+" + seconds(d.Time-base) + " s): " +
		strconv.Itoa(d.Wire) + " bytes on the wire"
	if d.Captured != d.Wire {
		head += ", " + strconv.Itoa(d.Captured) + " captured (the snap length cut the rest)"
	} else {
		head += ", all captured"
	}
	b = appendWrapped(b, "", head, 2)
	var what string
	switch {
	case d.Conn >= 0:
		what = "connection " + strconv.Itoa(d.Conn) + ", sent by the " + d.Side
		if !d.Segment {
			what += " (listed with the connection, not analyzed as a segment)"
		}
	case !d.Segment && d.Reason != "":
		what = "not a TCP segment tcpflow analyzes (counted under " + d.Reason + ": " + reasonWords(d.Reason) + ")"
	default:
		what = "not a segment of a selected connection"
	}
	b = appendWrapped(b, "  ", what+"; link type "+d.Link, 4)
	for i := range d.Headers {
		b = appendHeaderText(b, &d.Headers[i], explain)
	}
	if d.headersCut {
		b = append(b, "(more headers than tcpflow lists; the rest are in the dump)\n"...)
	}
	if d.PayloadOff >= 0 {
		b = appendPayloadText(b, d)
	}
	b = appendHexDump(b, "Bytes of the frame", d.data, d.Headers, false, d)
	if d.datagram != nil {
		b = appendHexDump(b, "Bytes of the datagram rebuilt from fragments, after its IPv4 header", d.datagram, d.Headers, true, d)
	}
	return b
}

func reasonWords(r string) string {
	for _, x := range capture.Reasons() {
		if x.String() == r {
			return x.Text()
		}
	}
	return r
}

func appendHeaderText(b []byte, h *DHeader, explain bool) []byte {
	b = append(b, h.Title...)
	b = append(b, ", "...)
	b = appendRange(b, h.Off, h.Len)
	if h.InDatagram {
		b = append(b, " of the rebuilt datagram"...)
	}
	b = append(b, '\n')
	if h.Note != "" {
		b = appendWrapped(b, "  ", "("+h.Note+")", 2)
	}
	for i := range h.Fields {
		b = appendFieldText(b, &h.Fields[i], 1, explain)
	}
	return b
}

// appendRange writes "bytes 14-33 (20)".
func appendRange(b []byte, off, n int) []byte {
	switch n {
	case 0:
		b = append(b, "no bytes of its own, at byte "...)
		return strconv.AppendInt(b, int64(off), 10)
	case 1:
		b = append(b, "byte "...)
		return strconv.AppendInt(b, int64(off), 10)
	}
	b = append(b, "bytes "...)
	b = strconv.AppendInt(b, int64(off), 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(off+n-1), 10)
	b = append(b, " ("...)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, ')')
}

func appendFieldText(b []byte, f *DField, level int, explain bool) []byte {
	indent := strings.Repeat("  ", level)
	line := indent + f.Label
	if len(line) < dissectValue-1 {
		line += strings.Repeat(" ", dissectValue-1-len(line))
	}
	line += " "
	b = appendWrapped(b, line, f.Text, dissectValue)
	if f.Detail != "" {
		b = appendWrapped(b, strings.Repeat(" ", dissectValue), f.Detail, dissectValue)
	}
	if explain && f.Meaning != "" {
		b = appendWrapped(b, strings.Repeat(" ", dissectValue), "= "+f.Meaning, dissectValue+2)
	}
	for i := range f.Sub {
		if !f.Sub[i].JSONOnly {
			b = appendFieldText(b, &f.Sub[i], level+1, explain)
		}
	}
	return b
}

// appendWrapped writes first followed by text, wrapped at dissectWidth
// columns at spaces, continuation lines indented to col.
func appendWrapped(b []byte, first, text string, col int) []byte {
	if len(first)+len(text) <= dissectWidth {
		b = append(b, first...)
		b = append(b, strings.TrimRight(text, " ")...)
		if len(text) == 0 {
			b = b[:len(b)-len(first)]
			b = append(b, strings.TrimRight(first, " ")...)
		}
		return append(b, '\n')
	}
	line := first
	pad := strings.Repeat(" ", col)
	words := strings.Split(text, " ")
	start := true
	for _, w := range words {
		switch {
		case start:
			line += w
			start = false
		case len(line)+1+len(w) > dissectWidth:
			b = append(b, strings.TrimRight(line, " ")...)
			b = append(b, '\n')
			line = pad + w
		default:
			line += " " + w
		}
	}
	b = append(b, strings.TrimRight(line, " ")...)
	return append(b, '\n')
}

func appendPayloadText(b []byte, d *Dissection) []byte {
	b = append(b, "TCP payload, "...)
	b = appendRange(b, d.PayloadOff, d.PayloadLen)
	if d.PayloadInDgram {
		b = append(b, " of the rebuilt datagram"...)
	}
	b = append(b, '\n')
	if d.PayloadCaptured < d.PayloadLen {
		b = append(b, "  ("...)
		b = strconv.AppendInt(b, int64(max(d.PayloadCaptured, 0)), 10)
		b = append(b, " captured: the snap length cut the rest)\n"...)
	}
	src := d.data
	if d.PayloadInDgram {
		src = d.datagram
	}
	n := max(d.PayloadCaptured, 0)
	if d.PayloadOff+n <= len(src) && n > 0 {
		// As much as fits one line, escaped.
		p := src[d.PayloadOff : d.PayloadOff+n]
		var esc string
		for i := range p {
			e := escape(p[i : i+1])
			if len(esc)+len(e) > dissectWidth-9 {
				esc += "\" ..."
				break
			}
			esc += e
			if i == len(p)-1 {
				esc += "\""
			}
		}
		b = append(b, "  \""...)
		b = append(b, esc...)
		b = append(b, '\n')
	}
	return b
}

// appendHexDump writes data 16 bytes a line: offset, bytes in hex, the
// same as ASCII, and which headers start on the line; a "|" before a byte
// marks where a header starts.
func appendHexDump(b []byte, title string, data []byte, hs []DHeader, dgram bool, d *Dissection) []byte {
	b = append(b, title...)
	b = append(b, " (| marks where a header starts)\n"...)
	starts := map[int]string{}
	for _, h := range hs {
		if h.InDatagram == dgram && h.Len > 0 {
			if _, ok := starts[h.Off]; !ok {
				starts[h.Off] = shortKey(h.Key)
			}
		}
	}
	if d.PayloadOff >= 0 && d.PayloadInDgram == dgram {
		starts[d.PayloadOff] = "payload"
	}
	const digits = "0123456789abcdef"
	for off := 0; off < len(data); off += 16 {
		line := data[off:min(off+16, len(data))]
		row := make([]byte, 0, hexMarkCol)
		row = append(row, "  "...)
		o := strconv.FormatInt(int64(off), 16)
		row = append(row, strings.Repeat("0", max(4-len(o), 0))+o...)
		row = append(row, ' ')
		var marks []string
		for i := 0; i < 16; i++ {
			name, starts := starts[off+i]
			if starts && off+i < len(data) {
				row = append(row, '|')
				marks = append(marks, name+"@"+strconv.Itoa(off+i))
			} else {
				row = append(row, ' ')
			}
			if i < len(line) {
				row = append(row, digits[line[i]>>4], digits[line[i]&15])
			} else {
				row = append(row, "  "...)
			}
		}
		row = append(row, "  "...)
		for _, c := range line {
			if c >= 0x20 && c < 0x7f {
				row = append(row, c)
			} else {
				row = append(row, '.')
			}
		}
		if len(marks) == 0 {
			b = append(b, row...)
			b = append(b, '\n')
			continue
		}
		// Which headers start on the line, wrapped under each other when
		// they do not fit.
		row = append(row, strings.Repeat(" ", 16-len(line)+2)...)
		b = appendWrapped(b, string(row), strings.Join(marks, " "), hexMarkCol)
	}
	return b
}

// hexMarkCol is where the hex dump's header marks start.
const hexMarkCol = 2 + 4 + 16*3 + 2 + 16 + 2

// shortKey abbreviates a header's key for the hex dump's marks.
var shortKeys = map[string]string{"ethernet": "eth", "ipv6_hop_by_hop": "hbh", "ipv6_destination": "dstopt",
	"ipv6_routing": "rthdr", "ipv6_fragment": "frag6", "loopback": "loop", "payload": "data"}

func shortKey(k string) string {
	if s, ok := shortKeys[k]; ok {
		return s
	}
	if len(k) > 8 {
		return k[:8]
	}
	return k
}

// The JSON of a dissection.

type jsonDissection struct {
	Frame     uint64             `json:"frame"`
	Time      string             `json:"time"`
	TimeRel   float64            `json:"time_rel"`
	Captured  int                `json:"captured"`
	Wire      int                `json:"wire"`
	Link      string             `json:"link"`
	Conn      *int               `json:"conn"`
	Dir       *string            `json:"dir"`
	Segment   bool               `json:"segment"`
	Reason    *string            `json:"reason"`
	Checksums jsonFrameChecksums `json:"checksums"`
	Headers   []jsonDHeader      `json:"headers"`
	Payload   *jsonDPayload      `json:"payload"`
	Bytes     string             `json:"bytes"`
	Datagram  *string            `json:"datagram,omitempty"`
}

type jsonFrameChecksums struct {
	IP  string `json:"ip"`
	TCP string `json:"tcp"`
}

type jsonDHeader struct {
	Name       string       `json:"name"`
	Title      string       `json:"title"`
	Offset     int          `json:"offset"`
	Length     int          `json:"length"`
	InDatagram bool         `json:"in_datagram,omitempty"`
	Note       string       `json:"note,omitempty"`
	Fields     []jsonDField `json:"fields"`
}

type jsonDField struct {
	Name    string       `json:"name"`
	Label   string       `json:"label"`
	Value   any          `json:"value"`
	Text    string       `json:"text"`
	Detail  string       `json:"detail,omitempty"`
	Meaning string       `json:"meaning,omitempty"`
	Fields  []jsonDField `json:"fields,omitempty"`
}

type jsonDPayload struct {
	Offset     int  `json:"offset"`
	Length     int  `json:"length"`
	Captured   int  `json:"captured"`
	InDatagram bool `json:"in_datagram,omitempty"`
}

// AppendDissectJSON appends the dissection as one JSON object (no newline):
// the same fields as the text; "meaning" with explain.
func AppendDissectJSON(b []byte, d *Dissection, base int64, explain bool) ([]byte, error) {
	j := jsonDissection{Frame: d.Frame, Time: time.Unix(0, d.Time).UTC().Format("2006-01-02T15:04:05.000000000Z"),
		TimeRel: secs(d.Time - base), Captured: d.Captured, Wire: d.Wire, Link: d.Link, Segment: d.Segment,
		Checksums: jsonFrameChecksums{d.IPSum.Status.String(), d.TCPSum.Status.String()}, Bytes: hexString(d.data)}
	if d.Conn >= 0 {
		c, dir := d.Conn, d.Dir
		j.Conn, j.Dir = &c, &dir
	}
	if d.Reason != "" {
		r := d.Reason
		j.Reason = &r
	}
	if d.datagram != nil {
		s := hexString(d.datagram)
		j.Datagram = &s
	}
	for _, h := range d.Headers {
		jh := jsonDHeader{Name: h.Key, Title: h.Title, Offset: h.Off, Length: h.Len, InDatagram: h.InDatagram, Note: h.Note, Fields: []jsonDField{}}
		for i := range h.Fields {
			jh.Fields = append(jh.Fields, fieldJSON(&h.Fields[i], explain))
		}
		j.Headers = append(j.Headers, jh)
	}
	if j.Headers == nil {
		j.Headers = []jsonDHeader{}
	}
	if d.PayloadOff >= 0 {
		j.Payload = &jsonDPayload{d.PayloadOff, d.PayloadLen, max(d.PayloadCaptured, 0), d.PayloadInDgram}
	}
	out, err := json.Marshal(j)
	return append(b, out...), err
}

func fieldJSON(f *DField, explain bool) jsonDField {
	j := jsonDField{Name: f.Key, Label: f.Label, Value: f.Value, Text: f.Text, Detail: f.Detail}
	if explain {
		j.Meaning = f.Meaning
	}
	for i := range f.Sub {
		j.Fields = append(j.Fields, fieldJSON(&f.Sub[i], explain))
	}
	return j
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	s := make([]byte, 0, 2*len(b))
	for _, c := range b {
		s = append(s, digits[c>>4], digits[c&15])
	}
	return string(s)
}
