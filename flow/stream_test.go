package flow

import (
	"bytes"
	"crypto/sha256"
	"net/netip"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
)

// collect is a StreamSink that keeps what it is given.
type collect struct {
	data [2][]byte
	gaps [2][]Gap
}

func (c *collect) Data(_ int, d Dir, off int64, b []byte, frame uint64, _ int64) {
	if int64(len(c.data[d])) != off-c.gapBytes(d) {
		panic("data not contiguous with the offsets given")
	}
	c.data[d] = append(c.data[d], b...)
}

func (c *collect) Gap(_ int, d Dir, off, n int64, frame uint64) {
	c.gaps[d] = append(c.gaps[d], Gap{off, n, frame})
}

func (c *collect) gapBytes(d Dir) int64 {
	var n int64
	for _, g := range c.gaps[d] {
		n += g.Size
	}
	return n
}

var (
	cliAP = netip.MustParseAddrPort("10.0.0.1:40000")
	srvAP = netip.MustParseAddrPort("10.0.0.2:80")
)

// seg is one scripted segment: direction, flags, sequence number and payload.
type sseg struct {
	d     Dir
	flags capture.Flags
	seq   uint32
	data  string
}

const (
	syn = capture.SYN
	ack = capture.ACK
	fin = capture.FIN
	rst = capture.RST
)

func feed(t *testing.T, segs []sseg) (*Streams, *collect) {
	t.Helper()
	sink := &collect{}
	s := NewReassembler(sink, DefaultStreamOptions).NewStreams(7)
	for i, x := range segs {
		c := capture.Segment{Frame: uint64(i + 1), Time: int64(i+1) * 1e6, Seq: x.seq, Flags: x.flags | ack,
			Payload: []byte(x.data), PayloadLen: len(x.data), Src: cliAP, Dst: srvAP}
		if x.flags&syn != 0 && x.d == C2S {
			c.Flags = syn
		}
		if x.d == S2C {
			c.Src, c.Dst = srvAP, cliAP
		}
		s.Feed(&c, x.d)
	}
	s.Close()
	return s, sink
}

func TestStreams(t *testing.T) {
	const cISN, sISN = 1000, 5000
	open := []sseg{{C2S, syn, cISN, ""}, {S2C, syn, sISN, ""}}
	tests := []struct {
		name       string
		segs       []sseg
		c2s, s2c   string
		gaps       int64 // bytes missing client to server
		overlaps   int   // differing overlaps client to server
		retransmit int64
	}{
		{"in order", append(open, sseg{C2S, 0, cISN + 1, "hello "}, sseg{C2S, 0, cISN + 7, "world"}, sseg{S2C, 0, sISN + 1, "ok"}),
			"hello world", "ok", 0, 0, 0},
		{"out of order", append(open, sseg{C2S, 0, cISN + 7, "world"}, sseg{C2S, 0, cISN + 1, "hello "}),
			"hello world", "", 0, 0, 0},
		{"retransmission, same bytes", append(open, sseg{C2S, 0, cISN + 1, "hello "}, sseg{C2S, 0, cISN + 1, "hello "}, sseg{C2S, 0, cISN + 7, "world"}),
			"hello world", "", 0, 0, 6},
		{"overlap with different bytes", append(open, sseg{C2S, 0, cISN + 1, "hello "}, sseg{C2S, 0, cISN + 4, "XYZ"}, sseg{C2S, 0, cISN + 7, "world"}),
			"hello world", "", 0, 1, 3},
		{"partial overlap extends", append(open, sseg{C2S, 0, cISN + 1, "hello"}, sseg{C2S, 0, cISN + 4, "lo world"}),
			"hello world", "", 0, 0, 2},
		{"gap never filled", append(open, sseg{C2S, 0, cISN + 1, "hello "}, sseg{C2S, 0, cISN + 12, "again"}),
			"hello again", "", 5, 0, 0},
		{"mid-stream start", []sseg{{C2S, 0, 77, "abc"}, {S2C, 0, 99, "xyz"}, {C2S, 0, 80, "def"}},
			"abcdef", "xyz", 0, 0, 0},
		{"sequence wrap", []sseg{{C2S, syn, 0xfffffffd, ""}, {C2S, 0, 0xfffffffe, "ab"}, {C2S, 0, 0, "cd"}, {C2S, 0, 2, "ef"}},
			"abcdef", "", 0, 0, 0},
		{"FIN then late data", append(open, sseg{C2S, 0, cISN + 7, "world"}, sseg{C2S, fin, cISN + 12, ""}, sseg{C2S, 0, cISN + 1, "hello "}),
			"hello world", "", 0, 0, 0},
		{"RST ends the stream", append(open, sseg{C2S, 0, cISN + 1, "hello"}, sseg{S2C, rst, sISN + 1, ""}, sseg{S2C, 0, sISN + 1, "late"}),
			"hello", "", 0, 0, 0}, // data after its own RST is not part of the server's stream
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, sink := feed(t, tt.segs)
			if got := string(sink.data[C2S]); got != tt.c2s {
				t.Errorf("client bytes %q, want %q", got, tt.c2s)
			}
			if got := string(sink.data[S2C]); got != tt.s2c {
				t.Errorf("server bytes %q, want %q", got, tt.s2c)
			}
			f := &s.Facts[C2S]
			if f.GapBytes != tt.gaps || sink.gapBytes(C2S) != tt.gaps {
				t.Errorf("gap bytes %d (sink %d), want %d", f.GapBytes, sink.gapBytes(C2S), tt.gaps)
			}
			if f.OverlapCount != tt.overlaps {
				t.Errorf("differing overlaps %d, want %d (%+v)", f.OverlapCount, tt.overlaps, f.Overlaps)
			}
			if f.Retransmitted != tt.retransmit {
				t.Errorf("retransmitted %d, want %d", f.Retransmitted, tt.retransmit)
			}
			if want := sha256.Sum256(sink.data[C2S]); f.SHA256 != want {
				t.Errorf("sha256 is not that of the delivered bytes")
			}
			if f.Bytes != int64(len(tt.c2s)) {
				t.Errorf("bytes %d, want %d", f.Bytes, len(tt.c2s))
			}
		})
	}
}

