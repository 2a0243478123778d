package report

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/state"
)

// Options choose what the reports show.
type Options struct {
	Absolute bool // show absolute sequence and acknowledgment numbers
	Summary  bool // text: connection table and per-connection facts, no timelines
	// ExplainLimit is how many segments a connection may have for --explain
	// to tell each one (0: DefaultExplainLimit); longer ones are told in
	// part.
	ExplainLimit int
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

// synOptionsText lists the options of a SYN as tcpdump names them: mss,
// sackOK, TS, wscale.
func synOptionsText(o *capture.Options) []string {
	var parts []string
	if o.MSS >= 0 {
		parts = append(parts, "mss "+strconv.Itoa(int(o.MSS)))
	}
	if o.SACKPermitted {
		parts = append(parts, "sackOK")
	}
	if o.HasTS {
		parts = append(parts, fmt.Sprintf("TS val %d ecr %d", o.TSVal, o.TSEcr))
	}
	if o.WScale >= 0 {
		parts = append(parts, "wscale "+strconv.Itoa(int(o.WScale)))
	}
	return parts
}

// optionsText lists a segment's options the way tcpdump does.
func optionsText(o *capture.Options) string {
	parts := synOptionsText(o)
	if o.NSACK > 0 {
		var b []string
		for _, s := range o.SACKBlocks() {
			b = append(b, fmt.Sprintf("%d-%d", s.Left, s.Right))
		}
		parts = append(parts, "sack "+strings.Join(b, ","))
	}
	for _, k := range o.UnknownKinds() {
		parts = append(parts, "opt-"+strconv.Itoa(int(k)))
	}
	return strings.Join(parts, ",")
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
		s += " by " + c.Data.Closer.Side()
	}
	if c.Data.EndedBy == state.Open && c.Data.CloseSeen {
		s = "half-closed by " + c.Data.Closer.Side()
	}
	if c.MidStream {
		s += " (mid-stream)"
	}
	return s
}

// winText shows a window raw and scaled: "513*128=65664", "65535", or
// "513 (scale unknown)".
func winText(r *state.Record, shift int) string {
	raw := strconv.Itoa(int(r.Win))
	switch {
	case r.WinScaled < 0:
		return raw + " (scale unknown)"
	case r.Flags&capture.SYN != 0 || shift <= 0:
		return raw
	}
	s := raw + "*" + strconv.Itoa(1<<shift) + "=" + strconv.FormatInt(r.WinScaled, 10)
	if r.ScaleAssumed {
		s += " (scale assumed)"
	}
	return s
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
