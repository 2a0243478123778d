package report

import (
	"bytes"
	"math"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/internal/corpus"
	"github.com/tcpflow/tcpflow/internal/craft"
	"github.com/tcpflow/tcpflow/internal/gen"
	"github.com/tcpflow/tcpflow/state"
	"github.com/tcpflow/tcpflow/stream"
)

// craftFile writes what build sends on a wire to a pcap file in a temporary
// directory and returns its path.
func craftFile(t *testing.T, build func(w *craft.Wire)) string {
	t.Helper()
	var buf bytes.Buffer
	pw := pcapgo.NewWriter(&buf)
	if err := pw.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	w := craft.NewWire(pw, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	build(w)
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "outseq.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const (
	osRTT = 20 * time.Millisecond
	osSeg = 1000
	us    = time.Microsecond
)

// atServer sends a handshake as captured next to the server: the SYN-ACK
// 40 µs after the SYN, the client's ACK a round trip later.
func atServer(w *craft.Wire, c *craft.Conn) {
	c.Client(craft.SYN, craft.LinuxSYN(1460, 7))
	w.Advance(40 * us)
	c.Server(craft.SYN|craft.ACK, craft.LinuxSYN(1460, 7))
	w.Advance(osRTT)
	c.Client(craft.ACK)
}

// atClient sends a handshake as captured next to the client.
func atClient(w *craft.Wire, c *craft.Conn) { c.Handshake(osRTT) }

// sender returns the side's send function and its endpoint.
func sender(c *craft.Conn, server bool) (func(craft.Flags, ...craft.Field) craft.Sent, *craft.Endpoint) {
	if server {
		return c.Server, c.S
	}
	return c.Client, c.C
}

// nearResend: the side next to the capture sends a segment the capture
// sees but the peer never gets, and one the capture misses, then new data
// and, 1 ms later (well within the handshake's RTT, so Wireshark calls them
// out-of-order), both again: retransmissions, whatever the timing says.
func nearResend(server bool) func(w *craft.Wire, c *craft.Conn) {
	return func(w *craft.Wire, c *craft.Conn) {
		send, _ := sender(c, server)
		a := send(craft.ACK|craft.PSH, craft.Data(osSeg), craft.Dropped)
		b := send(craft.ACK|craft.PSH, craft.Data(osSeg), craft.Lost)
		w.Advance(30 * time.Millisecond)
		send(craft.ACK|craft.PSH, craft.Data(osSeg))
		w.Advance(time.Millisecond)
		send(craft.ACK|craft.PSH, craft.Seq(a.Seq), craft.Data(osSeg))
		send(craft.ACK|craft.PSH, craft.Seq(b.Seq), craft.Data(osSeg))
	}
}

// farReorder: the side away from the capture sends two segments that the
// network swaps: the second is captured 200 µs before the first, whose IPv4
// id is the lower.
func farReorder(server bool) func(w *craft.Wire, c *craft.Conn) {
	return func(w *craft.Wire, c *craft.Conn) {
		send, e := sender(c, server)
		first, id := e.Next, e.IPID
		e.Next, e.IPID = first+osSeg, id+1
		send(craft.ACK|craft.PSH, craft.Data(osSeg))
		w.Advance(200 * us)
		e.IPID = id
		send(craft.ACK|craft.PSH, craft.Seq(first), craft.Data(osSeg))
		e.IPID = id + 2
	}
}

// farLoss: the side away from the capture loses a segment before the
// capture point and sends it again after a retransmission timeout.
func farLoss(server bool) func(w *craft.Wire, c *craft.Conn) {
	return func(w *craft.Wire, c *craft.Conn) {
		send, _ := sender(c, server)
		a := send(craft.ACK|craft.PSH, craft.Data(osSeg), craft.Lost)
		send(craft.ACK|craft.PSH, craft.Data(osSeg))
		w.Advance(200 * time.Millisecond)
		send(craft.ACK|craft.PSH, craft.Seq(a.Seq), craft.Data(osSeg))
	}
}

// unneeded: the server's segment arrives, the client's ACK of it is lost
// before the capture point (next to the server), the server sends it again
// after a timeout and the client answers with a D-SACK of it.
func unneeded(w *craft.Wire, c *craft.Conn) {
	a := c.Server(craft.ACK|craft.PSH, craft.Data(osSeg))
	w.Advance(osRTT)
	c.Client(craft.ACK, craft.Lost)
	w.Advance(200 * time.Millisecond)
	c.Server(craft.ACK|craft.PSH, craft.Seq(a.Seq), craft.Data(osSeg))
	w.Advance(osRTT)
	c.Client(craft.ACK, craft.SACK(craft.Block{Left: a.Seq, Right: a.End}))
}

// acked: the server sends again a segment the client had acknowledged (at
// the client: the ACK is lost after the capture point).
func acked(w *craft.Wire, c *craft.Conn) {
	a := c.Server(craft.ACK|craft.PSH, craft.Data(osSeg))
	w.Advance(40 * us)
	c.Client(craft.ACK, craft.Dropped)
	w.Advance(200 * time.Millisecond)
	c.Server(craft.ACK|craft.PSH, craft.Seq(a.Seq), craft.Data(osSeg))
}

// ambiguous: new bytes filling a hole sooner than an RTT, from a segment
// whose IPv4 id says it was sent after the one that opened the hole.
func ambiguous(w *craft.Wire, c *craft.Conn) {
	a := c.Server(craft.ACK|craft.PSH, craft.Data(osSeg), craft.Lost)
	c.Server(craft.ACK|craft.PSH, craft.Data(osSeg))
	w.Advance(time.Millisecond)
	c.Server(craft.ACK|craft.PSH, craft.Seq(a.Seq), craft.Data(osSeg))
}

// copied: a frame of the server captured twice.
func copied(w *craft.Wire, c *craft.Conn) {
	c.Server(craft.ACK|craft.PSH, craft.Data(osSeg))
	w.Advance(5 * us)
	w.Repeat()
}

// TestOutOfSequence checks the verdict, its codes and the counts for each
// class of out-of-sequence segment, captured next to the client and next to
// the server (state/outseq.go).
func TestOutOfSequence(t *testing.T) {
	type counts struct{ rexmt, lost, unneeded, reordered, dup, ambiguous, dsacks uint32 }
	for _, tt := range []struct {
		name      string
		handshake func(*craft.Wire, *craft.Conn)
		run       func(*craft.Wire, *craft.Conn)
		verdict   string
		codes     []string
		// out counts the side the segments came from, dsacks the other.
		out      counts
		fromSrv  bool
		wsOOO    uint32 // Wireshark's out-of-order count, kept in the findings
		wsRexmit uint32
	}{
		{"client resends, at the client", atClient, nearResend(false),
			"2 retransmissions from the client (captured near the client)",
			[]string{"retransmissions_from_client"}, counts{rexmt: 2}, false, 2, 0},
		{"server resends, at the server", atServer, nearResend(true),
			"2 retransmissions from the server (captured near the server)",
			[]string{"retransmissions_from_server"}, counts{rexmt: 2}, true, 2, 0},
		{"server reordered, at the client", atClient, farReorder(true),
			"1 segment reordered by the network from the server",
			[]string{"reordering_from_server"}, counts{reordered: 1}, true, 1, 0},
		{"client reordered, at the server", atServer, farReorder(false),
			"1 segment reordered by the network from the client",
			[]string{"reordering_from_client"}, counts{reordered: 1}, false, 1, 0},
		{"server lost before the capture, at the client", atClient, farLoss(true),
			"1 retransmission from the server (1 lost before the capture point)",
			[]string{"retransmissions_from_server"}, counts{rexmt: 1, lost: 1}, true, 0, 1},
		{"client lost before the capture, at the server", atServer, farLoss(false),
			"1 retransmission from the client (1 lost before the capture point)",
			[]string{"retransmissions_from_client"}, counts{rexmt: 1, lost: 1}, false, 0, 1},
		{"unneeded by D-SACK, at the server", atServer, unneeded,
			// The server waited 240 ms before it resent (unneeded): a stall
			// on its retransmission timeout, as seen next to it.
			"1 retransmission from the server (captured near the server), 1 retransmission from the server was unneeded (D-SACK), " +
				"stalled 240.000 ms waiting for a retransmission timeout of the server",
			[]string{"retransmissions_from_server", "spurious_retransmissions_from_server", "stall_rto_server"}, counts{rexmt: 1, unneeded: 1, dsacks: 1}, true, 0, 1},
		{"unneeded, already acknowledged, at the client", atClient, acked,
			"1 retransmission from the server, 1 retransmission from the server was unneeded (already acknowledged)",
			[]string{"retransmissions_from_server", "spurious_retransmissions_from_server"}, counts{rexmt: 1, unneeded: 1}, true, 0, 1},
		{"ambiguous, at the client", atClient, ambiguous,
			"clean, still open", []string{"still_open"}, counts{ambiguous: 1}, true, 1, 0},
		{"captured twice, at the client", atClient, copied,
			"Wireshark's retransmission is a frame captured twice, not loss",
			[]string{"capture_artifacts"}, counts{dup: 1}, true, 0, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := craftFile(t, func(w *craft.Wire) {
				c := w.Conn(netip.MustParseAddrPort("192.0.2.1:40000"), netip.MustParseAddrPort("198.51.100.1:80"), 1000, 5000)
				tt.handshake(w, c)
				w.Advance(100 * us)
				tt.run(w, c)
			})
			c := verdictConns(t, path, stream.DefaultOptions)[0]
			if got := verdict(c); got != tt.verdict {
				t.Errorf("verdict %q, want %q", got, tt.verdict)
			}
			if got := VerdictCodes(c); !slices.Equal(got, tt.codes) {
				t.Errorf("codes %q, want %q", got, tt.codes)
			}
			from, to := 0, 1
			if tt.fromSrv {
				from, to = 1, 0
			}
			o := &c.Data.Dir[from].Out
			got := counts{o.Retransmissions, o.LostBeforeCapture, o.Spurious(), o.Reordered, o.Duplicates, o.Ambiguous, c.Data.Dir[to].Out.DSACKs}
			if got != tt.out {
				t.Errorf("counts %+v, want %+v", got, tt.out)
			}
			// Wireshark's names stay on the segments.
			ws := c.Data.Count[from]
			if ws[state.OutOfOrder.Index()] != tt.wsOOO || ws[state.Retransmission.Index()] != tt.wsRexmit {
				t.Errorf("Wireshark's out-of-order %d, retransmissions %d; want %d, %d",
					ws[state.OutOfOrder.Index()], ws[state.Retransmission.Index()], tt.wsOOO, tt.wsRexmit)
			}
		})
	}
}