// TestStreamGapRecorded checks where a gap is placed and which frame follows it.
func TestStreamGapRecorded(t *testing.T) {
	s, _ := feed(t, []sseg{{C2S, syn, 0, ""}, {C2S, 0, 1, "aaaa"}, {C2S, 0, 9, "cccc"}})
	g := s.Facts[C2S].Gaps
	if len(g) != 1 || g[0] != (Gap{Offset: 4, Size: 4, Frame: 3}) {
		t.Errorf("gaps %+v, want one of 4 bytes at offset 4 before frame 3", g)
	}
}

// TestStreamAckedUnseen checks that bytes the peer acknowledged but the
// capture never showed count as a gap at the end.
func TestStreamAckedUnseen(t *testing.T) {
	sink := &collect{}
	s := NewReassembler(sink, DefaultStreamOptions).NewStreams(1)
	segs := []capture.Segment{
		{Frame: 1, Seq: 100, Flags: syn, Src: cliAP, Dst: srvAP},
		{Frame: 2, Seq: 101, Flags: ack, Payload: []byte("abc"), PayloadLen: 3, Src: cliAP, Dst: srvAP},
		{Frame: 3, Seq: 500, Ack: 111, Flags: ack, Src: srvAP, Dst: cliAP},
	}
	for i := range segs {
		d := C2S
		if segs[i].Src == srvAP {
			d = S2C
		}
		s.Feed(&segs[i], d)
	}
	s.Close()
	if got := s.Facts[C2S].GapBytes; got != 7 {
		t.Errorf("gap bytes %d, want 7 (acked up to 111, delivered to 104)", got)
	}
}

func TestRecognize(t *testing.T) {
	hello := tlsClientHello("example.com")
	tests := []struct {
		in      []byte
		want    string
		decided bool
	}{
		{[]byte("GET /index.html HTTP/1.1\r\nHost: x\r\n"), "HTTP request: GET /index.html HTTP/1.1", true},
		{[]byte("GET /index.html HT"), "", false},
		{[]byte("HTTP/1.1 404 Not Found\r\n"), "HTTP response: HTTP/1.1 404 Not Found", true},
		{[]byte("SSH-2.0-OpenSSH_9.6\r\n"), "SSH banner: SSH-2.0-OpenSSH_9.6", true},
		{[]byte("220 mail.example.org ESMTP Postfix\r\n"), "SMTP greeting: 220 mail.example.org ESMTP Postfix", true},
		{[]byte("220 ProFTPD Server ready.\r\n"), "FTP greeting: 220 ProFTPD Server ready.", true},
		{hello, "TLS ClientHello, SNI example.com", true},
		{hello[:20], "", false},
		{[]byte{0, 1, 2, 3, 4, 5, 6, 7, 8}, "", true},
		{[]byte("GE"), "", false},
	}
	for _, tt := range tests {
		got, decided := Recognize(tt.in)
		if got != tt.want || decided != tt.decided {
			t.Errorf("Recognize(%q) = %q, %v; want %q, %v", tt.in, got, decided, tt.want, tt.decided)
		}
	}
}

// tlsClientHello builds a minimal TLS 1.2 ClientHello record with a
// server_name extension (RFC 8446 section 4.1.2, RFC 6066 section 3).
func tlsClientHello(name string) []byte {
	sni := []byte{0, 0} // extension type server_name
	entry := append([]byte{0, byte(len(name) >> 8), byte(len(name))}, name...)
	list := append([]byte{byte(len(entry) >> 8), byte(len(entry))}, entry...)
	sni = append(sni, byte(len(list)>>8), byte(len(list)))
	sni = append(sni, list...)
	var body bytes.Buffer
	body.Write([]byte{3, 3})             // legacy_version
	body.Write(make([]byte, 32))         // random
	body.WriteByte(0)                    // session id
	body.Write([]byte{0, 2, 0x13, 0x01}) // one cipher suite
	body.Write([]byte{1, 0})             // compression: null
	body.Write([]byte{byte(len(sni) >> 8), byte(len(sni))})
	body.Write(sni)
	hs := append([]byte{1, 0, byte(body.Len() >> 8), byte(body.Len())}, body.Bytes()...)
	return append([]byte{0x16, 3, 1, byte(len(hs) >> 8), byte(len(hs))}, hs...)
}
