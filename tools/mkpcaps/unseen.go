package main

import (
	"time"

	"github.com/tcpflow/tcpflow/internal/craft"
)

// The captures in this file each show a kind of difference from Wireshark
// (or Zeek) that public captures the analysis was not tuned on revealed;
// unseen_test.go checks the facts tcpflow must report on each, and the
// differential harness compares them with tshark frame by frame.

// ackUnseen (kind 1): a download captured on a span port that misses some of
// the server's segments although the client receives them. Wireshark reports
// "ACKed segment that was not captured" once per loss: on the first ACK of a
// hole, and on the first ACK beyond everything the server was seen to send;
// the ACKs after it, and the second copy of an ACK the span port duplicated,
// are not reported again until the server sends another acknowledgment
// number.
func ackUnseen(w *craft.Wire) {
	c := w.Conn(ap("192.0.2.10:49200"), ap("198.51.100.20:80"), 0x1a2b3c4d, 0x5e6f7081)
	const rtt = 8 * ms
	c.Handshake(rtt)
	w.Advance(100 * us)
	c.Client(psh|ack, craft.Payload([]byte("GET /report.pdf HTTP/1.1\r\nHost: 198.51.100.20\r\n\r\n")))
	w.Advance(rtt)
	c.Server(ack)
	// s1 seen, s2 not, s3 seen: the client's ACK of s3 acknowledges s2.
	for i, travel := range []craft.Travel{0, craft.Unseen, 0} {
		if travel != 0 {
			c.Server(ack, craft.Data(seg), travel)
		} else {
			c.Server(ack, craft.Data(seg))
		}
		if i < 2 {
			w.Advance(60 * us)
		}
	}
	w.Advance(200 * us)
	c.Client(ack)
	w.Advance(5 * us)
	c.Client(ack, craft.NoTimestamps) // the span port sends the ACK twice (the copy lost its options)
	// s4 and s5 never seen: each ACK goes beyond all the server was seen to send.
	for range 2 {
		w.Advance(60 * us)
		c.Server(ack, craft.Data(seg), craft.Unseen)
		w.Advance(200 * us)
		c.Client(ack)
	}
	// The server's next segment carries the same acknowledgment number: the
	// report stays held. The client then sends a request, the server
	// acknowledges it, and the next ACK beyond what was seen is reported.
	w.Advance(60 * us)
	c.Server(ack, craft.Data(seg), craft.Unseen)
	w.Advance(200 * us)
	c.Client(ack)
	w.Advance(1 * ms)
	c.Client(psh|ack, craft.Payload([]byte("GET /page2 HTTP/1.1\r\nHost: 198.51.100.20\r\n\r\n")))
	w.Advance(rtt)
	c.Server(ack)
	w.Advance(60 * us)
	c.Server(psh|ack, craft.Data(300), craft.Unseen)
	w.Advance(200 * us)
	c.Client(ack)
	w.Advance(5 * ms)
	closeByClient(w, c, rtt)
}

