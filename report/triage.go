package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
)

// Triage chooses and orders the connections a report shows in detail
// (--problems, --sort, --top): the zero value shows every connection in id
// order. Connections keep their ids; the expert summary counts them all.
type Triage struct {
	Problems bool      // only connections whose verdict is not clean (Problem)
	Sort     SortField // the order, the largest first ("": by id)
	Top      int       // at most this many connections (0: all)
	// Since and Until: only connections active in this window (window.go).
	Since, Until Bound
}

// Active reports whether the triage hides or reorders anything.
func (t Triage) Active() bool {
	return t.Problems || t.Sort != "" || t.Top > 0 || t.Since.Set || t.Until.Set
}

// String says the triage as its flags: "--problems --sort duration --top 10".
func (t Triage) String() string {
	var p []string
	if t.Problems {
		p = append(p, "--problems")
	}
	if t.Sort != "" {
		p = append(p, "--sort "+string(t.Sort))
	}
	if t.Top > 0 {
		p = append(p, "--top "+strconv.Itoa(t.Top))
	}
	if t.Since.Set {
		p = append(p, "--since "+t.Since.Text)
	}
	if t.Until.Set {
		p = append(p, "--until "+t.Until.Text)
	}
	return strings.Join(p, " ")
}

// SortField is what --sort orders connections by.
type SortField string

// The fields --sort knows.
const (
	SortDuration   SortField = "duration"            // last segment minus first
	SortConnect    SortField = "connect-time"        // the handshake with its retries (Conn.ConnectTime)
	SortBytes      SortField = "bytes"               // payload both ways, retransmissions included
	SortRexmt      SortField = "retransmissions"     // retransmissions both ways, as the verdict counts them (outseq.go)
	SortRexmtBytes SortField = "retransmitted-bytes" // retransmitted payload both ways
	SortRexmtRate  SortField = "retransmission-rate" // retransmitted / (unique + retransmitted) payload, both ways
	SortStall      SortField = "stall"               // time stalled, the client's application left out (StallTime)
)

// SortFields lists the fields --sort takes, for its help and errors.
var SortFields = []SortField{SortDuration, SortConnect, SortBytes, SortRexmt, SortRexmtBytes, SortRexmtRate, SortStall}

// ParseSortField checks a --sort value.
func ParseSortField(s string) (SortField, error) {
	for _, f := range SortFields {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, len(SortFields))
	for i, f := range SortFields {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown --sort %q (want %s)", s, strings.Join(names, ", "))
}

// SortKey is connection c's key for field f: reports order connections by
// it, the largest first, ties in id order.
func SortKey(c *state.Connection, f SortField) float64 {
	a := c.Data
	cs, sc := &a.Dir[flow.C2S], &a.Dir[flow.S2C]
	switch f {
	case SortDuration:
		return float64(c.LastTime - c.FirstTime)
	case SortConnect:
		return float64(max(a.ConnectTime, 0))
	case SortBytes:
		return float64(c.Bytes[flow.C2S] + c.Bytes[flow.S2C])
	case SortRexmt:
		// As the verdict counts them (outseq.go), not Wireshark's.
		return float64(cs.Out.Retransmissions + sc.Out.Retransmissions)
	case SortRexmtBytes:
		return float64(cs.RexmtBytes + sc.RexmtBytes)
	case SortStall:
		return float64(StallTime(c))
	case SortRexmtRate:
		if t := cs.UniqueBytes + sc.UniqueBytes + cs.RexmtBytes + sc.RexmtBytes; t > 0 {
			return float64(cs.RexmtBytes+sc.RexmtBytes) / float64(t)
		}
	}
	return 0
}

// Admit says whether the triage shows connection c, and its sort key;
// base is the capture's first frame's time, which relative window bounds
// count from.
func (t Triage) Admit(c *state.Connection, base int64) (key float64, ok bool) {
	if !t.inWindow(c, base) || t.Problems && !Problem(c) {
		return 0, false
	}
	return SortKey(c, t.Sort), true
}

// Shown says how many connections a triaged report shows, as its header's
// line: "showing 3 of 120 connections: --problems --sort duration --top 3
// (ids kept)".
func (t Triage) Shown(shown, all int) string {
	return fmt.Sprintf("showing %d of %s: %s (ids kept)", shown, plural(int64(all), "connection", "connections"), t)
}
