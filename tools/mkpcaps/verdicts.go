package main

import (
	"time"

	"github.com/tcpflow/tcpflow/internal/craft"
)

// verdicts: one connection per verdict that must name the right cause
// (issue 18), all over one client and server, captured at the client.
//
//  0. The server closes first (FIN) and the client answers with RST, its
//     request unfinished: "reset by the client", although the server sent
//     the first FIN.
//  1. Both sides close, each FIN acknowledged, and then the client sends
//     RST (a program closing its socket with SO_LINGER 0 after the
//     exchange): "reset by the client after a completed close", no abort.
//  2. The client's SYN goes unanswered twice (lost before the capture
//     point's peer, resent after 1 s and 2 s more): connect time 3.020 s
//     with 3 SYNs, while the handshake RTT (from the last SYN) is 20 ms.
//  3. A response of 12 segments of 1448 bytes: the 3rd and 7th are lost
//     after the capture point and resent (2896 bytes retransmitted, seen
//     twice), the 10th is lost before it and resent (captured once: 1448
//     bytes that are not a retransmission in the capture's eyes, as for
//     tcptrace).
func verdicts(w *craft.Wire) {
	const rtt = 20 * ms
	srv := ap("198.51.100.20:80")

	c := w.Conn(ap("192.0.2.10:40001"), srv, 0x11111111, 0x22222222)
	c.Handshake(rtt)
	w.Advance(100 * us)
	c.Client(psh|ack, craft.Payload([]byte("GET /a HTTP/1.1\r\n\r\n")))
	w.Advance(rtt)
	c.Server(fin | ack) // the server times the request out
	w.Advance(50 * us)
	c.Client(rst | ack)

	w.Advance(10 * ms)
	c = w.Conn(ap("192.0.2.10:40002"), srv, 0x33333333, 0x44444444)
	c.Handshake(rtt)
	w.Advance(100 * us)
	c.Client(psh|ack, craft.Payload([]byte("GET /b HTTP/1.1\r\n\r\n")))
	w.Advance(rtt)
	c.Server(psh|ack, craft.Payload([]byte("HTTP/1.1 204 No Content\r\n\r\n")))
	w.Advance(50 * us)
	clientCloses(w, c, rtt)
	w.Advance(100 * us)
	c.Client(rst | ack)

	w.Advance(10 * ms)
	c = w.Conn(ap("192.0.2.10:40003"), srv, 0x55555555, 0x66666666)
	c.Client(syn, craft.LinuxSYN(1460, 7))
	w.Advance(1 * time.Second)
	c.Client(syn, craft.LinuxSYN(1460, 7))
	w.Advance(2 * time.Second)
	c.Client(syn, craft.LinuxSYN(1460, 7))
	w.Advance(rtt)
	c.Server(syn|ack, craft.LinuxSYN(1460, 7))
	w.Advance(40 * us)
	c.Client(ack)
	w.Advance(100 * us)
	clientCloses(w, c, rtt)

	w.Advance(10 * ms)
	c = w.Conn(ap("192.0.2.10:40004"), srv, 0x77777777, 0x88888888)
	c.Handshake(rtt)
	w.Advance(100 * us)
	c.Client(psh|ack, craft.Payload([]byte("GET /c HTTP/1.1\r\n\r\n")))
	w.Advance(rtt)
	lost := map[int]craft.Field{2: craft.Dropped, 6: craft.Dropped, 9: craft.Lost}
	var sent [12]craft.Sent
	for i := range sent {
		f := craft.Fields()
		if l, ok := lost[i]; ok {
			f = l
		}
		sent[i] = c.Server(ack, craft.Data(seg), f)
		w.Advance(30 * us)
		if i%2 == 1 {
			c.Client(ack)
		}
	}
	w.Advance(rtt)
	for _, i := range []int{2, 6, 9} {
		c.Server(ack, craft.Seq(sent[i].Seq), craft.Data(seg))
		w.Advance(30 * us)
		c.Client(ack)
	}
	w.Advance(100 * us)
	clientCloses(w, c, rtt)
}

// clientCloses sends a close started by the client, the server's FIN an RTT
// later, as captured at the client.
func clientCloses(w *craft.Wire, c *craft.Conn, rtt time.Duration) {
	c.Client(fin | ack)
	w.Advance(rtt)
	c.Server(fin | ack)
	w.Advance(50 * us)
	c.Client(ack)
}
