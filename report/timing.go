package report

import (
	"bufio"
	"strconv"

	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
)

// Where the time went (state/stall.go, state/ratelimit.go, state/rtthist.go):
// the stalls as verdict findings, the facts' timing lines, and their JSON.

// stallCauses are the causes a verdict names, in its order. A zero window
// has its own finding already (zero_window_by_*); a client's application
// pausing is a user or a client thinking, no problem of the connection: both
// are in the facts and JSON, not in the verdict.
var stallCauses = []state.StallCause{state.StallRTOClient, state.StallRTOServer, state.StallServerApp, state.StallNetwork}

// blindLimitText is what the reports say of the limit on a blind capture.
const blindLimitText = "cannot tell: the capture lacks one direction or its pure ACKs"

// stallFindings are the verdict's findings for the stalls: "stalled 229.000
// ms waiting for the server's application", code stall_server_app.
func stallFindings(c *state.Connection) []finding {
	s := state.ToldStalls(c)
	if s == nil {
		return nil
	}
	var p []finding
	for _, k := range stallCauses {
		if s.Count[k] == 0 {
			continue
		}
		t := "stalled " + duration(s.Total[k]) + " waiting for " + k.Text()
		if s.Count[k] > 1 {
			t += " (" + strconv.Itoa(int(s.Count[k])) + " stalls)"
		}
		p = append(p, finding{"stall_" + k.Name(), t})
	}
	return p
}

// StallTime is the time a connection stalled for a cause that is a problem:
// every cause but the client's application (a user or a client thinking
// between requests). --sort stall orders by it.
func StallTime(c *state.Connection) int64 {
	s := state.ToldStalls(c)
	if s == nil {
		return 0
	}
	return s.All() - s.Total[state.StallClientApp]
}

// stallShort is the table's word for the stalls a verdict names:
// "stalled 229.000 ms" (their total).
func stallShort(c *state.Connection) []string {
	var t int64
	s := state.ToldStalls(c)
	for _, k := range stallCauses {
		if s != nil {
			t += s.Total[k]
		}
	}
	if t == 0 {
		return nil
	}
	return []string{"stalled " + duration(t)}
}

// karnMinSamples is how many Karn samples the percentiles need to be shown
// in the text: with fewer, min/avg/max say as much.
const karnMinSamples = 10

// timing writes the facts' timing lines: the Karn RTT percentiles per
// direction (with enough samples), the stalls, and what limited each
// direction's rate.
func timing(w *bufio.Writer, c *state.Connection) {
	a := c.Data
	for d := flow.C2S; d <= flow.S2C; d++ {
		k := &a.Dir[d].Karn
		if k.Count < karnMinSamples {
			continue
		}
		w.WriteString("RTT (Karn) ")
		w.WriteString(dirWords(d))
		w.WriteString(": min/p50/p90/p99/max ")
		for i, v := range []int64{k.Min, k.Percentile(50), k.Percentile(90), k.Percentile(99), k.Max} {
			if i > 0 {
				w.WriteByte('/')
			}
			writeDuration(w, v)
		}
		w.WriteString(" (" + plural(int64(k.Count), "sample", "samples") + ")\n")
	}
	if s := state.ToldStalls(c); s != nil {
		n := int64(0)
		for _, x := range s.Count {
			n += int64(x)
		}
		w.WriteString("stalls: ")
		writeDuration(w, s.All())
		w.WriteString(" in " + plural(n, "stall", "stalls") + " (")
		first := true
		for k := state.StallCause(0); k < state.NumStallCauses; k++ {
			if s.Count[k] == 0 {
				continue
			}
			if !first {
				w.WriteString(", ")
			}
			first = false
			writeDuration(w, s.Total[k])
			w.WriteString(" waiting for " + k.Text())
		}
		w.WriteString("); longest: ")
		for i, st := range s.Kept() {
			if i > 0 {
				w.WriteString(", ")
			}
			writeDuration(w, st.Duration)
			w.WriteString(" after frame " + strconv.FormatUint(st.Frame, 10))
		}
		w.WriteByte('\n')
	}
	if state.Blind(c) {
		w.WriteString("limited by: " + blindLimitText + "\n")
		return
	}
	l := [2]state.Limit{a.LimitedBy(flow.C2S), a.LimitedBy(flow.S2C)}
	if l[0] == state.LimitUnknown && l[1] == state.LimitUnknown {
		return
	}
	w.WriteString("limited by: ")
	for d := flow.C2S; d <= flow.S2C; d++ {
		if d == flow.S2C {
			w.WriteString("; ")
		}
		w.WriteString(dirWords(d) + " " + l[d].Text())
		if ev := limitEvidence(a, d, l[d]); ev != "" {
			w.WriteString(" (" + ev + ")")
		}
	}
	w.WriteByte('\n')
}

func dirWords(d flow.Dir) string {
	if d == flow.C2S {
		return "client -> server"
	}
	return "server -> client"
}

