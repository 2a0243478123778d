package report

import (
	"testing"

	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
)

// TestArtifactNotes checks each artifact's timeline note, and that appending
// it allocates nothing (it runs for every segment of a timeline).
func TestArtifactNotes(t *testing.T) {
	a := state.NewConn()
	a.EP[flow.Client].MSS = 1460
	r := &state.Record{Frame: 12, Dir: flow.S2C, DupBack: 3}
	buf := make([]byte, 0, 256)
	for art, want := range map[state.Artifact]string{
		state.DuplicateFrame:  "(duplicate of frame 9: captured twice)",
		state.OverMSS:         "(larger than the peer's MSS 1460: segmentation offload on the capturing host)",
		state.ChecksumOffload: "(checksum left to the network card: captured on the sending host)",
	} {
		if got := string(appendArtifactNote(buf[:0], a, r, art)); got != want {
			t.Errorf("%s: %q, want %q", art.Name(), got, want)
		}
		if n := testing.AllocsPerRun(100, func() { buf = appendArtifactNote(buf[:0], a, r, art) }); n != 0 {
			t.Errorf("%s: %v allocations per note", art.Name(), n)
		}
	}
}

// TestDupSentence checks the verdict's words on copies.
func TestDupSentence(t *testing.T) {
	for _, tc := range []struct {
		dr, retrans, dd, dupAcks int64
		want                     string
	}{
		{0, 7, 0, 2, ""},
		{5, 7, 0, 0, "5 of Wireshark's 7 retransmissions are frames captured twice, not loss"},
		{1, 1, 0, 0, "Wireshark's retransmission is a frame captured twice, not loss"},
		{3, 3, 1, 4, "all 3 of Wireshark's retransmissions and 1 of Wireshark's 4 duplicate ACKs are frames captured twice, not loss"},
		{0, 2, 2, 2, "both of Wireshark's duplicate ACKs are frames captured twice, not loss"},
	} {
		if got := dupSentence(tc.dr, tc.retrans, tc.dd, tc.dupAcks); got != tc.want {
			t.Errorf("%d/%d, %d/%d: %q, want %q", tc.dr, tc.retrans, tc.dd, tc.dupAcks, got, tc.want)
		}
	}
}
