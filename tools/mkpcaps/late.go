package main

import (
	"time"

	"github.com/tcpflow/tcpflow/internal/craft"
)

// lateSegments: segments that come on a 4-tuple long after its connection
// closed or went quiet, longer than the time tcpflow lingers on a closed
// connection (60 s), so that tcpflow has finished and forgotten the
// connection when they come. Wireshark still counts them in the same
// tcp.stream unless a SYN opens a new session; tcpflow must give the same
// ids in every output mode and whatever its bounds:
//   - a SYN refused with RST, retried 90 s later with the same ISN (a SYN
//     Wireshark keeps in the first stream) and answered;
//   - that connection idles 120 s, then a keep-alive probe and its ACK;
//   - it closes, and 90 s later the server's FIN comes again (a late
//     retransmission) with the client's ACK;
//   - 90 s after that a SYN with a new ISN: a new connection (port reuse).
func lateSegments(w *craft.Wire) {
	cli, srv := ap("192.0.2.10:41100"), ap("198.51.100.20:80")
	const rtt = 8 * ms
	c := w.Conn(cli, srv, 0x61000000, 0x62000000)
	c.Client(syn, craft.LinuxSYN(1460, 7))
	w.Advance(300 * us)
	c.Server(rst|ack, craft.Window(0))

	w.Advance(90 * time.Second)
	c = w.Conn(cli, srv, 0x61000000, 0x63000000)
	c.Handshake(rtt)
	w.Advance(100 * us)
	c.Client(psh|ack, craft.Payload([]byte("GET / HTTP/1.1\r\nHost: 198.51.100.20\r\n\r\n")))
	w.Advance(rtt)
	c.Server(psh|ack, craft.Data(300))
	w.Advance(40 * us)
	c.Client(ack)

	w.Advance(120 * time.Second)
	c.Client(ack, craft.Seq(c.C.Next-1)) // keep-alive probe: one byte before the next
	w.Advance(rtt)
	c.Server(ack)

	w.Advance(2 * ms)
	c.Server(fin | ack)
	w.Advance(40 * us)
	c.Client(ack)
	w.Advance(200 * us)
	c.Client(fin | ack)
	w.Advance(rtt)
	c.Server(ack)

	w.Advance(90 * time.Second)
	c.Server(fin|ack, craft.Seq(c.S.Next-1)) // the FIN again, long after
	w.Advance(40 * us)
	c.Client(ack)

	w.Advance(90 * time.Second)
	c = w.Conn(cli, srv, 0x64000000, 0x65000000)
	c.Handshake(rtt)
	w.Advance(1 * ms)
	c.Client(fin | ack)
	w.Advance(rtt)
	c.Server(fin | ack)
	w.Advance(40 * us)
	c.Client(ack)
}