// synackISNs (kind 5): a server answering one SYN with two SYN-ACKs that
// carry different ISNs (a load balancer whose two back ends both answer the
// client's SYN and its retransmission). On port 41000 the client takes the
// first and the second is a stray: the client acknowledges the first ISN and
// the server's data counts from it; Wireshark rebases the server's numbers on
// the second SYN-ACK (its follow of the server's side then finds nothing). On
// port 41001, captured near the server, the first SYN-ACK is lost after the
// capture point: the client answers the second, and the data counts from its
// ISN.
func synackISNs(w *craft.Wire) {
	const rtt = 20 * ms
	req := []byte("GET /index.html HTTP/1.1\r\nHost: 198.51.100.20\r\n\r\n")

	// Port 41000: the second SYN-ACK is a stray.
	c := w.Conn(ap("192.0.2.10:41000"), ap("198.51.100.20:80"), 0x3c4d5e6f, 0x60708090)
	c.Client(syn, craft.LinuxSYN(1460, 7))
	w.Advance(1 * time.Second)
	c.Client(syn, craft.LinuxSYN(1460, 7)) // retransmitted: the answer is slow
	w.Advance(rtt)
	c.Server(syn|ack, craft.LinuxSYN(1460, 7))
	w.Advance(40 * us)
	c.Client(ack)
	w.Advance(100 * us)
	c.Client(psh|ack, craft.Payload(req))
	w.Advance(2 * ms)
	// Another back end answers the retransmitted SYN; the client drops it
	// (it is established) and repeats its ACK of the first.
	first := *c.S
	c.S.ISN = 0x9aabbccd
	c.Server(syn|ack, craft.LinuxSYN(1460, 7), craft.Ack(c.C.ISN+1), craft.Dropped)
	*c.S = first
	w.Advance(40 * us)
	c.Client(ack)
	w.Advance(rtt)
	c.Server(ack)
	c.Server(ack, craft.Data(seg))
	c.Server(psh|ack, craft.Data(700))
	w.Advance(40 * us)
	c.Client(ack)
	w.Advance(5 * ms)
	closeByClient(w, c, rtt)

	// Port 41001, captured 1 ms from the server: the first SYN-ACK is lost
	// after the capture point, so the client retransmits its SYN and the
	// server, which forgot the first (SYN cookies), answers with another ISN.
	w.Advance(1 * time.Second)
	c = w.Conn(ap("192.0.2.10:41001"), ap("198.51.100.20:80"), 0x1f2e3d4c, 0x0a0b0c0d)
	c.C.Delay = rtt / 2
	c.Client(syn, craft.LinuxSYN(1460, 7))
	w.Advance(100 * us)
	c.Server(syn|ack, craft.LinuxSYN(1460, 7), craft.Dropped)
	w.Advance(1 * time.Second)
	c.Client(syn, craft.LinuxSYN(1460, 7))
	w.Advance(100 * us)
	c.S.ISN, c.S.Next = 0xf0e0d0c0, 0xf0e0d0c0
	c.Server(syn|ack, craft.LinuxSYN(1460, 7))
	w.Advance(rtt)
	c.Client(ack)
	w.Advance(40 * us)
	c.Client(psh|ack, craft.Payload(req))
	w.Advance(100 * us)
	c.Server(ack)
	c.Server(ack, craft.Data(seg))
	c.Server(psh|ack, craft.Data(900))
	w.Advance(rtt)
	c.Client(ack)
	w.Advance(5 * ms)
	c.Client(fin | ack)
	w.Advance(100 * us)
	c.Server(fin | ack)
	w.Advance(rtt)
	c.Client(ack)
}

