package report

import (
	"bufio"
	"bytes"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/internal/craft"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/state"
)

// runCapture runs a testdata capture into memory.
func runCapture(t *testing.T, name string) (*pipeline.Summary, []*state.Connection) {
	t.Helper()
	return runPath(t, filepath.Join("..", "testdata", "pcaps", name))
}

// runPath runs the capture at path into memory, without records.
func runPath(t *testing.T, path string) (*pipeline.Summary, []*state.Connection) {
	t.Helper()
	r := capture.NewReader(path)
	defer r.Close()
	sum, conns, err := pipeline.RunAll(r, pipeline.Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	return sum, conns
}

// TestCaptureQuality checks the capture-quality counts, verdict codes and
// header lines of the crafted captures (tools/mkpcaps/quality.go and
// artifacts.go).
func TestCaptureQuality(t *testing.T) {
	for _, tc := range []struct {
		file   string
		want   state.Quality
		codes  [][]string // per connection
		header []string   // lines the header has
	}{
		{"capture-quality.pcap", state.Quality{Conns: 3, DupFrames: 1, OneSided: 1, DataOnly: 1, DataOnlyGaps: 1},
			[][]string{{"not_captured_from_server", codeFiltered}, {codeOneSided, codeArtifacts}, {"clean"}},
			[]string{"capture quality: 1 frame captured twice", "capture quality: 1 connection of 3 seen in one direction only",
				"capture quality: 1 connection of 3 has no SYN and no segment without payload: the capture looks filtered to data packets; the bytes not captured of 1 of them are the filter's, not loss"}},
		{"duplicate-frames.pcap", state.Quality{Conns: 1, DupFrames: 3}, nil, []string{"capture quality: 3 frames captured twice"}},
		{"capture-drops.pcapng", state.Quality{Conns: 1}, [][]string{{"clean"}},
			[]string{"capture quality: the capture recorded 6 packets dropped of 18 received (pcapng interface statistics)"}},
		{"textbook.pcap", state.Quality{Conns: 1}, [][]string{{"clean"}}, nil},
	} {
		t.Run(tc.file, func(t *testing.T) {
			sum, conns := runCapture(t, tc.file)
			if sum.Quality != tc.want {
				t.Errorf("quality %+v, want %+v", sum.Quality, tc.want)
			}
			for i, want := range tc.codes {
				if got := VerdictCodes(conns[i]); !slices.Equal(got, want) {
					t.Errorf("connection %d: codes %q, want %q", i, got, want)
				}
			}
			var b bytes.Buffer
			w := bufio.NewWriter(&b)
			Header(w, sum, Options{})
			w.Flush()
			hdr := b.String()
			for _, line := range tc.header {
				if !strings.Contains(hdr, line) {
					t.Errorf("header lacks %q:\n%s", line, hdr)
				}
			}
			if len(tc.header) == 0 && strings.Contains(hdr, "capture quality") {
				t.Errorf("header of a clean capture says:\n%s", hdr)
			}
		})
	}
}

// TestCaptureQualityProblems: what the capture did is no problem of the
// connection: a filter keeping data packets, one direction only, a frame
// captured twice (connection 1's copy is a retransmission for Wireshark, a
// duplicate frame for the verdict).
func TestCaptureQualityProblems(t *testing.T) {
	_, conns := runCapture(t, "capture-quality.pcap")
	var got []bool
	for _, c := range conns {
		got = append(got, Problem(c))
	}
	if want := []bool{false, false, false}; !slices.Equal(got, want) {
		t.Errorf("Problem: %v, want %v", got, want)
	}
}

// TestRecordedDrops: the interface statistics block's counts reach the
// input, and JSON's capture object.
func TestRecordedDrops(t *testing.T) {
	sum, _ := runCapture(t, "capture-drops.pcapng")
	if got, want := sum.Inputs[0].Recorded, (capture.Recorded{Interfaces: 1, Received: 18, Dropped: 6, HasReceived: true, HasDropped: true}); got != want {
		t.Errorf("recorded %+v, want %+v", got, want)
	}
	q := qualityJSON(sum)
	if q.RecordedReceived == nil || *q.RecordedReceived != 18 || q.RecordedDropped == nil || *q.RecordedDropped != 6 {
		t.Errorf("JSON quality %+v", q)
	}
	if row := qualityRow(&q); row.RecordedDropped == nil || *row.RecordedDropped != 6 || *row.RecordedReceived != 18 {
		t.Errorf("runs row quality %+v", row)
	}
	sum, _ = runCapture(t, "two-interfaces.pcapng") // no statistics block
	if q := qualityJSON(sum); q.RecordedReceived != nil || q.RecordedDropped != nil {
		t.Errorf("JSON quality without statistics %+v", q)
	}
}

// TestOneSidedRepeats: a sender repeating one segment to a silent peer with
// backoff, no SYN in the capture (the corpus's
// chrissanders__tcp_retransmissions.pcapng is such a capture). Its repeats
// are real retransmissions, so the capture is not "filtered to data
// packets", and the one-sided verdict does not say "not loss": the sender
// itself got no answer.
func TestOneSidedRepeats(t *testing.T) {
	path := craftFile(t, func(w *craft.Wire) {
		c := w.Conn(netip.MustParseAddrPort("192.0.2.1:40000"), netip.MustParseAddrPort("198.51.100.1:80"), 1000, 5000)
		wait := 200 * time.Millisecond
		for range 6 {
			c.Client(craft.ACK|craft.PSH, craft.Seq(1001), craft.Ack(5001), craft.Data(600), craft.Dropped)
			w.Advance(wait)
			wait *= 2
		}
	})
	sum, conns := runPath(t, path)
	if q := sum.Quality; q.OneSided != 1 || q.DataOnly != 0 {
		t.Errorf("quality %+v, want one one-sided connection and none filtered to data", q)
	}
	want := []string{"retransmissions_from_client", "stall_rto_client", codeOneSided}
	if got := VerdictCodes(conns[0]); !slices.Equal(got, want) {
		t.Errorf("codes %q, want %q", got, want)
	}
	if v := verdict(conns[0]); !strings.Contains(v, "its retransmissions say no answer reached it either") || strings.Contains(v, "not loss") {
		t.Errorf("verdict %q", v)
	}
	if !Problem(conns[0]) {
		t.Error("not a problem")
	}
}

// TestBlindStalls: a download captured one way only, with a 1 s pause in the
// server's data. Without the client's ACKs nothing says what the pause
// waited for: no stall is told, in the verdict, --sort stall or JSON, and no
// rate-limiting factor is named (on the public captures of the unseen
// sample such one-way captures made most of the "waiting for the network").
func TestBlindStalls(t *testing.T) {
	path := craftFile(t, func(w *craft.Wire) {
		c := w.Conn(netip.MustParseAddrPort("192.0.2.1:40000"), netip.MustParseAddrPort("198.51.100.1:80"), 1000, 5000)
		for i := range 12 {
			c.Server(craft.ACK, craft.Seq(5001+uint32(i)*1000), craft.Ack(1001), craft.Data(1000))
			w.Advance(time.Millisecond)
			if i == 5 {
				w.Advance(time.Second)
			}
		}
	})
	_, conns := runPath(t, path)
	c := conns[0]
	if c.Data.Stalls.All() == 0 {
		t.Fatal("the analysis found no pause: the test would prove nothing")
	}
	if !state.Blind(c) || state.ToldStalls(c) != nil || StallTime(c) != 0 || len(stallFindings(c)) != 0 {
		t.Errorf("blind %v, stalls told %+v, stall time %d, findings %v", state.Blind(c), state.ToldStalls(c), StallTime(c), stallFindings(c))
	}
	if j := limitJSON(c, flow.S2C); j.Factor != "unknown" || j.Text != blindLimitText {
		t.Errorf("limited_by %q %q", j.Factor, j.Text)
	}
}