// TestLossyAgainstReferences checks, on a lossy capture made by the
// project's generator (internal/gen, profile lossy: losses after the capture
// point, reordering, fast and timeout retransmissions, resets), that the
// retransmitted bytes of each direction are within 1 % of tcptrace's "rexmt
// data bytes", that the generator's reordered segments are told as
// reordering and its resends as retransmissions, and that every reset is
// told by the side tshark shows sending the RST.
func TestLossyAgainstReferences(t *testing.T) {
	tcptrace, err := exec.LookPath("tcptrace")
	if err != nil {
		t.Skip("tcptrace not installed: it is the reference of the retransmitted bytes")
	}
	data, err := gen.Bytes(gen.Options{Profile: gen.Lossy, Packets: 20000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "lossy.pcap")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tcptrace, "-l", "-r", path).Output()
	if err != nil {
		t.Fatalf("tcptrace: %v", err)
	}
	// "rexmt data bytes:  N  rexmt data bytes:  M": a->b then b->a, host a
	// being the one that sent the first packet (the client's SYN here).
	var want [2]int64
	re := regexp.MustCompile(`rexmt data bytes:\s+(\d+)\s+rexmt data bytes:\s+(\d+)`)
	for _, m := range re.FindAllStringSubmatch(string(out), -1) {
		for d := range want {
			n, _ := strconv.ParseInt(m[d+1], 10, 64)
			want[d] += n
		}
	}
	conns := verdictConns(t, path, stream.DefaultOptions)
	var got [2]int64
	var reordered, rexmt, woo [2]int64
	for _, c := range conns {
		for d := range got {
			o := &c.Data.Dir[d].Out
			got[d] += c.Data.Dir[d].RexmtBytes
			reordered[d] += int64(o.Reordered)
			rexmt[d] += int64(o.Retransmissions)
			woo[d] += int64(c.Data.Count[d][state.OutOfOrder.Index()])
		}
	}
	for d, name := range []string{"client -> server", "server -> client"} {
		if diff := math.Abs(float64(got[d] - want[d])); diff > 0.01*float64(want[d]) || (want[d] == 0) != (got[d] == 0) {
			t.Errorf("%s: %d bytes retransmitted, tcptrace %d", name, got[d], want[d])
		}
	}
	if want[1] == 0 || reordered[1] == 0 || rexmt[1] == 0 {
		t.Errorf("the server's %d retransmitted bytes, %d retransmissions and %d reordered segments: the lossy profile has all",
			want[1], rexmt[1], reordered[1])
	}
	t.Logf("retransmitted bytes c2s %d (tcptrace %d), s2c %d (tcptrace %d); server: %d retransmissions, %d reordered, Wireshark %d out-of-order",
		got[0], want[0], got[1], want[1], rexmt[1], reordered[1], woo[1])

	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed: it is the reference of the RST senders")
	}
	out, err = exec.Command("tshark", "-r", path, "-Y", "tcp.flags.reset==1", "-T", "fields", "-e", "tcp.stream", "-e", "ip.src").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	first := map[int]string{} // tcp.stream -> source of its first RST
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		id, _ := strconv.Atoi(f[0])
		if _, ok := first[id]; !ok {
			first[id] = f[1]
		}
	}
	resets := 0
	for _, c := range conns {
		a := c.Data
		if a.EndedBy != state.Rst && a.EndedBy != state.Refused {
			continue
		}
		resets++
		by := c.Client.Addr()
		if a.ResetBy == flow.Server {
			by = c.Server.Addr()
		}
		if src, ok := first[c.ID]; !ok || src != by.String() {
			t.Errorf("connection %d: reset by the %s (%s), tshark's first RST from %q", c.ID, a.ResetBy.Side(), by, src)
		}
	}
	if resets == 0 || resets != len(first) {
		t.Errorf("%d connections ended by a RST, tshark has RSTs in %d streams", resets, len(first))
	}
}

