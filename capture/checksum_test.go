package capture

import (
	"path/filepath"
	"testing"
)

// TestChecksumsCrafted checks that every checksum of the crafted captures,
// which tools/mkpcaps computes right, is found good: IPv4 headers and TCP
// over IPv4 and IPv6 (extension headers, tunnels, reassembled fragments)
// and the UDP and ICMP messages around them, unless the snap length cut
// what a checksum covers.
func TestChecksumsCrafted(t *testing.T) {
	files, _ := filepath.Glob("../testdata/pcaps/*.pcap*")
	checked := 0
	for _, path := range files {
		switch filepath.Base(path) {
		case "loopback.pcap", "loopback-again.pcap", "echo.pcap": // checksums left to offload, as on lo
			continue
		case "damaged.pcap": // wrong checksums on purpose: TestChecksumViewsAgree
			continue
		}
		r := NewReader(path)
		r.AllFrames = true
		var seg Segment
		for r.Next(&seg) == nil {
			f := r.Frame()
			if seg.BadHeader { // crafted by changing a good segment's lengths afterwards
				continue
			}
			for i, h := range f.Headers {
				c := ChecksumAt(f, i)
				switch c.Status {
				case ChecksumGood:
					checked++
				case ChecksumBad, ChecksumUnfilled:
					t.Errorf("%s frame %d: %v checksum %04x is %v, want %04x", filepath.Base(path), f.Number, h.Kind, c.Stored, c.Status, c.Want)
				case ChecksumUnverified:
					if len(f.Data) == f.WireLen {
						t.Errorf("%s frame %d: %v checksum unverified in a frame captured whole", filepath.Base(path), f.Number, h.Kind)
					}
				}
			}
		}
		r.Close()
	}
	if checked < 1000 {
		t.Errorf("only %d checksums checked", checked)
	}
}

// TestChecksumViewsAgree checks that the packet views' ChecksumAt and the
// decoder's per-segment verdict judge every segment alike, on captures with
// right, wrong and offloaded checksums.
func TestChecksumViewsAgree(t *testing.T) {
	bad := 0
	for _, name := range []string{"damaged.pcap", "loopback.pcap", "loopback-again.pcap", "snaplen.pcap"} {
		r := NewReader("../testdata/pcaps/" + name)
		var seg Segment
		for r.Next(&seg) == nil {
			if seg.BadHeader || seg.Quoted {
				continue
			}
			ip, tcp := Checksums(r.Frame())
			if ip.Status != seg.IPChecksum || tcp.Status != seg.TCPChecksum {
				t.Errorf("%s frame %d: views say IP %v, TCP %v; the decoder %v, %v", name, seg.Frame, ip.Status, tcp.Status, seg.IPChecksum, seg.TCPChecksum)
			}
			if seg.IPChecksum == ChecksumBad || seg.TCPChecksum == ChecksumBad {
				bad++
			}
		}
		r.Close()
	}
	if bad != 2 { // damaged.pcap's frames 39 and 40
		t.Errorf("%d segments with a bad checksum, want 2", bad)
	}
}

// TestChecksumsLoopback checks the offload case on real loopback traffic:
// Linux leaves the TCP checksum of every segment it sends to the (absent)
// card, holding only the pseudo-header's sum, except the RST the kernel
// builds itself for the refused connection (frame 14); tcpdump's values
// ("cksum 0xfe30 (incorrect -> 0xcf75)") are the expected ones.
func TestChecksumsLoopback(t *testing.T) {
	want := map[uint64][2]uint16{1: {0xfe30, 0xcf75}, 2: {0xfe30, 0x3ea9}, 4: {0xfe2e, 0x233e}}
	r := NewReader("../testdata/pcaps/loopback.pcap")
	defer r.Close()
	var seg Segment
	for r.Next(&seg) == nil && seg.Frame <= 20 {
		f := r.Frame()
		ip, tcp := Checksums(f)
		if ip.Status != ChecksumGood {
			t.Errorf("frame %d: IPv4 header checksum %v", f.Number, ip.Status)
		}
		switch {
		case f.Number == 14:
			if tcp.Status != ChecksumGood {
				t.Errorf("frame 14 (the kernel's RST): %v, want good", tcp.Status)
			}
		case len(f.Data) < f.WireLen:
			if tcp.Status != ChecksumUnverified {
				t.Errorf("frame %d (cut): %v, want unverified", f.Number, tcp.Status)
			}
		default:
			if tcp.Status != ChecksumUnfilled {
				t.Errorf("frame %d: %v, want unfilled", f.Number, tcp.Status)
			}
		}
		if w, ok := want[f.Number]; ok && (tcp.Stored != w[0] || tcp.Want != w[1]) {
			t.Errorf("frame %d: stored %04x want %04x, tcpdump says %04x -> %04x", f.Number, tcp.Stored, tcp.Want, w[0], w[1])
		}
	}
}

// TestChecksumBad flips a payload byte: the checksum is then bad, and Want
// is the value that would make it right.
func TestChecksumBad(t *testing.T) {
	r := NewReader("../testdata/pcaps/textbook.pcap")
	defer r.Close()
	var seg Segment
	for r.Next(&seg) == nil {
		if seg.Frame == 4 {
			break
		}
	}
	f := r.Frame()
	data := append([]byte(nil), f.Data...)
	g := *f
	g.Data = data
	_, good := Checksums(&g)
	data[len(data)-1] ^= 0x20
	ip, bad := Checksums(&g)
	if ip.Status != ChecksumGood || good.Status != ChecksumGood || bad.Status != ChecksumBad {
		t.Fatalf("statuses ip %v, before %v, after %v", ip.Status, good.Status, bad.Status)
	}
	// Storing Want makes it right.
	tcp := g.Headers[g.Find(HeaderTCP)].Off
	data[tcp+16], data[tcp+17] = byte(bad.Want>>8), byte(bad.Want)
	if _, c := Checksums(&g); c.Status != ChecksumGood {
		t.Errorf("with the wanted value %04x stored: %v", bad.Want, c.Status)
	}
}

func BenchmarkSum(b *testing.B) {
	buf := make([]byte, 1500)
	for i := range buf {
		buf[i] = byte(i)
	}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Sum(buf)
	}
}
