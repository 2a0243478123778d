package main

import (
	"encoding/binary"
	"fmt"

	"github.com/tcpflow/tcpflow/internal/craft"
)

// tcpAt is where the TCP header starts in the Ethernet/IPv4 frames these
// stories edit (no IP options).
const tcpAt = ipv4At + 20

// fixTCPChecksum recomputes the TCP checksum of an Ethernet/IPv4 frame
// without IP options after an edit.
func fixTCPChecksum(f []byte) {
	seg := f[tcpAt:]
	seg[16], seg[17] = 0, 0
	sum := uint32(6) + uint32(len(seg))
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(b[i])<<8 | uint32(b[i+1])
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	add(f[ipv4At+12 : ipv4At+20]) // source and destination addresses
	add(seg)
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(seg[16:], ^uint16(sum))
}

// setOptionByte returns an Edit that writes v at byte i of the TCP options
// and fixes the checksum: a malformed option with a right checksum.
func setOptionByte(i int, v byte) func([]byte) {
	return func(f []byte) {
		f[tcpAt+20+i] = v
		fixTCPChecksum(f)
	}
}

// crafted is the sequence-number jump of damaged.pcap's injected segment.
const crafted = 1_124_042_488

// damaged: segments damaged or crafted in each way tcpflow names, one
// connection each, every other checksum right. 0: the client's SYN has an
// MSS option of length 3 (then NOP, window scale 7). 1: an option (kind 34,
// 4 bytes) whose length byte says 12, running past the end of the header,
// hides the window scale after it. 2: an option of length 0 (kind 253) does
// the same. 3: the server's SYN-ACK carries two MSS options (1460, then 536).
// 4: an exchange in which one client segment has a wrong TCP checksum and
// one server segment a wrong IP header checksum, and a segment injected 1 ms
// after the request with a sequence number 1,124,042,488 bytes beyond it
// (captured, discarded by the server).
func damaged(w *craft.Wire) {
	open := func(c *craft.Conn, client, server craft.Field) {
		c.Client(syn, client)
		w.Advance(ms)
		c.Server(syn|ack, server)
		w.Advance(40 * us)
		c.Client(ack)
		w.Advance(ms)
	}
	short := func(c *craft.Conn) {
		c.Client(psh|ack, craft.Payload([]byte("hello\n")))
		w.Advance(ms)
		c.Server(psh|ack, craft.Payload([]byte("hello\n")))
		w.Advance(ms)
		closeByClient(w, c, ms)
		w.Advance(10 * ms)
	}
	linux := craft.Fields(craft.MSS(1460), craft.SACKPermitted, craft.NOP, craft.WScale(7))

	mss3 := w.Conn(ap("192.0.2.30:41000"), ap("198.51.100.30:80"), 0x31000000, 0x32000000)
	open(mss3, craft.Fields(craft.Option(2, []byte{0x05}), craft.NOP, craft.WScale(7), craft.SACKPermitted), linux)
	short(mss3)

	past := w.Conn(ap("192.0.2.30:41001"), ap("198.51.100.30:80"), 0x33000000, 0x34000000)
	past.Link = craft.Link{Edit: setOptionByte(4+1, 12)} // the length byte of the kind-34 option
	past.Client(syn, craft.MSS(1460), craft.Option(34, []byte{0x10, 0}), craft.NOP, craft.WScale(7))
	past.Link = craft.Link{}
	w.Advance(ms)
	past.Server(syn|ack, linux)
	w.Advance(40 * us)
	past.Client(ack)
	w.Advance(ms)
	short(past)

	zero := w.Conn(ap("192.0.2.30:41002"), ap("198.51.100.30:80"), 0x35000000, 0x36000000)
	zero.Link = craft.Link{Edit: setOptionByte(4+1, 0)} // the length byte of the kind-253 option
	zero.Client(syn, craft.MSS(1460), craft.Option(253, []byte{0, 0}), craft.NOP, craft.WScale(7))
	zero.Link = craft.Link{}
	w.Advance(ms)
	zero.Server(syn|ack, linux)
	w.Advance(40 * us)
	zero.Client(ack)
	w.Advance(ms)
	short(zero)

	dup := w.Conn(ap("192.0.2.30:41003"), ap("198.51.100.30:80"), 0x37000000, 0x38000000)
	open(dup, linux, craft.Fields(craft.MSS(1460), craft.MSS(536), craft.SACKPermitted, craft.NOP, craft.WScale(7)))
	short(dup)

	c := w.Conn(ap("192.0.2.31:41004"), ap("198.51.100.31:80"), 0x39000000, 0x3a000000)
	open(c, linux, linux)
	c.Client(psh|ack, craft.Payload([]byte("GET / HTTP/1.1\r\n\r\n")))
	w.Advance(ms)
	next := c.C.Next
	c.Client(psh|ack, craft.Seq(next+crafted), craft.Payload([]byte("injected")), craft.Dropped)
	c.C.Next = next
	w.Advance(ms)
	c.Server(ack)
	w.Advance(ms)
	c.Link = craft.Link{Edit: func(f []byte) { f[ipv4At+10] ^= 0x40 }} // IP header checksum
	c.Server(psh|ack, craft.Data(500))
	c.Link = craft.Link{Edit: func(f []byte) { f[tcpAt+16] ^= 0x40 }} // TCP checksum
	w.Advance(ms)
	c.Client(ack)
	c.Link = craft.Link{}
	w.Advance(ms)
	closeByClient(w, c, ms)
}

// bogusBlockFrame is the frame of bogus-block.pcapng whose block length is
// bogus, and bogusBlockLength that length.
const (
	bogusBlockFrame  = 9
	bogusBlockLength = 0xfffffff0
)

// bogusBlock: textbook.pcap's story as a pcapng file whose 9th enhanced
// packet block claims a length of 0xfffffff0 bytes; the frames before it
// are whole, and so are the blocks after it.
func bogusBlock() ([]byte, error) {
	data, err := textbookNg(nil)
	if err != nil {
		return nil, err
	}
	packets := 0
	for off := 0; off+12 <= len(data); {
		typ, n := binary.LittleEndian.Uint32(data[off:]), binary.LittleEndian.Uint32(data[off+4:])
		if typ == 6 { // an enhanced packet block
			if packets++; packets == bogusBlockFrame {
				binary.LittleEndian.PutUint32(data[off+4:], bogusBlockLength)
				return data, nil
			}
		}
		off += int(n)
	}
	return nil, fmt.Errorf("no packet block %d", bogusBlockFrame)
}
