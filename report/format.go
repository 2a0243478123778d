package report

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
)

// Options choose what the reports show.
type Options struct {
	Absolute bool // show absolute sequence and acknowledgment numbers
	Summary  bool // text: connection table and per-connection facts, no timelines
	// Width is the number of columns text reports fit in (the connection
	// table keeps the columns that fit, long lines wrap); 0 for no limit:
	// one table row per connection with every column, lines as long as
	// they need.
	Width int
	// ExplainLimit is how many segments a connection may have for --explain
	// to tell each one (0: DefaultExplainLimit); longer ones are told in
	// part.
	ExplainLimit int
	// Triage chooses and orders the connections the text and JSON reports
	// show (--problems, --sort, --top).
	Triage Triage
}

// utc formats a capture time as an ISO 8601 UTC timestamp with microseconds.
func utc(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02 15:04:05.000000") + " UTC"
}

// seconds formats a duration in ns as seconds with microsecond precision.
func seconds(ns int64) string { return strconv.FormatFloat(float64(ns)/1e9, 'f', 6, 64) }

// appendDuration appends duration(ns) without building a string.
func appendDuration(b []byte, ns int64) []byte {
	switch d := float64(ns); {
	case ns < 0:
		return append(b, '-')
	case ns < 1e6:
		return append(strconv.AppendFloat(b, d/1e3, 'f', 1, 64), " µs"...)
	case ns < 1e9:
		return append(strconv.AppendFloat(b, d/1e6, 'f', 3, 64), " ms"...)
	}
	return append(strconv.AppendFloat(b, float64(ns)/1e9, 'f', 3, 64), " s"...)
}

// duration formats ns in the most readable unit.
func duration(ns int64) string {
	var b [32]byte
	return string(appendDuration(b[:0], ns))
}

func endpoint(ap interface{ String() string }) string { return ap.String() }

// optionsText lists a segment's options the way tcpdump does.
func optionsText(o *capture.Options) string { return string(appendOptionsText(nil, o)) }

// hasOptions reports whether optionsText says anything.
func hasOptions(o *capture.Options) bool {
	return o.MSS >= 0 || o.SACKPermitted || o.HasTS || o.WScale >= 0 || o.NSACK > 0 || o.NUnknown > 0
}

// appendOptionsText appends optionsText(o).
func appendOptionsText(b []byte, o *capture.Options) []byte {
	start := len(b)
	sep := func() {
		if len(b) > start {
			b = append(b, ',')
		}
	}
	if o.MSS >= 0 {
		b = append(b, "mss "...)
		b = strconv.AppendInt(b, int64(o.MSS), 10)
	}
	if o.SACKPermitted {
		sep()
		b = append(b, "sackOK"...)
	}
	if o.HasTS {
		sep()
		b = append(b, "TS val "...)
		b = strconv.AppendUint(b, uint64(o.TSVal), 10)
		b = append(b, " ecr "...)
		b = strconv.AppendUint(b, uint64(o.TSEcr), 10)
	}
	if o.WScale >= 0 {
		sep()
		b = append(b, "wscale "...)
		b = strconv.AppendInt(b, int64(o.WScale), 10)
	}
	if o.NSACK > 0 {
		sep()
		b = append(b, "sack "...)
		for i, blk := range o.SACKBlocks() {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendUint(b, uint64(blk.Left), 10)
			b = append(b, '-')
			b = strconv.AppendUint(b, uint64(blk.Right), 10)
		}
	}
	for _, k := range o.UnknownKinds() {
		sep()
		b = append(b, "opt-"...)
		b = strconv.AppendInt(b, int64(k), 10)
	}
	return b
}

// synOptionsText lists the options of a SYN as tcpdump names them: mss,
// sackOK, TS, wscale (those a SYN negotiates; SACK blocks and unknown kinds
// left out).
func synOptionsText(o *capture.Options) []string {
	syn := *o
	syn.NSACK, syn.NUnknown = 0, 0
	if !hasOptions(&syn) {
		return nil
	}
	return strings.Split(string(appendOptionsText(nil, &syn)), ",")
}

// endedBy is the side that ended a connection: the sender of the RST that
// ended it, or of the first FIN.
func endedBy(a *state.Conn) flow.Dir {
	if a.EndedBy == state.Rst || a.EndedBy == state.Refused {
		return a.ResetBy
	}
	return a.Closer
}

