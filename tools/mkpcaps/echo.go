package main

import (
	"encoding/binary"
	"fmt"
	"net"

	"github.com/tcpflow/tcpflow/internal/craft"
)

// echoSession is the classic teaching session of a C echo client and server
// on one Linux host, as `tcpdump -i lo` records it: 127.0.0.1:6888 echoes
// "a\n" and "123\n" typed a few seconds apart, the client closes and the
// server answers with FIN and ACK in one segment; the server is stopped and
// a connection is refused with RST; the server is started again, accepts a
// connection and closes it at once, the client delays its ACK of that FIN and
// closes two seconds later. Loopback as Linux has it: MTU 65536, so MSS
// 65495 (the largest IPv4 packet, 65535 bytes, less 40); SYN windows 65495
// and 65483, then 512 x 128 (window scale 7); timestamps; Ethernet framing
// with zero MACs; IP ID 0 on the SYN-ACK and the RST; every TCP checksum left
// to an offload that lo never does (the field holds the pseudo-header sum),
// but the RST's, which the kernel computes in full.
func echoSession(w *craft.Wire) {
	const (
		rtt  = 15 * us // the kernel's turn-around on lo
		ack1 = 12 * us
	)
	lo := craft.Link{Framing: craft.Ethernet, Edit: loopbackChecksum}
	conn := func(port uint16, clientISN, serverISN uint32, clientID uint16) *craft.Conn {
		c := w.Conn(ap(fmt.Sprintf("127.0.0.1:%d", port)), ap("127.0.0.1:6888"), clientISN, serverISN)
		c.Link = lo
		zero := net.HardwareAddr{0, 0, 0, 0, 0, 0}
		c.C.MAC, c.S.MAC = zero, zero
		c.C.SYNWindow, c.S.SYNWindow = 65495, 65483
		c.C.Window, c.S.Window = 512, 512
		c.C.IPID, c.S.IPID = clientID, 0
		return c
	}
	handshake := func(c *craft.Conn, serverID uint16) {
		c.Client(syn, craft.LinuxSYN(65495, 7))
		w.Advance(rtt)
		c.Server(syn|ack, craft.LinuxSYN(65495, 7))
		c.S.IPID = serverID // Linux: IP ID 0 on the SYN-ACK, a per-socket counter after it
		w.Advance(ack1)
		c.Client(ack)
	}

	// 1. The echo: "a\n" gets a pure ACK before the echo; "123\n" an echo
	// that carries the ACK. The client closes; the server's FIN carries the
	// ACK of the client's FIN.
	c := conn(53690, 0xd5c9a851, 0xbce6e276, 41974)
	handshake(c, 12383)
	w.Advance(2500 * ms)
	c.Client(psh|ack, craft.Payload([]byte("a\n")))
	w.Advance(24 * us)
	c.Server(ack)
	w.Advance(84 * us)
	c.Server(psh|ack, craft.Payload([]byte("a\n")))
	w.Advance(7 * us)
	c.Client(ack)
	w.Advance(3100 * ms)
	c.Client(psh|ack, craft.Payload([]byte("123\n")))
	w.Advance(54 * us)
	c.Server(psh|ack, craft.Payload([]byte("123\n")))
	w.Advance(11 * us)
	c.Client(ack)
	w.Advance(1900 * ms)
	c.Client(fin | ack)
	w.Advance(107 * us)
	c.Server(fin | ack)
	w.Advance(33 * us)
	c.Client(ack)

	// 2. Refused: nothing listens on 6888 any more; the kernel answers the
	// SYN with RST-ACK, seq 0 and window 0 (RFC 9293 section 3.10.7.1), and
	// computes its checksum.
	w.Advance(1200 * ms)
	c = conn(46832, 0x6ed7e4e9, 0, 46294)
	c.Client(syn, craft.LinuxSYN(65495, 7))
	w.Advance(24 * us)
	c.Link.Edit = nil
	c.Server(rst|ack, craft.Window(0))

	// 3. The server, started again, closes the connection it accepts; the
	// client's program has nothing to send and closes 2 s later.
	w.Advance(1800 * ms)
	c = conn(47902, 0xeebbb5e4, 0xe8585bbf, 3121)
	handshake(c, 32811)
	w.Advance(201 * ms)
	c.Server(fin | ack)
	w.Advance(40 * ms)
	c.Client(ack)
	w.Advance(1960 * ms)
	c.Client(fin | ack)
	w.Advance(19 * us)
	c.Server(ack)
}

// loopbackChecksum leaves an IPv4 TCP segment's checksum as Linux hands it
// to a device that offloads it: the folded sum of the pseudo-header
// (addresses, protocol, TCP length), not yet complemented, which is what
// tcpdump on lo reads and calls incorrect. The frame is Ethernet, IPv4
// without options.
func loopbackChecksum(frame []byte) {
	ip := frame[14:]
	tcpLen := int(binary.BigEndian.Uint16(ip[2:])) - 20
	sum := uint32(6 + tcpLen)
	for i := 12; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(ip[20+16:], uint16(sum))
}
