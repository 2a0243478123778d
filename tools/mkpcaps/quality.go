package main

import (
	"bytes"
	"time"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tcpflow/tcpflow/internal/craft"
)

// The captures in this file show the capture's own quality (state/quality.go
// and the header's "capture quality" line): what the way a capture was
// taken makes its connections look like.

// captureQuality: three connections whose capture, not the network, is at
// fault.
//
// Connection 0 was captured with a filter that keeps data segments with
// PSH only ("tcp[tcpflags] & tcp-push != 0"): no SYN, no pure ACK, and of
// the server's response only its last segment; the 2896 bytes before it
// are "not captured" though the network lost nothing.
//
// Connection 1 was captured where only the client's direction passes (an
// asymmetric route): its SYN, ACK, request and FIN, none of the server's
// segments. Its request is captured twice (frame 7 repeats frame 6, a span
// port's copy).
//
// Connection 2 is an ordinary one, captured whole, for contrast.
func captureQuality(w *craft.Wire) {
	const rtt = 20 * ms
	f := w.Conn(ap("192.0.2.51:50510"), ap("198.51.100.51:80"), 0x51515151, 0x61616161)
	f.Client(syn, craft.LinuxSYN(1460, 7), craft.Unseen)
	w.Advance(rtt)
	f.Server(syn|ack, craft.LinuxSYN(1460, 7), craft.Unseen)
	w.Advance(40 * us)
	f.Client(ack, craft.Unseen)
	for i := 0; i < 3; i++ {
		w.Advance(100 * us)
		f.Client(psh|ack, craft.Data(80)) // a request
		w.Advance(rtt)
		f.Server(ack, craft.Data(seg), craft.Unseen) // no PSH: filtered out
		w.Advance(20 * us)
		f.Server(ack, craft.Data(seg), craft.Unseen)
		w.Advance(20 * us)
		f.Server(psh|ack, craft.Data(300)) // the response's end
		w.Advance(40 * us)
		f.Client(ack, craft.Unseen) // a pure ACK: filtered out
	}
	w.Advance(5 * ms)

	o := w.Conn(ap("192.0.2.52:50520"), ap("198.51.100.52:80"), 0x52525252, 0x62626262)
	o.Client(syn, craft.LinuxSYN(1460, 7))
	w.Advance(rtt)
	o.Server(syn|ack, craft.LinuxSYN(1460, 7), craft.Unseen)
	w.Advance(40 * us)
	o.Client(ack)
	w.Advance(100 * us)
	o.Client(psh|ack, craft.Data(90))
	w.Advance(2 * us)
	w.Repeat()
	w.Advance(rtt)
	o.Server(ack, craft.Data(seg), craft.Unseen)
	w.Advance(40 * us)
	o.Client(ack)
	w.Advance(5 * ms)
	o.Client(fin | ack)
	w.Advance(rtt)
	o.Server(fin|ack, craft.Unseen)
	w.Advance(40 * us)
	o.Client(ack)
	w.Advance(5 * ms)

	c := w.Conn(ap("192.0.2.53:50530"), ap("198.51.100.53:80"), 0x53535353, 0x63636363)
	c.Handshake(rtt)
	w.Advance(100 * us)
	c.Client(psh|ack, craft.Data(90))
	w.Advance(rtt)
	c.Server(psh|ack, craft.Data(700))
	w.Advance(40 * us)
	c.Client(ack)
	w.Advance(5 * ms)
	closeByClient(w, c, rtt)
}

// captureDrops: a pcapng file whose capturing program recorded, in an
// interface statistics block at the end, that it received 18 packets on
// eth0 and dropped 6 of them (isb_ifrecv 18, isb_ifdrop 6): the 12 frames
// of the textbook connection are what it kept. capinfos and tshark -z
// io,stat read the same block.
func captureDrops() ([]byte, error) {
	return textbookNg(func(ng *pcapgo.NgWriter, end time.Time) error {
		st := pcapgo.NgInterfaceStatistics{LastUpdate: end, StartTime: start, EndTime: end, PacketsReceived: 18, PacketsDropped: 6}
		return ng.WriteInterfaceStats(0, st)
	})
}

// textbookNg writes textbook.pcap's story as a pcapng file with
// newNgWriter; then calls after, when not nil, with the time of the end.
func textbookNg(after func(ng *pcapgo.NgWriter, end time.Time) error) ([]byte, error) {
	var buf bytes.Buffer
	ng, err := newNgWriter(&buf)
	if err != nil {
		return nil, err
	}
	w := craft.NewWire(ng, start)
	textbook(w)
	if err := w.Err(); err != nil {
		return nil, err
	}
	if after != nil {
		if err := after(ng, w.Now()); err != nil {
			return nil, err
		}
	}
	if err := ng.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
