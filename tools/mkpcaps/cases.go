package main

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tcpflow/tcpflow/internal/craft"
)

// A pcapCase is one file in testdata/pcaps and the function that makes it.
type pcapCase struct {
	file string
	gen  func() ([]byte, error)
}

var (
	ethernet = classic{link: layers.LinkTypeEthernet}
	rawIP    = classic{link: layers.LinkTypeRaw}
)

// cases lists every crafted capture. testdata/pcaps/README.md says what each
// one shows; keep the two in step (TestReadme checks the names).
var cases = []pcapCase{
	{"textbook.pcap", ethernet.pcap(textbook)},
	{"simultaneous-open.pcap", ethernet.pcap(simultaneousOpen)},
	{"simultaneous-close.pcap", ethernet.pcap(simultaneousClose)},
	{"rst-midstream.pcap", ethernet.pcap(rstMidstream)},
	{"refused.pcap", ethernet.pcap(refused)},
	{"half-close.pcap", ethernet.pcap(halfClose)},
	{"server-close.pcap", ethernet.pcap(serverClose)},
	{"midstream.pcap", ethernet.pcap(midstream)},
	{"wscale-one-side.pcap", ethernet.pcap(wscaleOneSide)},
	{"seq-wrap.pcap", ethernet.pcap(seqWrap)},
	{"port-reuse.pcap", ethernet.pcap(portReuse)},
	{"ipv6-ext.pcap", ethernet.pcap(ipv6Ext)},
	{"vlan-qinq.pcap", ethernet.pcap(vlanQinQ)},
	{"sll.pcap", classic{link: layers.LinkTypeLinuxSLL}.pcap(sll)},
	{"sll2.pcap", classic{link: layers.LinkTypeLinuxSLL2}.pcap(sll2)},
	{"two-interfaces.pcapng", twoInterfaces},
	{"tsresol.pcapng", tsresol},
	{"raw-ip.pcap", rawIP.pcap(rawIPv4v6)},
	{"null-loopback.pcap", classic{link: layers.LinkTypeNull}.pcap(nullLoopback)},
	{"bigendian-nanos.pcap", classic{link: layers.LinkTypeEthernet, bigEndian: true, nanos: true}.pcap(bigEndianNanos)},
	{"gzip.pcap.gz", gzipped(ethernet.pcap(gzipStory))},
	{"snaplen.pcap", classic{link: layers.LinkTypeEthernet, snaplen: 96}.pcap(snaplen)},
	{"corrupt.pcap", corrupted(corruptFrame, ethernet.pcap(textbook))},
	{"cutoff.pcap", cutOff(30, ethernet.pcap(textbook))},
	{"non-tcp.pcap", ethernet.pcap(nonTCP)},
	{"lossy.pcap", ethernet.pcap(lossy)},
	{"textbook-again.pcap", ethernet.pcap(textbookAgain)},
	{"textbook-retrans.pcap", ethernet.pcap(textbookRetrans)},
	{"reassembly.pcap", ethernet.pcap(reassembly)},
	{"tunnels.pcap", ethernet.pcap(tunnels)},
	{"lengths.pcap", ethernet.pcap(lengths)},
	{"bad-headers.pcap", ethernet.pcap(badHeaders)},
	{"linktypes.pcapng", linkTypes},
	{"late-segments.pcap", ethernet.pcap(lateSegments)},
	{"ack-unseen.pcap", ethernet.pcap(ackUnseen)},
	{"synack-isns.pcap", ethernet.pcap(synackISNs)},
	{"refused-retry.pcap", ethernet.pcap(refusedRetry)},
	{"ack-nonzero.pcap", ethernet.pcap(ackNonzero)},
	{"retrans-heavy.pcap", ethernet.pcap(retransHeavy)},
	{"damaged.pcap", ethernet.pcap(damaged)},
	{"bogus-block.pcapng", bogusBlock},
	{"echo.pcap", ethernet.pcap(echoSession)},
	{"duplicate-frames.pcap", ethernet.pcap(duplicateFrames)},
	{"tso-segments.pcap", ethernet.pcap(tsoSegments)},
	{"capture-points.pcap", ethernet.pcap(capturePoints)},
	{"verdicts.pcap", ethernet.pcap(verdicts)},
	{"capture-quality.pcap", ethernet.pcap(captureQuality)},
	{"capture-drops.pcapng", captureDrops},
	{"ack-rtt.pcap", ethernet.pcap(ackRTT)},
	{"stalls.pcap", ethernet.pcap(stalls)},
}

// corruptFrame is the frame of corrupt.pcap whose record header is broken.
const corruptFrame = 9

