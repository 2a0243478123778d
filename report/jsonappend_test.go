package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/state"
)

// jsonlSeg is a segment line as encoding/json would write it: the reference
// appendSegmentLine must match.
type jsonlSeg struct {
	Type string `json:"type"`
	Conn int    `json:"conn"`
	Part int    `json:"part,omitempty"`
	jsonSeg
}

// referenceSeg builds a segment's object through the documented types, for
// encoding/json.
func referenceSeg(base int64, r *state.Record, trans []state.Transition) jsonSeg {
	js := jsonSeg{Frame: r.Frame, Time: secs(r.Time - base), Dir: r.Dir.String(),
		Flags: r.Flags.String(), Seq: r.RelSeq, SeqAbs: r.Seq,
		Len: r.Len, WinRaw: r.Win, Analysis: r.Analysis.Names(), Transitions: []jsonTransition{},
		DupAckNum: r.DupAckNum, DupAckFrame: r.DupAckOf, AckFrame: r.AckOf, Truncated: r.Truncated}
	js.Ack, js.AckAbs = ackFields(r)
	if r.WinScaled >= 0 {
		v := r.WinScaled
		js.Win, js.WinAssumed = &v, r.ScaleAssumed
	}
	js.Options = optionsJSON(&r.Opts)
	if r.HasAckRTT() {
		v := secs(r.AckRTT)
		js.AckRTT = &v
	}
	if r.InFlight >= 0 {
		v := r.InFlight
		js.InFlight = &v
	}
	if segChecksumShown(r) {
		js.Checksums = &jsonSegChecksum{r.IPChecksum.String(), r.TCPChecksum.String()}
	}
	js.SeqJump, js.AckJump = r.SeqJump, r.AckJump
	for _, a := range state.AllArtifacts() {
		if r.Artifacts&a != 0 {
			js.Artifacts = append(js.Artifacts, a.Name())
		}
	}
	js.DuplicateOf = r.DupOf()
	for _, t := range trans {
		js.Transitions = append(js.Transitions, jsonTransition{t.Endpoint.Side(), t.From.String(), t.To.String(), t.Why})
	}
	return js
}

// segmentCheck is a SegmentSink comparing each line with encoding/json's.
type segmentCheck struct {
	stats *capture.Stats
	n     int
	first string
}

func (s *segmentCheck) Segment(c *pipeline.Connection, rec *state.Record, trans []state.Transition) error {
	got := appendSegmentLine(nil, c, s.stats.FirstTime, rec, trans)
	var want bytes.Buffer
	if err := json.NewEncoder(&want).Encode(jsonlSeg{"segment", c.ID, c.Part, referenceSeg(s.stats.FirstTime, rec, trans)}); err != nil {
		return err
	}
	if !bytes.Equal(got, want.Bytes()) && s.first == "" {
		s.first = "got  " + string(got) + "want " + want.String()
	}
	s.n++
	return nil
}

func (s *segmentCheck) Finished(*pipeline.Connection) error { return nil }
func (s *segmentCheck) End(*pipeline.Summary) error         { return nil }

// TestSegmentAppendMatchesEncodingJSON checks the hand-written segment line
// against encoding/json on every segment of the golden captures.
func TestSegmentAppendMatchesEncodingJSON(t *testing.T) {
	for _, gc := range goldenCases(t) {
		r := capture.NewReader(gc.Path)
		check := &segmentCheck{stats: &r.Stats}
		if _, err := pipeline.Run(r, pipeline.Options{}, check); err != nil {
			t.Fatal(err)
		}
		r.Close()
		if check.first != "" {
			t.Errorf("%s: segment line differs from encoding/json:\n%s", gc.Name, check.first)
		}
		if check.n == 0 && gc.Name != "corrupt.pcap" {
			t.Logf("%s: no segments", gc.Name)
		}
	}
}
