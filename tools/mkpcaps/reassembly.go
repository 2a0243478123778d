package main

import (
	"fmt"
	"time"

	"github.com/tcpflow/tcpflow/internal/craft"
)

// reassemblyCase is one connection of reassembly.pcap: what it does to the
// byte stream, and the bytes a correct reassembly delivers for each side.
type reassemblyCase struct {
	what             string
	client, server   string // the bytes each side's stream must hold
	gapBytes         int64  // client bytes never captured
	differingOverlap bool   // a retransmission brings other bytes than delivered
	run              func(c *craft.Conn, w *craft.Wire)
}

// reassemblyCases is the table TestReassembly checks reassembly.pcap against.
// Each case is a connection on its own client port (41000 + index).
var reassemblyCases = []reassemblyCase{
	{what: "in order", client: "GET / HTTP/1.1\r\n\r\n", server: "HTTP/1.1 204 No Content\r\n\r\n",
		run: func(c *craft.Conn, w *craft.Wire) {
			c.Client(psh|ack, craft.Payload([]byte("GET / HTTP/1.1\r\n\r\n")))
			w.Advance(ms)
			c.Server(psh|ack, craft.Payload([]byte("HTTP/1.1 204 No Content\r\n\r\n")))
		}},
	{what: "out of order: the second segment is captured first", client: "hello world",
		run: func(c *craft.Conn, w *craft.Wire) {
			base := c.C.Next
			c.Client(psh|ack, craft.Seq(base+6), craft.Payload([]byte("world")))
			w.Advance(ms)
			c.Client(psh|ack, craft.Seq(base), craft.Payload([]byte("hello ")))
		}},
	{what: "retransmission of the same bytes", client: "hello world",
		run: func(c *craft.Conn, w *craft.Wire) {
			base := c.C.Next
			c.Client(psh|ack, craft.Payload([]byte("hello ")))
			w.Advance(200 * ms)
			c.Client(psh|ack, craft.Seq(base), craft.Payload([]byte("hello ")))
			c.Client(psh|ack, craft.Payload([]byte("world")))
		}},
	{what: "overlap with different bytes: the first delivered win", client: "hello world", differingOverlap: true,
		run: func(c *craft.Conn, w *craft.Wire) {
			base := c.C.Next
			c.Client(psh|ack, craft.Payload([]byte("hello ")))
			w.Advance(ms)
			c.Client(psh|ack, craft.Seq(base+2), craft.Payload([]byte("XXX")))
			c.Client(psh|ack, craft.Seq(base+6), craft.Payload([]byte("world")))
		}},
	{what: "overlap that extends past what was delivered", client: "hello world",
		run: func(c *craft.Conn, w *craft.Wire) {
			base := c.C.Next
			c.Client(psh|ack, craft.Payload([]byte("hello")))
			w.Advance(ms)
			c.Client(psh|ack, craft.Seq(base+3), craft.Payload([]byte("lo world")))
		}},
	{what: "a segment lost before the capture point: a gap, never stitched", client: "hello again", gapBytes: 5,
		run: func(c *craft.Conn, w *craft.Wire) {
			c.Client(psh|ack, craft.Payload([]byte("hello ")))
			c.Client(psh|ack, craft.Payload([]byte("world")), craft.Unseen)
			w.Advance(ms)
			c.Client(psh|ack, craft.Payload([]byte("again")))
		}},
	{what: "FIN captured before the last data", client: "hello world",
		run: func(c *craft.Conn, w *craft.Wire) {
			base := c.C.Next
			c.Client(psh|ack, craft.Seq(base+6), craft.Payload([]byte("world")))
			c.Client(fin|ack, craft.Seq(base+11))
			w.Advance(ms)
			c.Client(psh|ack, craft.Seq(base), craft.Payload([]byte("hello ")))
		}},
	{what: "RST ends the server's stream: its later data is not stream data", client: "hello", server: "no",
		run: func(c *craft.Conn, w *craft.Wire) {
			c.Client(psh|ack, craft.Payload([]byte("hello")))
			w.Advance(ms)
			c.Server(psh|ack, craft.Payload([]byte("no")))
			c.Server(rst | ack)
			c.Server(psh|ack, craft.Payload([]byte("late")))
		}},
}

// reassembly writes one connection per case: handshake (except the
// mid-stream case, added last), the case's segments, and no close unless the
// case has one.
func reassembly(w *craft.Wire) {
	for i, rc := range reassemblyCases {
		c := w.Conn(ap(fmt.Sprintf("192.0.2.10:%d", 41000+i)), ap("198.51.100.20:80"), 0xfffffff0-uint32(i)*0x100000, 0x10000000+uint32(i))
		c.Handshake(ms)
		w.Advance(100 * us)
		rc.run(c, w)
		w.Advance(5 * time.Millisecond)
	}
	// Sequence numbers that wrap past 2^32 in the middle of the data (the
	// client's ISN is 2^32 - 4).
	c := w.Conn(ap(fmt.Sprintf("192.0.2.10:%d", 41000+len(reassemblyCases))), ap("198.51.100.20:80"), 0xfffffffc, 0x20000000)
	c.Handshake(ms)
	c.Client(psh|ack, craft.Payload([]byte("abcdef")))
	c.Client(psh|ack, craft.Payload([]byte("ghijkl")))
	// Joined mid-stream: the handshake happened before the capture.
	m := w.Conn(ap(fmt.Sprintf("192.0.2.10:%d", 41001+len(reassemblyCases))), ap("198.51.100.20:80"), 0x30000000, 0x40000000)
	m.Client(syn, craft.LinuxSYN(1460, 7), craft.Unseen)
	m.Server(syn|ack, craft.LinuxSYN(1460, 7), craft.Unseen)
	m.Client(ack, craft.Unseen)
	m.Client(psh|ack, craft.Payload([]byte("mid")))
	m.Client(psh|ack, craft.Payload([]byte("stream")))
}

// The last two connections of reassembly.pcap and their client bytes.
var reassemblyTail = []string{"abcdefghijkl", "midstream"}