const (
	fin = craft.FIN
	syn = craft.SYN
	rst = craft.RST
	psh = craft.PSH
	ack = craft.ACK
)

const (
	us = time.Microsecond
	ms = time.Millisecond
)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// closeByClient is the close most stories end with, seen at the client: its
// FIN, the server's FIN-ACK one round trip later, the client's last ACK.
func closeByClient(w *craft.Wire, c *craft.Conn, rtt time.Duration) {
	c.Client(fin | ack)
	w.Advance(rtt)
	c.Server(fin | ack)
	w.Advance(40 * us)
	c.Client(ack)
}

// seg is the payload of a full-sized segment: MSS 1460 less the 12 bytes
// the timestamps option takes.
const seg = 1448

// textbook is the teaching example: curl fetching a small page from a web
// server 20 ms away, captured on the client. Three-way handshake, request,
// a two-segment response, and a four-way teardown that the client starts.
func textbook(w *craft.Wire) {
	textbookStory(w, textbookRun{port: 51234, clientISN: 0x2ed1c6a5, serverISN: 0x9b5c0e31, rtt: 20 * ms})
}

// textbookAgain is the textbook scenario captured another time: another
// ephemeral port, other ISNs, a 10% slower path. A golden report that ignores
// isn, ports and time and allows some RTT drift must still pass on it
// (cmd/tcpflow/testdata/check.txtar).
func textbookAgain(w *craft.Wire) {
	w.Advance(3 * time.Hour)
	textbookStory(w, textbookRun{port: 40022, clientISN: 0x11223344, serverISN: 0x55667788, rtt: 22 * ms})
}

// textbookRetrans is the textbook scenario where the first segment of the
// response is lost after the capture point: the client acknowledges the
// second one with a duplicate ACK and SACK, and the server sends the first
// again after its retransmission timeout. The TCP behaviour changed, and a
// golden check must say so.
func textbookRetrans(w *craft.Wire) {
	textbookStory(w, textbookRun{port: 51234, clientISN: 0x2ed1c6a5, serverISN: 0x9b5c0e31, rtt: 20 * ms, loseFirst: true})
}

// textbookRun is what varies between captures of the textbook scenario.
type textbookRun struct {
	port                 uint16
	clientISN, serverISN uint32
	rtt                  time.Duration
	loseFirst            bool // the first response segment is lost after the tap and resent
}

func textbookStory(w *craft.Wire, run textbookRun) {
	c := w.Conn(ap(fmt.Sprintf("192.168.1.10:%d", run.port)), ap("93.184.216.34:80"), run.clientISN, run.serverISN)
	rtt := run.rtt
	c.Handshake(rtt)
	w.Advance(150 * us)
	c.Client(psh|ack, craft.Payload([]byte(textbookRequest)))
	w.Advance(rtt)
	c.Server(ack)
	w.Advance(400 * us)
	resp := textbookResponse()
	lost := craft.Fields()
	if run.loseFirst {
		lost = craft.Dropped
	}
	first := c.Server(ack, craft.Payload(resp[:seg]), lost)
	w.Advance(30 * us)
	c.Server(psh|ack, craft.Payload(resp[seg:]))
	w.Advance(60 * us)
	c.Client(ack)
	if run.loseFirst {
		w.Advance(200 * ms)
		c.Server(ack, craft.Seq(first.Seq), craft.Payload(resp[:seg]))
		w.Advance(60 * us)
		c.Client(ack)
	}
	w.Advance(4 * ms)
	c.Client(fin | ack)
	w.Advance(rtt)
	c.Server(ack)
	w.Advance(200 * us)
	c.Server(fin | ack)
	w.Advance(50 * us)
	c.Client(ack)
}

const textbookRequest = "GET /index.html HTTP/1.1\r\n" +
	"Host: example.com\r\n" +
	"User-Agent: curl/8.5.0\r\n" +
	"Accept: */*\r\n" +
	"\r\n"

