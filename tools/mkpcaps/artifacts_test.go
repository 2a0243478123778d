package main

import (
	"slices"
	"testing"

	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/state"
)

// TestArtifactCaptures runs tcpflow over the captures of artifacts.go and
// checks the capture artifacts it finds on each frame, the findings
// Wireshark's names keep beside them, and the capture point.
func TestArtifactCaptures(t *testing.T) {
	type conn struct {
		point                  state.CapturePoint
		artifacts              map[state.Artifact][]uint64 // frames with each artifact
		dupOf                  map[uint64]uint64           // copy -> first copy
		flagged                map[state.Analysis][]uint64 // Wireshark's findings, unchanged
		dupRetrans, dupDupAcks uint32
	}
	tests := []struct {
		file  string
		gen   func() ([]byte, error)
		conns []conn
	}{
		{"duplicate-frames.pcap", ethernet.pcap(duplicateFrames), []conn{{
			point:      state.NearClient,
			artifacts:  map[state.Artifact][]uint64{state.DuplicateFrame: {5, 8, 11}},
			dupOf:      map[uint64]uint64{5: 4, 8: 7, 11: 10},
			flagged:    map[state.Analysis][]uint64{state.Retransmission: {5, 8, 12}, state.DuplicateAck: {11}},
			dupRetrans: 2, dupDupAcks: 1,
		}}},
		{"tso-segments.pcap", ethernet.pcap(tsoSegments), []conn{{
			point:     state.NearServer,
			artifacts: map[state.Artifact][]uint64{state.OverMSS: {5, 6}},
		}}},
		{"capture-points.pcap", ethernet.pcap(capturePoints), []conn{
			{point: state.NearClient}, {point: state.NearServer}, {point: state.InBetween},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, conns, err := pipeline.RunAll(generated(t, tt.gen), pipeline.Options{}, true)
			if err != nil {
				t.Fatal(err)
			}
			if len(conns) != len(tt.conns) {
				t.Fatalf("%d connections, want %d", len(conns), len(tt.conns))
			}
			for i, want := range tt.conns {
				a := conns[i].Data
				if p := state.WhereCaptured(conns[i]); p != want.point {
					t.Errorf("connection %d: capture point %v, want %v", i, p, want.point)
				}
				arts := map[state.Artifact][]uint64{}
				flagged := map[state.Analysis][]uint64{}
				for _, r := range a.Records.All() {
					for _, art := range state.AllArtifacts() {
						if r.Artifacts&art != 0 {
							arts[art] = append(arts[art], r.Frame)
						}
					}
					for an := range want.flagged {
						if r.Analysis&an != 0 {
							flagged[an] = append(flagged[an], r.Frame)
						}
					}
					if r.DupOf() != want.dupOf[r.Frame] {
						t.Errorf("connection %d frame %d: duplicate of %d, want %d", i, r.Frame, r.DupOf(), want.dupOf[r.Frame])
					}
				}
				for _, art := range state.AllArtifacts() {
					if !slices.Equal(arts[art], want.artifacts[art]) {
						t.Errorf("connection %d: %s on frames %v, want %v", i, art.Name(), arts[art], want.artifacts[art])
					}
				}
				for an, fr := range want.flagged {
					if !slices.Equal(flagged[an], fr) {
						t.Errorf("connection %d: %s on frames %v, want %v", i, an.Name(), flagged[an], fr)
					}
				}
				var dr, dd uint32
				for d := range a.Artifacts {
					dr += a.Artifacts[d].DupRetrans
					dd += a.Artifacts[d].DupDupAcks
				}
				if dr != want.dupRetrans || dd != want.dupDupAcks {
					t.Errorf("connection %d: %d copies called retransmissions and %d duplicate ACKs, want %d and %d",
						i, dr, dd, want.dupRetrans, want.dupDupAcks)
				}
			}
		})
	}
}
