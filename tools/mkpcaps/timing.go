package main

import (
	"time"

	"github.com/tcpflow/tcpflow/internal/craft"
)

// stalls: one connection per stall cause and per rate-limiting factor that
// the report must name (issue 18, "where the time went"), all over one
// client and server 20 ms apart, captured at the client.
//
//  0. The server acknowledges the request at once and answers 229 ms
//     later: "stalled 229.000 ms waiting for the server's application".
//  1. The request is lost after the capture point and resent 300 ms
//     later: "stalled 320.xxx ms waiting for a retransmission timeout of
//     the client".
//  2. The client advertises a zero window for 500 ms in the middle of the
//     response: a stall waiting for the client's zero window to open.
//  3. The client sends its second request 1 s after the first answer: a
//     stall of the client's application, which is no problem.
//  4. The server acknowledges the request 400 ms late and resends nothing:
//     a stall of the network.
//  5. A response of 40 segments whose flights of 4 fill the window of 5888
//     bytes the client advertises: receiver-window-limited.
//  6. A server that sends 100 bytes every 100 ms, each acknowledged at
//     once: application-limited.
func stalls(w *craft.Wire) {
	const rtt = 20 * ms
	srv := ap("198.51.100.50:80")
	req := craft.Payload([]byte("GET /s HTTP/1.1\r\n\r\n"))
	open := func(port string, cisn, sisn uint32) *craft.Conn {
		w.Advance(10 * ms)
		c := w.Conn(ap("192.0.2.50:"+port), srv, cisn, sisn)
		c.Handshake(rtt)
		w.Advance(100 * us)
		return c
	}
	// answer sends the response and lets the client close.
	answer := func(c *craft.Conn) {
		c.Server(psh|ack, craft.Data(500))
		w.Advance(50 * us)
		clientCloses(w, c, rtt)
	}

	c := open("41000", 0x10000000, 0x20000000)
	c.Client(psh|ack, req)
	w.Advance(rtt)
	c.Server(ack)
	w.Advance(229 * ms)
	answer(c)

	c = open("41001", 0x11000000, 0x21000000)
	lost := c.Client(psh|ack, req, craft.Dropped)
	w.Advance(300 * ms)
	c.Client(psh|ack, craft.Seq(lost.Seq), req)
	w.Advance(rtt)
	answer(c)

	c = open("41002", 0x12000000, 0x22000000)
	c.Client(psh|ack, req)
	w.Advance(rtt)
	c.Server(ack, craft.Data(seg))
	w.Advance(50 * us)
	c.Client(ack, craft.Window(0))
	w.Advance(500 * ms)
	c.Client(ack) // the window opens again
	w.Advance(rtt)
	answer(c)

	c = open("41003", 0x13000000, 0x23000000)
	c.Client(psh|ack, req)
	w.Advance(rtt)
	c.Server(psh|ack, craft.Data(500))
	w.Advance(50 * us)
	c.Client(ack)
	w.Advance(time.Second)
	c.Client(psh|ack, req)
	w.Advance(rtt)
	answer(c)

	c = open("41004", 0x14000000, 0x24000000)
	c.Client(psh|ack, req)
	w.Advance(400 * ms)
	c.Server(ack)
	w.Advance(1 * ms)
	answer(c)

	c = open("41005", 0x15000000, 0x25000000)
	c.Client(psh|ack, req, craft.Window(46)) // 46 << 7 = 5888 bytes: 4 segments
	w.Advance(rtt)
	for range 10 {
		for range 4 {
			c.Server(ack, craft.Data(seg))
			w.Advance(20 * us)
		}
		c.Client(ack, craft.Window(46))
		w.Advance(rtt)
	}
	clientCloses(w, c, rtt)

	c = open("41006", 0x16000000, 0x26000000)
	c.Client(psh|ack, req)
	w.Advance(rtt)
	for range 12 {
		c.Server(psh|ack, craft.Data(100))
		w.Advance(50 * us)
		c.Client(ack)
		w.Advance(100 * ms)
	}
	clientCloses(w, c, rtt)
}
