package main

import (
	"github.com/tcpflow/tcpflow/internal/craft"
)

// ackRTT: one connection whose ACKs test the rule of Wireshark's
// tcp.analysis.acks_frame and ack_rtt (docs/analysis.md): the ACK names the
// oldest unacknowledged segment that ends exactly at its acknowledgment
// number, 20 ms round trips unless said otherwise.
//
//   - frames 1-3: SYN, SYN-ACK (names the SYN), ACK (names the SYN-ACK);
//   - 4-5: a request and the server's ACK of it;
//   - 6-8: two segments and one ACK of both: it names the second;
//   - 9-11: an ACK that ends inside a segment names nothing; the next, which
//     ends where the segment ends, names it (cut to start at the first ACK);
//   - 12-16: a segment lost after the capture point, the next one arriving,
//     a duplicate ACK (names nothing), the retransmission 200 ms later and
//     the ACK of both: it names the last segment (13), which ends there;
//   - 17-19: a lone segment lost and resent 300 ms later: the ACK names the
//     first copy (17), its ACK RTT includes the wait for the retransmission;
//   - 20: a window update (names nothing);
//   - 21-24: the server's FIN and its ACK (names the FIN), the client's FIN
//     and its ACK (names that FIN).
func ackRTT(w *craft.Wire) {
	const rtt = 20 * ms
	c := w.Conn(ap("192.0.2.10:40100"), ap("198.51.100.20:80"), 0x51515151, 0x61616161)
	c.Client(syn, craft.LinuxSYN(1460, 7)) // 1
	w.Advance(rtt)
	c.Server(syn|ack, craft.LinuxSYN(1460, 7)) // 2
	w.Advance(100 * us)
	c.Client(ack) // 3
	w.Advance(50 * us)
	c.Client(psh|ack, craft.Payload([]byte("GET /ack-rtt HTTP/1.1\r\n\r\n"))) // 4
	w.Advance(rtt)
	c.Server(ack) // 5

	w.Advance(100 * us)
	c.Server(ack, craft.Data(1000)) // 6
	w.Advance(100 * us)
	c.Server(ack, craft.Data(1000)) // 7
	w.Advance(rtt)
	c.Client(ack) // 8: names 7

	w.Advance(100 * us)
	s9 := c.Server(ack, craft.Data(1000)) // 9
	w.Advance(rtt)
	c.Client(ack, craft.Ack(s9.Seq+500)) // 10: inside 9
	w.Advance(1 * ms)
	c.Client(ack) // 11: names 9

	w.Advance(100 * us)
	s12 := c.Server(ack, craft.Data(1000), craft.Dropped) // 12
	w.Advance(100 * us)
	c.Server(ack, craft.Data(1000)) // 13
	w.Advance(rtt)
	c.Client(ack) // 14: duplicate of 11
	w.Advance(200 * ms)
	c.Server(ack, craft.Seq(s12.Seq), craft.Data(1000)) // 15: retransmission
	w.Advance(rtt)
	c.Client(ack) // 16: names 13

	w.Advance(100 * us)
	s17 := c.Server(psh|ack, craft.Data(1000), craft.Dropped) // 17
	w.Advance(300 * ms)
	c.Server(psh|ack, craft.Seq(s17.Seq), craft.Data(1000)) // 18
	w.Advance(rtt)
	c.Client(ack) // 19: names 17

	w.Advance(1 * ms)
	c.Client(ack, craft.Window(1000)) // 20: window update

	w.Advance(100 * ms)
	c.Server(fin | ack) // 21
	w.Advance(rtt)
	c.Client(ack) // 22: names 21
	w.Advance(1 * ms)
	c.Client(fin | ack) // 23
	w.Advance(rtt)
	c.Server(ack) // 24: names 23
}