// TestDSACKsMatchTshark checks the D-SACKs counted on the corpus captures
// that have some against the frames tshark marks with a D-SACK block
// (tcp.options.sack.dsack_le): the same rule, RFC 2883 section 4.
func TestDSACKsMatchTshark(t *testing.T) {
	dir := corpus.Require(t)
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed: it is the reference of the D-SACKs")
	}
	for _, name := range []string{"gopacket__test300.pcapng", "ndpi__alexa-app.pcapng", "ndpi__ethereum.pcap",
		"ndpi__heuristic_tcp_ack_payload.pcap", "ndpi__reasm_segv_anon.pcapng", "ndpi__sites.pcapng", "ndpi__weibo.pcap"} {
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		out, err := exec.Command("tshark", "-r", path, "-Y", "tcp.options.sack.dsack_le", "-T", "fields", "-e", "frame.number").Output()
		if err != nil {
			t.Fatalf("tshark %s: %v", name, err)
		}
		want := len(strings.Fields(string(out)))
		got := 0
		for _, c := range verdictConns(t, path, stream.DefaultOptions) {
			got += int(c.Data.Dir[0].Out.DSACKs + c.Data.Dir[1].Out.DSACKs)
		}
		if got != want || want == 0 {
			t.Errorf("%s: %d D-SACKs, tshark %d", name, got, want)
		}
	}
}