// refusedRetry (kind 6): on port 42000 a SYN is refused (nothing listened
// yet), and the client sends the same SYN again a second later (same ISN, so
// Wireshark keeps one tcp.stream); now the server answers and 11 KB flow
// before a normal close. On port 42001 a middlebox forges a RST-ACK to the
// SYN, which the client drops for its wrong timestamp echo and answers with
// a RST of its own (as Linux does); the real SYN-ACK follows and an HTTP
// exchange completes.
func refusedRetry(w *craft.Wire) {
	const rtt = 10 * ms
	c := w.Conn(ap("192.0.2.10:42000"), ap("198.51.100.20:8080"), 0x2a3b4c5d, 0x6e7f8091)
	c.Client(syn, craft.LinuxSYN(1460, 7))
	w.Advance(rtt)
	c.Server(rst|ack, craft.Seq(0), craft.Window(0))
	c.S.Window = 509 // Window(0) stays for later segments otherwise
	w.Advance(1 * time.Second)
	c.Client(syn, craft.LinuxSYN(1460, 7))
	w.Advance(rtt)
	c.Server(syn|ack, craft.LinuxSYN(1460, 7))
	w.Advance(40 * us)
	c.Client(ack)
	w.Advance(100 * us)
	c.Client(psh|ack, craft.Payload([]byte("GET /data HTTP/1.1\r\nHost: 198.51.100.20:8080\r\n\r\n")))
	w.Advance(rtt)
	for i := 0; i < 7; i++ {
		c.Server(ack, craft.Data(seg))
		if i%2 == 1 {
			w.Advance(40 * us)
			c.Client(ack)
		}
	}
	c.Server(psh|ack, craft.Data(11*1024-7*seg))
	w.Advance(40 * us)
	c.Client(ack)
	w.Advance(2 * ms)
	closeByClient(w, c, rtt)

	w.Advance(1 * time.Second)
	c = w.Conn(ap("192.0.2.10:42001"), ap("198.51.100.20:80"), 0x7a6b5c4d, 0x3e2f1a0b)
	c.Client(syn, craft.LinuxSYN(1460, 7))
	w.Advance(1 * ms)
	// The forged RST-ACK: right acknowledgment, but its timestamp echo is
	// not one the client sent, so Linux drops it and resets the sender.
	c.Server(rst|ack, craft.Seq(0x10000), craft.Window(0), craft.TS(100, 100))
	c.S.Window = 509
	w.Advance(30 * us)
	c.Client(rst, craft.Seq(c.C.ISN+1))
	w.Advance(rtt)
	c.Server(syn|ack, craft.LinuxSYN(1460, 7))
	w.Advance(40 * us)
	c.Client(ack)
	w.Advance(100 * us)
	c.Client(psh|ack, craft.Payload([]byte("GET / HTTP/1.1\r\nHost: 198.51.100.20\r\n\r\n")))
	w.Advance(rtt)
	c.Server(ack)
	c.Server(psh|ack, craft.Payload([]byte("HTTP/1.1 204 No Content\r\n\r\n")))
	w.Advance(40 * us)
	c.Client(ack)
	w.Advance(2 * ms)
	closeByClient(w, c, rtt)
}

// ackNonzero (kind 7): a scanner's probes carry an acknowledgment number
// without the ACK flag (Wireshark's expert note tcp.ack.nonzero): a SYN to an
// open port (answered, then reset by the scanner), a SYN to a closed port
// (refused), and a FIN probe; plus an ordinary connection whose final RST
// carries the acknowledgment field with the flag off.
func ackNonzero(w *craft.Wire) {
	scanner := "203.0.113.66:"
	open := w.Conn(ap(scanner+"61000"), ap("198.51.100.30:22"), 0x11110000, 0x22220000)
	open.Client(syn, craft.MSS(1460), craft.Ack(0x5d1c2b3a))
	w.Advance(300 * us)
	open.Server(syn|ack, craft.LinuxSYN(1460, 7))
	w.Advance(20 * us)
	open.Client(rst, craft.Ack(0x5d1c2b3a))

	w.Advance(1 * ms)
	closed := w.Conn(ap(scanner+"61000"), ap("198.51.100.30:23"), 0x11110000, 0)
	closed.Client(syn, craft.MSS(1460), craft.Ack(0x5d1c2b3a))
	w.Advance(300 * us)
	closed.Server(rst|ack, craft.Window(0))

	w.Advance(1 * ms)
	finProbe := w.Conn(ap(scanner+"61001"), ap("198.51.100.30:80"), 0x33330000, 0)
	finProbe.Client(fin, craft.Seq(0x33330001), craft.Ack(0x0badcafe), craft.Window(1024))
	w.Advance(300 * us)
	finProbe.Server(rst|ack, craft.Seq(0), craft.Ack(0x33330002), craft.Window(0))

	w.Advance(10 * ms)
	c := w.Conn(ap("192.0.2.10:50500"), ap("198.51.100.30:443"), 0x44445555, 0x66667777)
	c.Handshake(5 * ms)
	w.Advance(100 * us)
	c.Client(psh|ack, craft.Data(200))
	w.Advance(5 * ms)
	c.Server(psh|ack, craft.Data(1200))
	w.Advance(40 * us)
	c.Client(rst, craft.Ack(c.C.RcvNext)) // abort: the ACK number stays, the flag does not
}

