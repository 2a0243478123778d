package report

import (
	"bufio"
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/internal/craft"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/state"
	"github.com/tcpflow/tcpflow/stream"
)

// verdictConns analyzes a capture, reassembling with the given limits.
func verdictConns(t *testing.T, path string, so stream.Options) []*state.Connection {
	t.Helper()
	r := capture.NewReader(path)
	defer r.Close()
	_, conns, err := pipeline.RunAll(r, pipeline.Options{Reassemble: true, Stream: so}, false)
	if err != nil {
		t.Fatal(err)
	}
	return conns
}

// TestVerdicts checks the verdict of each connection of verdicts.pcap
// (tools/mkpcaps verdicts.go): the side that sent the RST, a reset after a
// completed close told apart from an abort, and the connect time with the
// SYNs sent again.
func TestVerdicts(t *testing.T) {
	conns := verdictConns(t, "../testdata/pcaps/verdicts.pcap", stream.DefaultOptions)
	for _, tt := range []struct {
		verdict string
		codes   []string
		problem bool
	}{
		// The server sent the first FIN, the client the RST.
		{"reset by the client", []string{"reset_by_client"}, true},
		{"reset by the client after a completed close (both FINs acknowledged)", []string{"reset_after_close"}, false},
		{"2 retransmissions from the client (captured near the client)", []string{"retransmissions_from_client"}, true},
		// Wireshark calls the segment lost before the capture point and
		// resent an RTT later out-of-order: it is a retransmission.
		{"3 retransmissions from the server (1 lost before the capture point), 5 duplicate ACKs from the client",
			[]string{"retransmissions_from_server", "duplicate_acks_from_client"}, true},
	} {
		if len(conns) == 0 {
			t.Fatal("too few connections")
		}
		c := conns[0]
		conns = conns[1:]
		if got := verdict(c); got != tt.verdict {
			t.Errorf("connection %d: verdict %q, want %q", c.ID, got, tt.verdict)
		}
		if got := VerdictCodes(c); !slices.Equal(got, tt.codes) {
			t.Errorf("connection %d: codes %q, want %q", c.ID, got, tt.codes)
		}
		if got := Problem(c); got != tt.problem {
			t.Errorf("connection %d: problem %v, want %v", c.ID, got, tt.problem)
		}
		if c.ID == 0 && (c.Data.ResetBy != flow.Client || c.Data.Closer != flow.Server) {
			t.Errorf("connection 0: reset by %v, closer %v; want the client's RST after the server's FIN", c.Data.ResetBy, c.Data.Closer)
		}
		if c.ID == 2 {
			a := c.Data
			if a.ConnectTime != 3020040000 || a.SYNs != 3 || a.SYNACKs != 1 || a.HandshakeRTT != 20040000 {
				t.Errorf("connection 2: connect time %d ns with %d SYNs and %d SYN-ACKs, handshake RTT %d ns; want 3.020040 s, 3, 1, 20.040 ms",
					a.ConnectTime, a.SYNs, a.SYNACKs, a.HandshakeRTT)
			}
		}
	}
}

