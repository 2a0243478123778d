package report

import (
	"bufio"
	"io"
	"strconv"
	"strings"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/state"
)

// A fact is one line of a golden report: a subject (the capture, or a
// connection named by its endpoints), a key and a value. Each key belongs to
// a category, so that what varies between two captures of the same scenario
// can be left out (--ignore) or compared with a tolerance.
type Fact struct {
	Subject  string
	Key      string
	Value    string
	Category string
}

// Line is the fact as written: "SUBJECT KEY=VALUE".
func (f Fact) Line() string { return f.Subject + " " + f.Key + "=" + f.Value }

// Fact categories. Numeric categories accept a tolerance.
const (
	CatCapture  = "capture"  // frame counts and errors
	CatISN      = "isn"      // initial sequence numbers
	CatPorts    = "ports"    // the client's (ephemeral) port, in connection names
	CatTime     = "time"     // times, durations, idle and zero-window time
	CatRTT      = "rtt"      // handshake and ACK round-trip times
	CatPackets  = "packets"  // segment counts
	CatBytes    = "bytes"    // payload byte counts and gaps
	CatAnalysis = "analysis" // counts of Wireshark findings
	CatState    = "state"    // states, how it ended, Zeek codes, options
)

// FactCategories lists the categories in the order documented.
var FactCategories = []string{CatCapture, CatISN, CatPorts, CatTime, CatRTT, CatPackets, CatBytes, CatAnalysis, CatState}

// NumericCategory reports whether a category's values are numbers that a
// tolerance can apply to.
func NumericCategory(c string) bool {
	switch c {
	case CatTime, CatRTT, CatPackets, CatBytes, CatAnalysis:
		return true
	}
	return false
}

// CaptureFacts lists the facts about the capture as a whole for a golden
// report: frame counts, faults, connections. Facts of the ignored
// categories are left out.
func CaptureFacts(sum *pipeline.Summary, ignore map[string]bool) []Fact {
	var out []Fact
	add := func(key, value, cat string) {
		if !ignore[cat] {
			out = append(out, Fact{"capture", key, value, cat})
		}
	}
	st := &sum.Stats
	add("frames", u64(st.Frames), CatCapture)
	add("tcp_segments", u64(st.TCP), CatCapture)
	for _, r := range capture.Reasons() {
		if n := st.Count[r]; n > 0 {
			add("frames."+r.String(), u64(n), CatCapture)
		}
	}
	add("errors", strconv.Itoa(len(sum.Errors)), CatCapture)
	add("connections", strconv.Itoa(sum.Selected), CatCapture)
	return out
}

// ConnName names a connection in a golden report without its id, which
// depends on unrelated connections: "client->server", with the client port
// as "*" when ports are ignored. Facts numbers connections of the same name
// by order of first frame ("conn NAME #2").
func ConnName(c *state.Connection, ignore map[string]bool) string {
	client := c.Client.String()
	if ignore[CatPorts] {
		client = endpointNoPort(c)
	}
	return client + "->" + c.Server.String()
}

// ConnFactList lists one connection's facts for a golden report, with
// subject; facts of the ignored categories are left out.
func ConnFactList(c *state.Connection, subject string, ignore map[string]bool) []Fact {
	var out []Fact
	connFactsFor(c, subject, func(subject, key, value, cat string) {
		if !ignore[cat] {
			out = append(out, Fact{subject, key, value, cat})
		}
	})
	return out
}

func endpointNoPort(c *state.Connection) string {
	a := c.Client.Addr()
	if a.Is6() && !a.Is4In6() {
		return "[" + a.String() + "]:*"
	}
	return a.String() + ":*"
}

func connFactsFor(c *state.Connection, subject string, add func(subject, key, value, cat string)) {
	a := c.Data
	add(subject, "mid_stream", strconv.FormatBool(c.MidStream), CatState)
	add(subject, "ended_by", a.EndedBy.String(), CatState)
	if a.CloseSeen {
		add(subject, "closed_by", a.Closer.Side(), CatState)
	}
	add(subject, "conn_state", a.Zeek.ConnState(), CatState)
	add(subject, "history", a.Zeek.History(), CatState)
	for r := flow.Client; r <= flow.Server; r++ {
		e := &a.EP[r]
		p := r.Side() + "."
		add(subject, p+"final_state", e.State.String(), CatState)
		if e.SYNSeen {
			add(subject, p+"isn", strconv.FormatUint(uint64(e.ISN), 10), CatISN)
			add(subject, p+"mss", strconv.Itoa(int(e.MSS)), CatState)
			add(subject, p+"wscale", strconv.Itoa(int(e.WScale)), CatState)
			add(subject, p+"sack_permitted", strconv.FormatBool(e.SACKPermitted), CatState)
		}
		add(subject, p+"timestamps", strconv.FormatBool(e.Timestamps), CatState)
	}
	if a.HandshakeRTT >= 0 {
		add(subject, "handshake_rtt_s", seconds(a.HandshakeRTT), CatRTT)
	}
	add(subject, "duration_s", seconds(c.LastTime-c.FirstTime), CatTime)
	add(subject, "max_idle_s", seconds(a.MaxIdle), CatTime)
	for d := flow.C2S; d <= flow.S2C; d++ {
		s := &a.Dir[d]
		p := "." + d.String()
		add(subject, "packets"+p, u64(c.Packets[d]), CatPackets)
		add(subject, "bytes"+p, u64(c.Bytes[d]), CatBytes)
		add(subject, "gap_bytes"+p, strconv.FormatInt(s.GapBytes(), 10), CatBytes)
		for _, an := range state.AllAnalysis() {
			if n := a.Count[d][an.Index()]; n > 0 {
				add(subject, "analysis"+p+"."+an.Name(), strconv.FormatUint(uint64(n), 10), CatAnalysis)
			}
		}
		if s.ACK.Count > 0 {
			add(subject, "ack_rtt_avg_s"+p, seconds(s.ACK.Avg()), CatRTT)
		}
		if s.ZeroWindow > 0 {
			add(subject, "zero_window_s"+p, seconds(s.ZeroWindow), CatTime)
		}
	}
	if len(a.ICMP) > 0 {
		add(subject, "icmp_errors", strconv.Itoa(len(a.ICMP)), CatState)
	}
	if len(a.BadHeaders) > 0 {
		add(subject, "bad_headers", strconv.Itoa(len(a.BadHeaders)), CatState)
	}
}

// GoldenHeader is the first line of a golden report; the second says how it
// was made (see WriteFacts).
const GoldenHeader = "# tcpflow golden report: one fact per line. Regenerate: tcpflow check --update --golden FILE CAPTURE..."

// WriteFacts writes a golden report: the header, a settings line, then one
// fact per line.
func WriteFacts(w io.Writer, facts []Fact, settings string) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(GoldenHeader + "\n")
	bw.WriteString("# settings: " + settings + "\n")
	for _, f := range facts {
		bw.WriteString(f.Line() + "\n")
	}
	return bw.Flush()
}

// ParseFactLine splits "SUBJECT KEY=VALUE" into the subject+key and value; ok
// is false for comments and malformed lines.
func ParseFactLine(line string) (id, value string, ok bool) {
	if strings.HasPrefix(line, "#") {
		return "", "", false
	}
	eq := strings.LastIndex(line, "=")
	sp := strings.LastIndex(line[:max(eq, 0)], " ")
	if eq < 0 || sp < 0 {
		return "", "", false
	}
	return line[:eq], line[eq+1:], true
}
