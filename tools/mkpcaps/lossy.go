package main

import (
	"time"

	"github.com/tcpflow/tcpflow/internal/craft"
)

// lossy: a download captured at a tap next to the server (1 ms away) on a
// path to a client 30 ms away, showing what Wireshark's TCP analysis flags:
//
//   - s3 is lost after the tap, the client's ACK and three duplicate ACKs
//     with SACK blocks come back, and the server fast-retransmits s3;
//   - s7 and s8 are swapped before the tap: s8 comes first (the previous
//     segment was not captured), then s7 out of order;
//   - the client's application stops reading: the window closes to zero, the
//     server sends a one-byte zero-window probe, the client acknowledges it
//     with the window still zero, then opens it (window update);
//   - the last segment is lost after the tap and retransmitted on timeout;
//   - after 15 idle seconds the server sends a keep-alive (one byte below
//     SND.NXT, no data) and the client answers it;
//   - the client closes.
func lossy(w *craft.Wire) {
	c := w.Conn(ap("192.0.2.10:49152"), ap("198.51.100.20:80"), 0xc0ffee00, 0x0ddba11)
	const (
		near = 1 * ms  // tap -> server -> tap
		far  = 30 * ms // tap -> client -> tap
		gap  = 120 * us
	)
	c.S.Delay, c.C.Delay = near/2, far/2
	c.Client(syn, craft.LinuxSYN(1460, 7))
	w.Advance(near)
	c.Server(syn|ack, craft.LinuxSYN(1460, 7))
	w.Advance(far)
	c.Client(ack)
	w.Advance(50 * us)
	c.Client(psh|ack, craft.Payload([]byte("GET /video.mp4 HTTP/1.1\r\nHost: 198.51.100.20\r\n\r\n")))
	w.Advance(near)

	// s1..s6; s3 is lost between the tap and the client.
	var s [9]craft.Sent
	for i := 1; i <= 6; i++ {
		if i == 3 {
			s[i] = c.Server(ack, craft.Data(seg), craft.Dropped)
		} else {
			s[i] = c.Server(ack, craft.Data(seg))
		}
		w.Advance(gap)
	}
	w.AdvanceTo(s[2].Time.Add(far))
	c.Client(ack) // for s1 and s2
	for i := 4; i <= 6; i++ {
		w.AdvanceTo(s[i].Time.Add(far))
		c.Client(ack) // duplicate: s3 is missing; SACK covers s4..s(i)
	}
	w.Advance(near)
	c.Server(ack, craft.Seq(s[3].Seq), craft.Data(seg)) // fast retransmission
	w.Advance(far)
	c.Client(ack) // everything up to s6

	// s7 and s8 swap places before the tap.
	w.Advance(near)
	s7 := c.S.Next
	s[8] = c.Server(ack, craft.Seq(s7+seg), craft.Data(seg))
	w.Advance(50 * us)
	s[7] = c.Server(ack, craft.Seq(s7), craft.Data(seg))
	w.AdvanceTo(s[8].Time.Add(far))
	c.Client(ack) // s8 arrived first: duplicate ACK with SACK
	w.AdvanceTo(s[7].Time.Add(far))
	c.Client(ack) // s7 filled the hole

	// The client's application stops reading.
	w.Advance(near)
	c.Server(ack, craft.Data(seg))
	w.Advance(gap)
	c.Server(psh|ack, craft.Data(seg))
	w.Advance(far)
	c.Client(ack, craft.Window(0))
	w.Advance(200*ms + near)
	probe := c.Server(ack, craft.Data(1), craft.Dropped) // no room at the client: dropped
	w.Advance(far)
	c.Client(ack) // still zero
	w.Advance(150 * ms)
	c.Client(ack, craft.Window(502)) // window update: the application read again

	// Sending resumes from the probe's byte; the last segment is lost and
	// retransmitted when the retransmission timer fires.
	w.Advance(near)
	c.Server(ack, craft.Seq(probe.Seq), craft.Data(seg))
	w.Advance(gap)
	last := c.Server(psh|ack, craft.Data(900), craft.Dropped)
	w.Advance(far)
	c.Client(ack) // for the first of the two
	w.Advance(230 * ms)
	c.Server(psh|ack, craft.Seq(last.Seq), craft.Data(900))
	w.Advance(far)
	c.Client(ack)

	// Keep-alive after 15 idle seconds.
	w.Advance(15 * time.Second)
	c.Server(ack, craft.Seq(c.S.Next-1))
	w.Advance(far)
	c.Client(ack)

	w.Advance(2 * time.Second)
	c.Client(fin | ack)
	w.Advance(near)
	c.Server(fin | ack)
	w.Advance(far)
	c.Client(ack)
}