// limitEvidence says in words what the factor rests on.
func limitEvidence(a *state.Conn, d flow.Dir, l state.Limit) string {
	r := &a.Rate[d]
	switch l {
	case state.LimitReceiverWindow:
		s := ""
		if r.PeakInFlight >= 0 && r.PeerWindow >= 0 {
			s = "peak " + plural(r.PeakInFlight, "byte", "bytes") + " in flight against a window of " +
				strconv.FormatInt(r.PeerWindow, 10) + ", "
		}
		s += strconv.FormatInt(r.FullFlights, 10) + " of " + plural(r.Flights, "flight", "flights") + " filled the window"
		if z := a.Dir[d.Reverse()].ZeroWindow; z > 0 {
			s += ", zero window for " + duration(z)
		}
		return s
	case state.LimitCongestion:
		return plural(r.LossEvents, "loss event", "loss events") + ", " + plural(r.Resent, "segment", "segments") +
			" sent again for " + strconv.FormatInt(r.DataSegs, 10) + " new"
	case state.LimitApplication:
		return duration(r.Idle) + " of " + duration(r.LastData-r.FirstData) + " with nothing in flight"
	case state.LimitBandwidth:
		if r.PeakInFlight >= 0 && r.PeerWindow >= 0 {
			return "peak " + plural(r.PeakInFlight, "byte", "bytes") + " in flight below a window of " +
				strconv.FormatInt(r.PeerWindow, 10) + ", no loss episode that mattered"
		}
	}
	return ""
}

// A cause's total and one of the longest stalls are the same in JSON and
// Parquet.
type (
	jsonStallCause = StallCauseRow
	jsonStall      = StallRow
)

// jsonLimit is limited_by: a direction's rate-limiting factor and its
// evidence (state.RateEvidence).
type jsonLimit = LimitRow

func limitJSON(c *state.Connection, d flow.Dir) jsonLimit {
	r := &c.Data.Rate[d]
	factor, text := limitWords(c, d)
	j := jsonLimit{Factor: factor, Text: text, DataSegs: r.DataSegs, ActiveS: secs(r.LastData - r.FirstData),
		Flights: r.Flights, FullFlights: r.FullFlights, LossEvents: r.LossEvents, Resent: r.Resent, IdleS: secs(r.Idle)}
	if r.DataSegs > 0 && r.PeakInFlight >= 0 {
		p, w := r.PeakInFlight, r.PeerWindow
		j.PeakInFlight, j.PeerWindow = &p, &w
	}
	return j
}

// limitWords are direction d's rate-limiting factor as the reports tell it:
// its name and its text.
func limitWords(c *state.Connection, d flow.Dir) (factor, text string) {
	l := state.ToldLimit(c, d)
	if state.Blind(c) {
		return l.Name(), blindLimitText
	}
	return l.Name(), l.Text()
}

// The same in Parquet (report/parquet.go): a struct per cause rather than a
// map, so that SQL can name stalls.by_cause.server_app.total_s.

// LimitRow is limited_by.
type LimitRow struct {
	Factor       string  `parquet:"factor,dict" json:"factor"`
	Text         string  `parquet:"text,dict" json:"text"`
	DataSegs     int64   `parquet:"data_segments" json:"data_segments"`
	ActiveS      float64 `parquet:"active_s" json:"active_s"`
	PeakInFlight *int64  `parquet:"peak_in_flight,optional" json:"peak_in_flight"`
	PeerWindow   *int64  `parquet:"peer_window_at_peak,optional" json:"peer_window_at_peak"`
	Flights      int64   `parquet:"flights" json:"flights"`
	FullFlights  int64   `parquet:"flights_at_window" json:"flights_at_window"`
	LossEvents   int64   `parquet:"loss_events" json:"loss_events"`
	Resent       int64   `parquet:"resent_segments" json:"resent_segments"`
	IdleS        float64 `parquet:"idle_s" json:"idle_s"`
}

// StallsRow is stalls.
type StallsRow struct {
	TotalS  float64        `parquet:"total_s" json:"total_s"`
	Count   int64          `parquet:"count" json:"count"`
	ByCause StallCausesRow `parquet:"by_cause" json:"by_cause"`
	Longest []StallRow     `parquet:"longest,list" json:"longest"`
}

// StallCausesRow is stalls.by_cause, one field per state.StallCause.
type StallCausesRow struct {
	RTOClient        StallCauseRow `parquet:"rto_client" json:"rto_client"`
	RTOServer        StallCauseRow `parquet:"rto_server" json:"rto_server"`
	ZeroWindowClient StallCauseRow `parquet:"zero_window_client" json:"zero_window_client"`
	ZeroWindowServer StallCauseRow `parquet:"zero_window_server" json:"zero_window_server"`
	ClientApp        StallCauseRow `parquet:"client_app" json:"client_app"`
	ServerApp        StallCauseRow `parquet:"server_app" json:"server_app"`
	Network          StallCauseRow `parquet:"network" json:"network"`
}

// StallCauseRow is one cause's total.
type StallCauseRow struct {
	TotalS float64 `parquet:"total_s" json:"total_s"`
	Count  int32   `parquet:"count" json:"count"`
}

// StallRow is one of the longest stalls.
type StallRow struct {
	Cause     string  `parquet:"cause,dict" json:"cause"`
	Frame     int64   `parquet:"frame" json:"frame"`
	EndFrame  *int64  `parquet:"end_frame,optional" json:"end_frame"`
	Time      float64 `parquet:"time" json:"time"`
	DurationS float64 `parquet:"duration_s" json:"duration_s"`
}