// textbookResponse returns an HTTP response that takes a full segment and a
// short one.
func textbookResponse() []byte {
	var body strings.Builder
	body.WriteString("<!doctype html>\n<html>\n<head>\n<title>A TCP conversation</title>\n</head>\n<body>\n")
	body.WriteString("<h1>A TCP conversation</h1>\n")
	lines := []string{
		"The client sent SYN with its initial sequence number and its options.",
		"The server answered SYN-ACK: its own ISN, and the client's ISN plus one as the acknowledgment.",
		"The client's ACK completed the three-way handshake: both sides are ESTABLISHED.",
		"The request went out in one segment with PSH set; the server acknowledged it.",
		"This page is the response. It does not fit in one segment of 1448 bytes,",
		"so it travels in two, and the client acknowledges both with one ACK.",
		"Then the client closes: FIN, the server's ACK, the server's FIN, the last ACK.",
		"The client waits in TIME-WAIT for twice the maximum segment lifetime.",
	}
	for i := 0; i < 3; i++ {
		for _, l := range lines {
			body.WriteString("<p>" + l + "</p>\n")
		}
	}
	body.WriteString("</body>\n</html>\n")
	b := body.String()
	return []byte("HTTP/1.1 200 OK\r\n" +
		"Date: Tue, 02 Jan 2024 03:04:05 GMT\r\n" +
		"Server: ECS (nyb/1D2A)\r\n" +
		"Content-Type: text/html; charset=UTF-8\r\n" +
		fmt.Sprintf("Content-Length: %d\r\n", len(b)) +
		"Cache-Control: max-age=604800\r\n" +
		"\r\n" + b)
}

// simultaneousOpen: both peers send SYN at once (as in NAT hole punching),
// each answers the other's SYN with SYN-ACK carrying its own ISN again, and
// both reach ESTABLISHED without a third ACK (RFC 9293 figure 8). Captured on
// the "client", the side whose SYN came first.
func simultaneousOpen(w *craft.Wire) {
	c := w.Conn(ap("192.0.2.1:5000"), ap("198.51.100.2:6000"), 0x0badcafe, 0x5eedf00d)
	const rtt = 15 * ms
	c.Client(syn, craft.LinuxSYN(1460, 7))
	w.Advance(100 * us) // the peer's SYN left before ours arrived: they cross
	c.Server(syn, craft.LinuxSYN(1460, 7))
	w.Advance(50 * us)
	c.Client(syn|ack, craft.LinuxSYN(1460, 7))
	w.Advance(rtt)
	c.Server(syn|ack, craft.LinuxSYN(1460, 7))
	w.Advance(2 * ms)
	c.Client(psh|ack, craft.Payload([]byte("hello from 192.0.2.1\n")))
	w.Advance(rtt)
	c.Server(psh|ack, craft.Payload([]byte("hello from 198.51.100.2\n")))
	w.Advance(40 * ms)
	c.Client(ack)
	w.Advance(1 * ms)
	c.Client(fin | ack)
	w.Advance(rtt)
	c.Server(fin | ack)
	w.Advance(50 * us)
	c.Client(ack)
}

// simultaneousClose: after a short exchange both sides send FIN before
// either has seen the other's, so each FIN acknowledges only data; both go
// through CLOSING and acknowledge the other's FIN (RFC 9293 figure 13).
// Captured at the client; the server is half a round trip away.
func simultaneousClose(w *craft.Wire) {
	c := w.Conn(ap("192.0.2.10:43120"), ap("198.51.100.20:7000"), 0x7a3d0001, 0x1c2b3a49)
	const rtt = 10 * ms
	c.S.Delay = rtt / 2
	c.Handshake(rtt)
	w.Advance(100 * us)
	c.Client(psh|ack, craft.Payload([]byte("QUIT\r\n")))
	w.Advance(rtt)
	c.Server(psh|ack, craft.Payload([]byte("221 Bye\r\n")))
	w.Advance(50 * us)
	c.Client(fin | ack)
	w.Advance(80 * us)
	c.Server(fin | ack) // left the server before the client's FIN reached it
	w.Advance(40 * us)
	c.Client(ack)
	w.Advance(rtt)
	c.Server(ack)
}

// rstMidstream: a client uploads to a server that rejects the request after
// reading its header and closes with data unread, which resets the
// connection (RFC 9293 section 3.10.4). A client segment already in flight
// arrives after the RST and gets a bare RST back, its sequence number taken
// from that segment's ACK field. Captured on the server.
func rstMidstream(w *craft.Wire) {
	c := w.Conn(ap("192.0.2.10:50312"), ap("198.51.100.20:8080"), 0x4f1e2d3c, 0x6a5b4c3d)
	const rtt = 25 * ms
	c.C.Delay = rtt / 2
	c.Client(syn, craft.LinuxSYN(1460, 7))
	w.Advance(60 * us)
	c.Server(syn|ack, craft.LinuxSYN(1460, 7))
	w.Advance(rtt)
	c.Client(ack)
	w.Advance(200 * us)
	c.Client(psh|ack, craft.Payload([]byte("PUT /upload/big.iso HTTP/1.1\r\nHost: 198.51.100.20:8080\r\nContent-Length: 104857600\r\n\r\n")))
	w.Advance(40 * us)
	c.Server(ack)
	w.Advance(120 * us)
	c.Client(ack, craft.Data(seg))
	w.Advance(120 * us)
	c.Client(ack, craft.Data(seg))
	w.Advance(900 * us)
	c.Server(rst | ack) // 413: the server closes with the upload unread
	w.Advance(100 * us)
	late := c.Client(ack, craft.Data(seg)) // sent before the RST reached the client
	w.Advance(30 * us)
	c.Server(rst, craft.Seq(late.Ack), craft.NoTimestamps)
}