// endText says how a connection ended, for the summary table.
func endText(c *state.Connection) string {
	s := c.Data.EndedBy.String()
	switch c.Data.EndedBy {
	case state.Fin:
		s = "FIN"
	case state.Rst:
		s = "RST"
	}
	if c.Data.CloseSeen && c.Data.EndedBy != state.Open {
		s += " by " + endedBy(c.Data).Side()
	}
	if c.Data.EndedBy == state.Open && c.Data.CloseSeen {
		s = "half-closed by " + c.Data.Closer.Side()
	}
	if c.MidStream {
		s += " (mid-stream)"
	}
	if c.Evicted {
		s += ", evicted"
	}
	return s
}

// winText shows a window raw and scaled: "513*128=65664", "65535", or
// "513 (scale unknown)"; compact, only the scaled value: "65664".
func winText(r *state.Record, shift int, compact bool) string {
	return string(appendWinText(nil, r, shift, compact))
}

// appendWinText appends winText(r, shift, compact).
func appendWinText(b []byte, r *state.Record, shift int, compact bool) []byte {
	raw := len(b)
	b = strconv.AppendUint(b, uint64(r.Win), 10)
	switch {
	case r.WinScaled < 0:
		return append(b, " (scale unknown)"...)
	case r.Flags&capture.SYN != 0 || shift <= 0:
		return b
	}
	if compact {
		b = strconv.AppendInt(b[:raw], r.WinScaled, 10)
	} else {
		b = append(b, '*')
		b = strconv.AppendInt(b, 1<<shift, 10)
		b = append(b, '=')
		b = strconv.AppendInt(b, r.WinScaled, 10)
	}
	if r.ScaleAssumed {
		b = append(b, " (scale assumed)"...)
	}
	return b
}

// escape makes payload or other untrusted bytes safe for a terminal: printable
// ASCII stays, everything else becomes a Go-style escape.
func escape(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		switch {
		case c == '\\':
			sb.WriteString(`\\`)
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\r':
			sb.WriteString(`\r`)
		case c == '\t':
			sb.WriteString(`\t`)
		case c >= 0x20 && c < 0x7f:
			sb.WriteByte(c)
		default:
			fmt.Fprintf(&sb, `\x%02x`, c)
		}
	}
	return sb.String()
}

// Escape makes a name from the user or a capture (a file name, an interface,
// a comment) safe for a terminal, as payload bytes are: printable ASCII
// stays, everything else becomes a Go-style escape.
func Escape(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '\\' {
			return escape([]byte(s))
		}
	}
	return s
}

// icmpText names an ICMP error in words (RFC 792, RFC 4443).
func icmpText(e state.ICMPError) string {
	if e.V6 {
		switch e.Type {
		case 1:
			return "destination unreachable (code " + strconv.Itoa(int(e.Code)) + ")"
		case 2:
			return "packet too big"
		case 3:
			return "time exceeded"
		case 4:
			return "parameter problem"
		}
		return "ICMPv6 type " + strconv.Itoa(int(e.Type))
	}
	switch e.Type {
	case 3:
		switch e.Code {
		case 1:
			return "host unreachable"
		case 3:
			return "port unreachable"
		case 4:
			return "fragmentation needed (path MTU discovery)"
		case 13:
			return "communication administratively prohibited"
		}
		return "destination unreachable (code " + strconv.Itoa(int(e.Code)) + ")"
	case 4:
		return "source quench"
	case 5:
		return "redirect"
	case 11:
		return "time exceeded"
	case 12:
		return "parameter problem"
	}
	return "ICMP type " + strconv.Itoa(int(e.Type))
}

// writeDuration writes duration(ns) to w.
func writeDuration(w *bufio.Writer, ns int64) {
	var b [32]byte
	w.Write(appendDuration(b[:0], ns))
}

// ackFields are a segment's acknowledgment number, relative and absolute.
// Without the ACK flag the field is not an acknowledgment: both are the raw
// field, as Wireshark shows tcp.ack then (usually 0; anything else is
// flagged ack_nonzero).
func ackFields(r *state.Record) (rel, abs uint32) {
	if r.Flags&capture.ACK == 0 {
		return r.Ack, r.Ack
	}
	return r.RelAck, r.Ack
}
