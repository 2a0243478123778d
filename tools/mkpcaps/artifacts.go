package main

import (
	"time"

	"github.com/tcpflow/tcpflow/internal/craft"
)

// The captures in this file show capture artifacts: what a capture looks like
// because of where and how it was taken (state/artifact.go). Wireshark's
// findings keep their names on them; artifacts_test.go checks the facts
// tcpflow adds beside them.

// duplicateFrames: a download captured on a span port that writes some
// frames twice, 2 µs apart (the same bytes: the same IP id and checksum).
// Wireshark calls the copies retransmissions (frames 5, 8) and a duplicate
// ACK (frame 11); the real retransmission (frame 12: the server sends the
// segment lost after the span port, frame 9, again 200 ms later, with a new
// IP id) is no copy. Captured near the client: the SYN-ACK is 10 ms after the SYN, the
// ACK 40 µs after the SYN-ACK.
func duplicateFrames(w *craft.Wire) {
	c := w.Conn(ap("192.0.2.40:50400"), ap("198.51.100.40:80"), 0x40404040, 0x50505050)
	const rtt = 10 * ms
	c.Handshake(rtt)
	w.Advance(100 * us)
	c.Client(psh|ack, craft.Payload([]byte("GET /file HTTP/1.1\r\nHost: 198.51.100.40\r\n\r\n"))) // 4
	w.Advance(2 * us)
	w.Repeat() // 5: copy of 4
	w.Advance(rtt)
	c.Server(ack, craft.Data(seg)) // 6
	w.Advance(60 * us)
	c.Server(ack, craft.Data(seg)) // 7
	w.Advance(2 * us)
	w.Repeat() // 8: copy of 7
	w.Advance(60 * us)
	c.Server(psh|ack, craft.Data(500), craft.Dropped) // 9: lost after the span port
	w.Advance(100 * us)
	c.Client(ack) // 10
	w.Advance(2 * us)
	w.Repeat() // 11: copy of 10
	w.Advance(200 * ms)
	c.Server(psh|ack, craft.Seq(c.S.Next-500), craft.Data(500)) // 12: the real retransmission of 9
	w.Advance(100 * us)
	c.Client(ack) // 13
	w.Advance(5 * ms)
	closeByClient(w, c, rtt)
}

// tsoSegments: a download captured on the server, before TCP segmentation
// offload: the server hands the card segments of two and three times the
// client's MSS (1460), which the card cuts before they reach the wire.
// Captured near the server: the SYN-ACK follows the SYN by 40 µs, the
// client's ACK comes a round trip later.
func tsoSegments(w *craft.Wire) {
	c := w.Conn(ap("192.0.2.41:50410"), ap("198.51.100.41:80"), 0x41414141, 0x51515151)
	const rtt = 12 * ms
	handshakeAtServer(w, c, rtt)
	w.Advance(rtt / 2)
	c.Client(psh|ack, craft.Payload([]byte("GET /big HTTP/1.1\r\nHost: 198.51.100.41\r\n\r\n")))
	w.Advance(50 * us)
	c.Server(ack, craft.Data(2*seg)) // 2896 bytes: over the MSS
	w.Advance(5 * us)
	c.Server(psh|ack, craft.Data(3*seg)) // 4344 bytes
	w.Advance(rtt)
	c.Client(ack)
	w.Advance(5 * ms)
	c.Client(fin | ack)
	w.Advance(40 * us)
	c.Server(fin | ack)
	w.Advance(rtt)
	c.Client(ack)
}

// handshakeAtServer is a Linux three-way handshake as captured at the
// server: the SYN, the SYN-ACK 40 µs later and the client's ACK a round trip
// after that.
func handshakeAtServer(w *craft.Wire, c *craft.Conn, rtt time.Duration) {
	c.Client(syn, craft.LinuxSYN(1460, 7))
	w.Advance(40 * us)
	c.Server(syn|ack, craft.LinuxSYN(1460, 7))
	w.Advance(rtt)
	c.Client(ack)
}

// capturePoints: three short exchanges over the same 20 ms path, captured at
// the client, at the server, and at a tap 8 ms from the client (SYN to
// SYN-ACK 12 ms, SYN-ACK to ACK 8 ms: in between).
func capturePoints(w *craft.Wire) {
	const rtt = 20 * ms
	exchange := func(c *craft.Conn, toServer, toClient time.Duration) {
		w.Advance(100 * us)
		c.Client(psh|ack, craft.Payload([]byte("ping\n")))
		w.Advance(toServer)
		c.Server(psh|ack, craft.Payload([]byte("pong\n")))
		w.Advance(toClient)
		c.Client(fin | ack)
		w.Advance(toServer)
		c.Server(fin | ack)
		w.Advance(toClient)
		c.Client(ack)
	}
	atClient := w.Conn(ap("192.0.2.42:50420"), ap("198.51.100.42:7"), 0x42424242, 0x52525252)
	atClient.Handshake(rtt)
	exchange(atClient, rtt, 40*us)
	w.Advance(time.Second)
	atServer := w.Conn(ap("192.0.2.42:50421"), ap("198.51.100.42:7"), 0x43434343, 0x53535353)
	handshakeAtServer(w, atServer, rtt)
	exchange(atServer, 40*us, rtt)
	w.Advance(time.Second)
	between := w.Conn(ap("192.0.2.42:50422"), ap("198.51.100.42:7"), 0x44444444, 0x54545454)
	between.Client(syn, craft.LinuxSYN(1460, 7))
	w.Advance(12 * ms)
	between.Server(syn|ack, craft.LinuxSYN(1460, 7))
	w.Advance(8 * ms)
	between.Client(ack)
	exchange(between, 12*ms, 8*ms)
}