// refused: a SYN to a port nobody listens on is answered by RST-ACK with
// sequence number 0 and the SYN's sequence number plus one as the
// acknowledgment (RFC 9293 section 3.10.7.1). The client, bound to a fixed
// source port, retries a second later with a new ISN and is refused again.
func refused(w *craft.Wire) {
	cli, srv := ap("192.0.2.10:41000"), ap("198.51.100.20:8080")
	for i, isn := range []uint32{0x2f3e4d5c, 0x3a4b5c6d} {
		if i > 0 {
			w.Advance(1 * time.Second)
		}
		c := w.Conn(cli, srv, isn, 0)
		c.Client(syn, craft.LinuxSYN(1460, 7))
		w.Advance(310 * us)
		c.Server(rst|ack, craft.Window(0))
	}
}

// halfClose: the client sends a job and shuts down its sending side
// (shutdown(SHUT_WR), so FIN); the server acknowledges the FIN, keeps
// sending results for a while, and only then closes its side.
func halfClose(w *craft.Wire) {
	c := w.Conn(ap("192.0.2.10:52000"), ap("198.51.100.20:9000"), 0x11223344, 0x55667788)
	const rtt = 12 * ms
	c.Handshake(rtt)
	w.Advance(100 * us)
	c.Client(psh|ack, craft.Payload([]byte("sort -n <<EOF\n3\n1\n2\nEOF\n")))
	w.Advance(20 * us)
	c.Client(fin | ack)
	w.Advance(rtt)
	c.Server(ack)
	for i := 0; i < 4; i++ {
		w.Advance(25 * ms)
		c.Server(psh|ack, craft.Data(200+100*i))
		w.Advance(40 * us)
		c.Client(ack)
	}
	w.Advance(30 * ms)
	c.Server(fin | ack)
	w.Advance(50 * us)
	c.Client(ack)
}

// serverClose: an HTTP/1.0 exchange in which the server closes first, right
// after its response; the client then closes its side.
func serverClose(w *craft.Wire) {
	c := w.Conn(ap("192.0.2.10:52410"), ap("198.51.100.20:80"), 0x6e5d4c3b, 0x2a190817)
	const rtt = 18 * ms
	c.Handshake(rtt)
	w.Advance(120 * us)
	c.Client(psh|ack, craft.Payload([]byte("GET /status HTTP/1.0\r\nHost: 198.51.100.20\r\n\r\n")))
	w.Advance(rtt)
	c.Server(ack, craft.Data(seg))
	w.Advance(20 * us)
	c.Server(psh|ack, craft.Data(512))
	w.Advance(10 * us)
	c.Server(fin | ack)
	w.Advance(50 * us)
	c.Client(ack)
	w.Advance(300 * us)
	c.Client(fin | ack)
	w.Advance(rtt)
	c.Server(ack)
}

// midstream: the capture starts 37 seconds into an SSH session, long after
// the handshake: no SYNs, so the window scale is unknown. Data flows both
// ways, then the client closes.
func midstream(w *craft.Wire) {
	c := w.Conn(ap("192.0.2.10:60222"), ap("198.51.100.20:22"), 0x0f0e0d0c, 0x7b6a5948)
	const rtt = 30 * ms
	c.Client(syn, craft.LinuxSYN(1460, 7), craft.Unseen)
	w.Advance(rtt)
	c.Server(syn|ack, craft.LinuxSYN(1460, 7), craft.Unseen)
	c.Client(ack, craft.Unseen)
	c.Client(psh|ack, craft.Data(1200), craft.Unseen)
	w.Advance(rtt)
	c.Server(psh|ack, craft.Data(900), craft.Unseen)
	w.Advance(37 * time.Second)
	for i := 0; i < 3; i++ {
		c.Client(psh|ack, craft.Data(36)) // a keystroke
		w.Advance(rtt)
		c.Server(psh|ack, craft.Data(36)) // its echo
		w.Advance(40 * us)
		c.Client(ack)
		w.Advance(180 * ms)
	}
	c.Client(psh|ack, craft.Data(52))
	w.Advance(rtt)
	c.Server(psh|ack, craft.Data(seg))
	w.Advance(20 * us)
	c.Server(psh|ack, craft.Data(700))
	w.Advance(40 * us)
	c.Client(ack)
	w.Advance(2 * ms)
	closeByClient(w, c, rtt)
}

