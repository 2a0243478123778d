package report

import (
	"bufio"
	"fmt"
	"strings"
	"time"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/state"
)

// This file tells the capture's quality (state/quality.go): in the header,
// what the capture itself did to the whole capture (frames captured twice,
// drops it recorded, one direction only, a filter that kept only data
// packets); in a connection's verdict, why its bytes were not captured.

// codeFiltered is the verdict code of a connection whose capture looks
// filtered to data packets, beside its not_captured codes: what the capture
// left out, not loss (Problem leaves both out).
const codeFiltered = "capture_filtered"

// filteredFinding is the finding of a connection with bytes not captured
// whose capture looks filtered to data packets (state.DataOnly).
func filteredFinding(c *state.Connection) (finding, bool) {
	a := c.Data
	if a.Dir[0].GapBytes()+a.Dir[1].GapBytes() == 0 || !state.DataOnly(c) {
		return finding{}, false
	}
	return finding{codeFiltered, "the capture looks filtered to data packets (no SYN, no pure ACK): the capture left them out, not the network"}, true
}

// capturedAway reports whether a finding's code is one the capture caused
// rather than the connection: bytes not captured when the capture was
// filtered to data packets, and the note saying so.
func capturedAway(c *state.Connection, code string) bool {
	if code != codeFiltered && !strings.HasPrefix(code, "not_captured_from_") {
		return false
	}
	_, ok := filteredFinding(c)
	return ok
}

// RecordedDrops sums what the inputs' pcapng interface statistics recorded.
func RecordedDrops(sum *pipeline.Summary) capture.Recorded {
	var r capture.Recorded
	for _, in := range sum.Inputs {
		q := in.Recorded
		r.Interfaces += q.Interfaces
		r.Received += q.Received
		r.Dropped += q.Dropped
		r.HasReceived = r.HasReceived || q.HasReceived
		r.HasDropped = r.HasDropped || q.HasDropped
	}
	return r
}

// qualityHeader writes the header's "capture quality:" lines, one per fact.
func qualityHeader(w *bufio.Writer, sum *pipeline.Summary) {
	if r := RecordedDrops(sum); r.HasDropped || r.HasReceived {
		w.WriteString("capture quality: ")
		switch {
		case r.HasDropped && r.HasReceived:
			fmt.Fprintf(w, "the capture recorded %s dropped of %d received", plural(int64(r.Dropped), "packet", "packets"), r.Received)
		case r.HasDropped:
			fmt.Fprintf(w, "the capture recorded %s dropped", plural(int64(r.Dropped), "packet", "packets"))
		default:
			fmt.Fprintf(w, "the capture recorded %s received, drops not recorded", plural(int64(r.Received), "packet", "packets"))
		}
		w.WriteString(" (pcapng interface statistics)")
		if r.Dropped > 0 {
			w.WriteString(": segments missing from connections may be the capture's drops, not loss")
		}
		w.WriteByte('\n')
	}
	q := &sum.Quality
	if q.DupFrames > 0 {
		fmt.Fprintf(w, "capture quality: %s captured twice (a span port or taps on both sides of a router): Wireshark's retransmissions among them are copies, not loss\n",
			plural(q.DupFrames, "frame", "frames"))
	}
	if q.OneSided > 0 {
		fmt.Fprintf(w, "capture quality: %s of %d seen in one direction only (an asymmetric route or a one-way capture): the other direction is missing from the capture\n",
			plural(int64(q.OneSided), "connection", "connections"), q.Conns)
	}
	if q.DataOnly > 0 {
		fmt.Fprintf(w, "capture quality: %s of %d %s no SYN and no segment without payload: the capture looks filtered to data packets",
			plural(int64(q.DataOnly), "connection", "connections"), q.Conns, map[bool]string{true: "has", false: "have"}[q.DataOnly == 1])
		if q.DataOnlyGaps > 0 {
			fmt.Fprintf(w, "; the bytes not captured of %d of them are the filter's, not loss", q.DataOnlyGaps)
		}
		w.WriteByte('\n')
	}
}

// codeOneSided is the verdict code of a connection captured in one
// direction only (state.OneSided): a fact of the capture, no problem.
const codeOneSided = "one_sided_capture"

// oneSidedFinding is the finding of a connection seen in one direction only.
func oneSidedFinding(c *state.Connection) (finding, bool) {
	if !state.OneSided(c) {
		return finding{}, false
	}
	seen := flow.C2S
	if c.Packets[flow.C2S] == 0 {
		seen = flow.S2C
	}
	if c.Data.Dir[seen].Out.Retransmissions > 0 { // frames captured twice are no retransmission
		// Its repeats say it got no answer either: the other side's
		// segments may be missing from the capture, but it is not known
		// that nothing was lost.
		return finding{codeOneSided, "only the " + seen.Side() + "'s segments captured (a one-sided capture; its retransmissions say " +
			"no answer reached it either)"}, true
	}
	return finding{codeOneSided, "only the " + seen.Side() + "'s segments captured (a one-sided capture, not loss)"}, true
}

// jsonQuality is the capture object's "quality" (docs/json-schema.md).
type jsonQuality struct {
	DuplicateFrames int64 `json:"duplicate_frames"`
	OneSided        int   `json:"one_sided_connections"`
	DataOnly        int   `json:"data_only_connections"`
	// What pcapng interface statistics recorded; null when none did.
	RecordedReceived *uint64 `json:"recorded_received"`
	RecordedDropped  *uint64 `json:"recorded_dropped"`
}

func qualityJSON(sum *pipeline.Summary) jsonQuality {
	q := &sum.Quality
	jq := jsonQuality{DuplicateFrames: q.DupFrames, OneSided: q.OneSided, DataOnly: q.DataOnly}
	r := RecordedDrops(sum)
	if r.HasReceived {
		jq.RecordedReceived = &r.Received
	}
	if r.HasDropped {
		jq.RecordedDropped = &r.Dropped
	}
	return jq
}

// rfc3339 is a time in ns since the epoch as RFC 3339 in UTC, with all
// nine digits of the nanoseconds (as the capture gives them; a
// microsecond capture's end in 000).
func rfc3339(ns int64) string {
	return time.Unix(0, ns).UTC().Format(rfc3339Layout)
}

// QualityRow is the runs table's quality: JSON's capture.quality.
type QualityRow struct {
	DuplicateFrames  int64  `parquet:"duplicate_frames" json:"duplicate_frames"`
	OneSided         int64  `parquet:"one_sided_connections" json:"one_sided_connections"`
	DataOnly         int64  `parquet:"data_only_connections" json:"data_only_connections"`
	RecordedReceived *int64 `parquet:"recorded_received,optional" json:"recorded_received"`
	RecordedDropped  *int64 `parquet:"recorded_dropped,optional" json:"recorded_dropped"`
}

func qualityRow(q *jsonQuality) QualityRow {
	r := QualityRow{DuplicateFrames: q.DuplicateFrames, OneSided: int64(q.OneSided), DataOnly: int64(q.DataOnly)}
	if q.RecordedReceived != nil {
		n := int64(*q.RecordedReceived)
		r.RecordedReceived = &n
	}
	if q.RecordedDropped != nil {
		n := int64(*q.RecordedDropped)
		r.RecordedDropped = &n
	}
	return r
}