// TestBufferLimitVerdict checks that bytes skipped at the reassembly buffer
// limit are told as such, never as not captured: connection 3 of
// verdicts.pcap has a segment lost before the capture point, and the
// segments behind it fill a 2-page buffer before it is resent.
func TestBufferLimitVerdict(t *testing.T) {
	so := stream.DefaultOptions
	so.MaxBytes = 2 * 1900
	c := verdictConns(t, "../testdata/pcaps/verdicts.pcap", so)[3]
	f := &c.Data.Streams.Facts[flow.S2C]
	if f.LimitBytes != 1448 || f.GapBytes != 0 {
		t.Fatalf("buffer limit bytes %d, not captured %d; want 1448 and 0", f.LimitBytes, f.GapBytes)
	}
	if len(f.Gaps) != 1 || f.Gaps[0].Kind != stream.BufferLimit {
		t.Fatalf("gaps %+v, want one at the buffer limit", f.Gaps)
	}
	v := verdict(c)
	if want := "1448 bytes from the server not reassembled: buffer limit reached"; !strings.Contains(v, want) || strings.Contains(v, "not captured") {
		t.Errorf("verdict %q, want %q and no \"not captured\"", v, want)
	}
	if s := streamSummary(f); !strings.Contains(s, "1448 bytes not reassembled (1 gap): buffer limit reached") || strings.Contains(s, "missing") {
		t.Errorf("stream facts %q", s)
	}
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	FollowChunkText(w, FollowChunk{Dir: flow.S2C, Off: f.Gaps[0].Offset, Gap: f.Gaps[0].Size, GapKind: f.Gaps[0].Kind}, FollowText)
	w.Flush()
	if got := b.String(); strings.Contains(got, "NOT CAPTURED") || !strings.Contains(got, "1448 bytes NOT REASSEMBLED: buffer limit reached") {
		t.Errorf("--follow says %q", got)
	}
	// With the default limits the stream is whole.
	c = verdictConns(t, "../testdata/pcaps/verdicts.pcap", stream.DefaultOptions)[3]
	if f := &c.Data.Streams.Facts[flow.S2C]; f.LimitBytes != 0 || f.GapBytes != 0 || f.Bytes != 12*1448 {
		t.Errorf("default limits: %d bytes delivered, %d at the limit, %d not captured; want 17376, 0, 0", f.Bytes, f.LimitBytes, f.GapBytes)
	}
}

// TestLossyBulkReassembledWhole checks that the default reassembly limits
// take an 8 MB download over a lossy path whole, as tshark's follow does:
// 1 % of the server's segments are lost before the capture point (at the
// client) and resent 2000 segments (2.9 MB) later, so that much waits
// behind each hole. Nothing may be called missing or left at the limit.
func TestLossyBulkReassembledWhole(t *testing.T) {
	var buf bytes.Buffer
	pw := pcapgo.NewWriter(&buf)
	if err := pw.WriteFileHeader(262144, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	w := craft.NewWire(pw, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	c := w.Conn(netip.MustParseAddrPort("10.0.0.1:40000"), netip.MustParseAddrPort("10.0.0.2:80"), 1000, 5000)
	c.Handshake(20 * time.Millisecond)
	c.Client(craft.PSH|craft.ACK, craft.Payload([]byte("GET /big HTTP/1.1\r\n\r\n")))
	const total, seg, late = 8000000, 1448, 2000
	type lostSeg struct {
		seq   uint32
		n, at int
	}
	var lost []lostSeg
	for i, sent := 0, 0; sent < total; i++ {
		n := min(seg, total-sent)
		if i%100 == 37 {
			s := c.Server(craft.ACK, craft.Data(n), craft.Lost)
			lost = append(lost, lostSeg{s.Seq, n, i + late})
		} else {
			c.Server(craft.ACK, craft.Data(n))
		}
		sent += n
		w.Advance(10 * time.Microsecond)
		for len(lost) > 0 && lost[0].at <= i {
			c.Server(craft.ACK, craft.Seq(lost[0].seq), craft.Data(lost[0].n))
			lost = lost[1:]
		}
		if i%2 == 1 {
			c.Client(craft.ACK)
		}
	}
	for _, l := range lost {
		c.Server(craft.ACK, craft.Seq(l.seq), craft.Data(l.n))
		c.Client(craft.ACK)
	}
	c.Client(craft.FIN | craft.ACK)
	c.Server(craft.FIN | craft.ACK)
	c.Client(craft.ACK)
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "bulk.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	conn := verdictConns(t, path, stream.DefaultOptions)[0]
	f := &conn.Data.Streams.Facts[flow.S2C]
	if f.Bytes != total || f.GapBytes != 0 || f.LimitBytes != 0 {
		t.Errorf("%d bytes delivered, %d not captured, %d at the buffer limit; want %d, 0, 0", f.Bytes, f.GapBytes, f.LimitBytes, total)
	}
	if v := verdict(conn); strings.Contains(v, "not captured") || strings.Contains(v, "buffer limit") {
		t.Errorf("verdict %q", v)
	}
}