// wscaleOneSide: the client offers window scale 7 but the server's SYN-ACK
// has none, so scaling is off in both directions (RFC 7323 section 2.2) and
// every window is the raw field: the client's 63712 must not become 63712<<7.
func wscaleOneSide(w *craft.Wire) {
	c := w.Conn(ap("192.0.2.10:53100"), ap("198.51.100.20:80"), 0x19283746, 0x56473829)
	c.C.Window, c.S.Window = 63712, 30016
	const rtt = 22 * ms
	c.Client(syn, craft.LinuxSYN(1460, 7))
	w.Advance(rtt)
	c.Server(syn|ack, craft.MSS(1460), craft.SACKPermitted, craft.Timestamps, craft.NOP, craft.NOP)
	w.Advance(40 * us)
	c.Client(ack)
	w.Advance(100 * us)
	c.Client(psh|ack, craft.Payload([]byte("GET /file HTTP/1.1\r\nHost: 198.51.100.20\r\n\r\n")))
	w.Advance(rtt)
	for i := 0; i < 4; i++ {
		c.Server(ack, craft.Data(seg))
		w.Advance(30 * us)
		if i%2 == 1 {
			c.Client(ack)
			w.Advance(30 * us)
		}
	}
	c.Server(psh|ack, craft.Data(300))
	w.Advance(40 * us)
	c.Client(ack, craft.Window(62000))
	w.Advance(3 * ms)
	closeByClient(w, c, rtt)
}

// seqWrap: ISNs just below 2^32, so both directions' sequence numbers wrap
// through zero during the transfer: the client's in its third segment, the
// server's in its first.
func seqWrap(w *craft.Wire) {
	c := w.Conn(ap("192.0.2.10:54321"), ap("198.51.100.20:8000"), 0xfffff000, 0xfffffc00)
	const rtt = 8 * ms
	c.Handshake(rtt)
	w.Advance(100 * us)
	for i := 0; i < 4; i++ {
		f := ack
		if i == 3 {
			f |= psh
		}
		c.Client(f, craft.Data(seg))
		w.Advance(20 * us)
	}
	w.Advance(rtt)
	c.Server(ack)
	w.Advance(200 * us)
	c.Server(ack, craft.Data(seg))
	w.Advance(20 * us)
	c.Server(psh|ack, craft.Data(seg))
	w.Advance(40 * us)
	c.Client(ack)
	w.Advance(1 * ms)
	closeByClient(w, c, rtt)
}

// portReuse: three connections on one 4-tuple. The first ends with the
// server closing first, so the server's TIME-WAIT accepts a new SYN with a
// higher ISN (RFC 9293 section 3.6.1); the second is aborted by the client's
// RST; the third starts half a second after the RST with an unrelated ISN.
func portReuse(w *craft.Wire) {
	cli, srv := ap("192.0.2.10:50000"), ap("198.51.100.20:80")
	const rtt = 10 * ms
	exchange := func(c *craft.Conn) {
		c.Handshake(rtt)
		w.Advance(100 * us)
		c.Client(psh|ack, craft.Payload([]byte("GET /poll HTTP/1.1\r\nHost: 198.51.100.20\r\n\r\n")))
		w.Advance(rtt)
		c.Server(psh|ack, craft.Data(400))
		w.Advance(40 * us)
		c.Client(ack)
	}

	c1 := w.Conn(cli, srv, 0x10000000, 0x50000000)
	exchange(c1)
	w.Advance(5 * ms)
	c1.Server(fin | ack)
	w.Advance(40 * us)
	c1.Client(ack)
	w.Advance(200 * us)
	c1.Client(fin | ack)
	w.Advance(rtt)
	c1.Server(ack)

	w.Advance(1500 * ms)
	c2 := w.Conn(cli, srv, 0x30000000, 0x7a000000)
	exchange(c2)
	w.Advance(2 * ms)
	c2.Client(rst | ack)

	w.Advance(500 * ms)
	c3 := w.Conn(cli, srv, 0x0c000000, 0x21000000)
	exchange(c3)
	w.Advance(2 * ms)
	c3.Client(fin | ack)
	w.Advance(rtt)
	c3.Server(fin | ack)
	w.Advance(40 * us)
	c3.Client(ack)
}