// retransHeavy (kind 9): a download captured next to the client over a lossy
// path, with every kind of finding at once: a segment lost before the
// capture point, three duplicate ACKs and the fast retransmission that fills
// the hole; a retransmission after a timeout that turns out spurious; the
// client's window closing, the server's zero-window probes done the Linux way
// (an empty segment one byte behind, which Wireshark calls a keep-alive) and
// their ACKs with window 0 (not keep-alive ACKs: Wireshark requires a
// non-zero window), then a window update; after an idle minute a keep-alive
// and its ACK; and a content gap the client acknowledges (data delivered but
// never captured), so Zeek's history has g and t.
func retransHeavy(w *craft.Wire) {
	c := w.Conn(ap("192.0.2.10:51800"), ap("198.51.100.20:80"), 0x0c0d0e0f, 0x50607080)
	const rtt = 10 * ms
	c.S.Delay = rtt / 2
	c.Client(syn, craft.LinuxSYN(1460, 7))
	w.Advance(rtt)
	c.Server(syn|ack, craft.LinuxSYN(1460, 7))
	w.Advance(40 * us)
	c.Client(ack)
	w.Advance(50 * us)
	c.Client(psh|ack, craft.Payload([]byte("GET /big.bin HTTP/1.1\r\nHost: 198.51.100.20\r\n\r\n")))
	w.Advance(rtt)

	// s1, s2 seen; s3 lost before the capture point; s4-s6 seen, each
	// answered by a duplicate ACK; then the fast retransmission of s3.
	var s [7]craft.Sent
	for i := 1; i <= 6; i++ {
		if i == 3 {
			s[i] = c.Server(ack, craft.Data(seg), craft.Lost)
		} else {
			s[i] = c.Server(ack, craft.Data(seg))
		}
		w.Advance(100 * us)
		if i != 3 {
			c.Client(ack)
		}
	}
	w.AdvanceTo(s[6].Time.Add(rtt))
	c.Server(ack, craft.Data(seg), craft.Seq(s[3].Seq))
	w.Advance(100 * us)
	c.Client(ack)

	// s7 arrives; the server retransmits it after a timeout although the
	// client had acknowledged it (the ACK was late): spurious.
	w.Advance(1 * ms)
	s7 := c.Server(ack, craft.Data(seg))
	w.Advance(100 * us)
	c.Client(ack)
	w.Advance(200 * ms)
	c.Server(ack, craft.Data(seg), craft.Seq(s7.Seq))
	w.Advance(100 * us)
	c.Client(ack)

	// The application stops reading: the client's window closes.
	w.Advance(1 * ms)
	c.Server(ack, craft.Data(seg))
	w.Advance(100 * us)
	c.Client(ack, craft.Window(0))
	for i := 0; i < 3; i++ {
		w.Advance(200 * ms << i)
		c.Server(ack, craft.Seq(c.S.Next-1)) // Linux's zero-window probe
		w.Advance(rtt)
		c.Client(ack, craft.Window(0))
	}
	w.Advance(50 * ms)
	c.Client(ack, craft.Window(509)) // window update
	w.Advance(rtt)
	c.Server(ack, craft.Data(seg))
	w.Advance(100 * us)
	c.Client(ack)

	// One segment delivered but not captured: the client's ACK passes it.
	c.Server(ack, craft.Data(seg), craft.Unseen)
	c.Server(psh|ack, craft.Data(500))
	w.Advance(100 * us)
	c.Client(ack)

	// A minute idle, then the server's keep-alive and the client's answer.
	w.Advance(60 * time.Second)
	c.Server(ack, craft.Seq(c.S.Next-1))
	w.Advance(rtt)
	c.Client(ack)
	w.Advance(1 * ms)
	closeByClient(w, c, rtt)
}