// ipv6Ext: an IPv6 connection whose every packet carries a hop-by-hop
// options header and a destination options header between the IPv6 header
// and TCP, so TCP is the third header in the chain.
func ipv6Ext(w *craft.Wire) {
	c := w.Conn(ap("[2001:db8::10]:50001"), ap("[2001:db8:1::20]:443"), 0x3c4d5e6f, 0x708192a3)
	c.IPv6Ext = true
	const rtt = 16 * ms
	const seg6 = 1428 // MSS 1440 less 12 bytes of timestamps
	c.Handshake(rtt)
	w.Advance(150 * us)
	c.Client(psh|ack, craft.Data(517))
	w.Advance(rtt)
	c.Server(ack, craft.Data(seg6))
	w.Advance(20 * us)
	c.Server(psh|ack, craft.Data(1100))
	w.Advance(40 * us)
	c.Client(ack)
	w.Advance(1 * ms)
	c.Client(psh|ack, craft.Data(80))
	w.Advance(rtt)
	c.Server(psh|ack, craft.Data(300))
	w.Advance(40 * us)
	closeByClient(w, c, rtt)
}

// vlanQinQ: two interleaved connections on one trunk, one tagged 802.1Q
// VLAN 100, the other double-tagged: service VLAN 200 (EtherType 0x88a8)
// outside customer VLAN 300 (0x8100).
func vlanQinQ(w *craft.Wire) {
	a := w.Conn(ap("192.0.2.10:47001"), ap("198.51.100.20:80"), 0x01020304, 0x05060708)
	a.Link = craft.Link{Framing: craft.Dot1Q, VLAN: 100}
	b := w.Conn(ap("203.0.113.10:47002"), ap("198.51.100.30:80"), 0x090a0b0c, 0x0d0e0f10)
	b.Link = craft.Link{Framing: craft.QinQ, OuterVLAN: 200, VLAN: 300}
	const rtt = 5 * ms
	a.Client(syn, craft.LinuxSYN(1460, 7))
	w.Advance(1 * ms)
	b.Client(syn, craft.LinuxSYN(1460, 7))
	w.Advance(rtt - 1*ms)
	a.Server(syn|ack, craft.LinuxSYN(1460, 7))
	w.Advance(30 * us)
	a.Client(ack)
	w.Advance(1 * ms)
	b.Server(syn|ack, craft.LinuxSYN(1460, 7))
	w.Advance(30 * us)
	b.Client(ack)
	for _, c := range []*craft.Conn{a, b} {
		w.Advance(100 * us)
		c.Client(psh|ack, craft.Payload([]byte("GET / HTTP/1.1\r\nHost: example.net\r\n\r\n")))
	}
	for _, c := range []*craft.Conn{a, b} {
		w.Advance(rtt / 2)
		c.Server(psh|ack, craft.Data(700))
		w.Advance(30 * us)
		c.Client(ack)
	}
	for _, c := range []*craft.Conn{a, b} {
		w.Advance(1 * ms)
		c.Client(fin | ack)
		w.Advance(rtt)
		c.Server(fin | ack)
		w.Advance(30 * us)
		c.Client(ack)
	}
}

// request sends a short request and a two-segment response and closes from
// the client: the body of several small captures.
func request(w *craft.Wire, c *craft.Conn, rtt time.Duration, respLen int) {
	c.Handshake(rtt)
	w.Advance(100 * us)
	c.Client(psh|ack, craft.Payload([]byte("GET /data HTTP/1.1\r\nHost: example.org\r\n\r\n")))
	w.Advance(rtt)
	full := seg
	if !c.C.Addr.Addr().Unmap().Is4() {
		full = 1428
	}
	c.Server(ack, craft.Data(full))
	w.Advance(25 * us)
	c.Server(psh|ack, craft.Data(respLen-full))
	w.Advance(40 * us)
	c.Client(ack)
	w.Advance(1 * ms)
	closeByClient(w, c, rtt)
}

// sll: a connection captured with tcpdump -i any on an older Linux, which
// writes Linux cooked headers (v1): packet type outgoing for the client's
// packets, host for the server's.
func sll(w *craft.Wire) {
	c := w.Conn(ap("192.0.2.10:55001"), ap("198.51.100.20:80"), 0x2468ace0, 0x13579bdf)
	c.Link = craft.Link{Framing: craft.SLL}
	request(w, c, 14*ms, 2000)
}

// sll2: the same kind of capture from a newer tcpdump -i any, which writes
// cooked headers v2 with the interface index: an IPv4 connection on
// ifindex 2 and an IPv6 one on ifindex 3.
func sll2(w *craft.Wire) {
	c := w.Conn(ap("192.0.2.10:55002"), ap("198.51.100.20:80"), 0x0a1b2c3d, 0x4e5f6071)
	c.Link = craft.Link{Framing: craft.SLL2, IfIndex: 2}
	request(w, c, 14*ms, 2000)
	w.Advance(50 * ms)
	c6 := w.Conn(ap("[2001:db8::10]:55003"), ap("[2001:db8:1::20]:80"), 0x1a2b3c4d, 0x5e6f7081)
	c6.Link = craft.Link{Framing: craft.SLL2, IfIndex: 3}
	request(w, c6, 14*ms, 2000)
}

// rawIPv4v6: LINKTYPE_RAW, where each packet starts with its IP header and
// the version nibble says v4 or v6: one connection of each.
func rawIPv4v6(w *craft.Wire) {
	c4 := w.Conn(ap("192.0.2.10:56001"), ap("198.51.100.20:80"), 0x31415926, 0x27182818)
	c4.Link = craft.Link{Framing: craft.RawIP}
	request(w, c4, 9*ms, 1800)
	w.Advance(20 * ms)
	c6 := w.Conn(ap("[2001:db8::10]:56002"), ap("[2001:db8:1::20]:80"), 0x14142135, 0x17320508)
	c6.Link = craft.Link{Framing: craft.RawIP}
	request(w, c6, 9*ms, 1800)
}

// nullLoopback: BSD loopback (LINKTYPE_NULL) as on macOS's lo0: a 4-byte
// address family in host byte order, 2 for IPv4 and 30 for IPv6. Loopback's
// MTU is 16384, so the MSS is 16344.
func nullLoopback(w *craft.Wire) {
	for i, pair := range [][2]string{
		{"127.0.0.1:57001", "127.0.0.1:8080"},
		{"[::1]:57002", "[::1]:8080"},
	} {
		if i > 0 {
			w.Advance(10 * ms)
		}
		c := w.Conn(ap(pair[0]), ap(pair[1]), 0x600d0000+uint32(i), 0x0dd50000+uint32(i))
		c.Link = craft.Link{Framing: craft.Null}
		c.C.SYNWindow, c.S.SYNWindow = 65535, 65535 // macOS
		c.C.Window, c.S.Window = 6379, 6379         // about 400 KB at scale 6
		const rtt = 80 * us
		c.Client(syn, craft.LinuxSYN(16344, 6))
		w.Advance(rtt)
		c.Server(syn|ack, craft.LinuxSYN(16344, 6))
		w.Advance(20 * us)
		c.Client(ack)
		w.Advance(50 * us)
		c.Client(psh|ack, craft.Payload([]byte("ping\n")))
		w.Advance(rtt)
		c.Server(psh|ack, craft.Payload([]byte("pong\n")))
		w.Advance(20 * us)
		c.Client(fin | ack)
		w.Advance(rtt)
		c.Server(fin | ack)
		w.Advance(20 * us)
		c.Client(ack)
	}
}

// bigEndianNanos: a big-endian pcap (magic a1 b2 3c 4d read as written) with
// nanosecond timestamps, whose fractions use all nine digits.
func bigEndianNanos(w *craft.Wire) {
	w.Advance(123456789 * time.Nanosecond)
	c := w.Conn(ap("192.0.2.10:58001"), ap("198.51.100.20:443"), 0x0a0b0c0d, 0x1a1b1c1d)
	c.Client(syn, craft.LinuxSYN(1460, 7))
	w.Advance(3210987 * time.Nanosecond)
	c.Server(syn|ack, craft.LinuxSYN(1460, 7))
	w.Advance(41003 * time.Nanosecond)
	c.Client(ack)
	w.Advance(98765 * time.Nanosecond)
	c.Client(psh|ack, craft.Data(300))
	w.Advance(3333333 * time.Nanosecond)
	c.Server(psh|ack, craft.Data(1200))
	w.Advance(40001 * time.Nanosecond)
	c.Client(fin | ack)
	w.Advance(3100007 * time.Nanosecond)
	c.Server(fin | ack)
	w.Advance(39999 * time.Nanosecond)
	c.Client(ack)
}

// gzipStory is the capture inside gzip.pcap.gz.
func gzipStory(w *craft.Wire) {
	c := w.Conn(ap("192.0.2.10:59001"), ap("198.51.100.20:80"), 0x5a5a0001, 0xa5a50001)
	request(w, c, 11*ms, 2500)
}

// snaplen: captured with a snapshot length of 96 bytes, so every frame with
// more than 30 bytes of payload is cut (captured length < wire length) and
// the payload length must come from the IP header.
func snaplen(w *craft.Wire) {
	c := w.Conn(ap("192.0.2.10:59100"), ap("198.51.100.20:80"), 0x7e7e0001, 0x3c3c0001)
	const rtt = 10 * ms
	c.Handshake(rtt)
	w.Advance(100 * us)
	c.Client(psh|ack, craft.Payload([]byte("GET /big HTTP/1.1\r\nHost: example.org\r\n\r\n")))
	w.Advance(rtt)
	for i := 0; i < 4; i++ {
		c.Server(ack, craft.Data(seg))
		w.Advance(25 * us)
		if i%2 == 1 {
			c.Client(ack)
			w.Advance(25 * us)
		}
	}
	c.Server(psh|ack, craft.Data(20))
	w.Advance(40 * us)
	c.Client(ack)
	w.Advance(1 * ms)
	closeByClient(w, c, rtt)
}

// newNgWriter starts a pcapng file whose first interface is eth0, Ethernet.
func newNgWriter(buf *bytes.Buffer) (*pcapgo.NgWriter, error) {
	return pcapgo.NewNgWriterInterface(buf,
		pcapgo.NgInterface{Name: "eth0", LinkType: layers.LinkTypeEthernet, SnapLength: defaultSnaplen},
		pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "tcpflow mkpcaps"}})
}

// twoInterfaces: a pcapng file written by pcapgo.NgWriter with two
// interfaces of different link types, eth0 (Ethernet) and tun0 (raw IP),
// and one connection on each. pcapgo writes if_tsresol 9 (nanoseconds) for
// every interface; tsresol.pcapng has differing resolutions.
func twoInterfaces() ([]byte, error) {
	var buf bytes.Buffer
	ng, err := newNgWriter(&buf)
	if err != nil {
		return nil, err
	}
	if _, err := ng.AddInterface(pcapgo.NgInterface{Name: "tun0", LinkType: layers.LinkTypeRaw, SnapLength: defaultSnaplen}); err != nil {
		return nil, err
	}
	w := craft.NewWire(ng, start)
	twoConns(w, craft.Link{Interface: 0}, craft.Link{Framing: craft.RawIP, Interface: 1})
	if err := w.Err(); err != nil {
		return nil, err
	}
	if err := ng.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// tsresol: a pcapng file whose two interfaces count time differently:
// eth0 has no if_tsresol option, so its timestamps are microseconds; wg0
// (raw IP) says if_tsresol 9, nanoseconds. One connection on each, with
// sub-microsecond steps that only wg0 keeps.
func tsresol() ([]byte, error) {
	var buf bytes.Buffer
	ng, err := craft.NewResolNgWriter(&buf,
		craft.NgInterface{LinkType: layers.LinkTypeEthernet, SnapLen: defaultSnaplen, Name: "eth0"},
		craft.NgInterface{LinkType: layers.LinkTypeRaw, SnapLen: defaultSnaplen, Name: "wg0", TSResol: 9})
	if err != nil {
		return nil, err
	}
	w := craft.NewWire(ng, start)
	twoConns(w, craft.Link{Interface: 0}, craft.Link{Framing: craft.RawIP, Interface: 1})
	if err := w.Err(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// twoConns interleaves a connection on link a with one on link b, stepping
// the clock by odd nanosecond amounts.
func twoConns(w *craft.Wire, a, b craft.Link) {
	ca := w.Conn(ap("192.0.2.10:60001"), ap("198.51.100.20:80"), 0x11111111, 0x22222222)
	ca.Link = a
	cb := w.Conn(ap("10.8.0.2:60002"), ap("10.8.0.1:5432"), 0x33333333, 0x44444444)
	cb.Link = b
	const step = 1234567 * time.Nanosecond
	for _, c := range []*craft.Conn{ca, cb} {
		c.Client(syn, craft.LinuxSYN(1460, 7))
		w.Advance(step)
	}
	for _, c := range []*craft.Conn{ca, cb} {
		c.Server(syn|ack, craft.LinuxSYN(1460, 7))
		w.Advance(41 * time.Microsecond)
		c.Client(ack)
		w.Advance(step)
	}
	for _, c := range []*craft.Conn{ca, cb} {
		c.Client(psh|ack, craft.Data(120))
		w.Advance(step)
	}
	for _, c := range []*craft.Conn{ca, cb} {
		c.Server(psh|ack, craft.Data(900))
		w.Advance(333 * time.Nanosecond)
		c.Client(fin | ack)
		w.Advance(step)
	}
	for _, c := range []*craft.Conn{ca, cb} {
		c.Server(fin | ack)
		w.Advance(777 * time.Nanosecond)
		c.Client(ack)
		w.Advance(step)
	}
}
