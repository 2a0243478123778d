package capture

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// readAll reads every segment of the named inputs and returns the segments
// (without payloads) and the errors met.
func readAll(t *testing.T, r *Reader) ([]Segment, []error) {
	t.Helper()
	var segs []Segment
	var errs []error
	var seg Segment
	for {
		err := r.Next(&seg)
		if err == io.EOF {
			return segs, errs
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if seg.Quoted || seg.BadHeader {
			continue
		}
		s := seg
		s.Payload = nil
		segs = append(segs, s)
	}
}

// TestCorpus reads captures of the shared corpus (TCPFLOW_CORPUS). The frame
// counts are MANIFEST.tsv's `packets` column (what tshark reads); the TCP counts
// were checked against `tshark -Y tcp` (frames whose innermost TCP header is a
// real segment, not one quoted in an ICMP error).
func TestCorpus(t *testing.T) {
	dir := os.Getenv("TCPFLOW_CORPUS")
	if dir == "" {
		t.Skip("TCPFLOW_CORPUS not set")
	}
	tests := []struct {
		file       string
		frames     uint64
		tcp        uint64
		links      string // link types seen
		errFrame   uint64 // frame of the fault, 0 for none
		errOffset  int64
		errWrapped error
	}{
		// pcapng, Ethernet: the textbook handshake.
		{file: "chrissanders__tcp_handshake.pcapng", frames: 3, tcp: 3, links: "ETHERNET(1)"},
		// Big-endian nanosecond classic pcap.
		{file: "pcapplusplus__nanosecs_big_endian.pcap", frames: 10, tcp: 10, links: "ETHERNET(1)"},
		// Little-endian nanosecond pcap with Linux SLL.
		{file: "tcpdump__tcp-handshake-nano.pcap", frames: 3, tcp: 3, links: "LINUX_SLL(113)"},
		// SLL2.
		{file: "suricata__decode-sll2-01__input.pcap", frames: 5, tcp: 5, links: "LINUX_SLL2(276)"},
		// Raw IP, v4 and v6.
		{file: "pcapplusplus__raw_ip.pcap", frames: 100, tcp: 92, links: "RAW(101)"},
		// BSD loopback with IPv6.
		{file: "gopacket__test_loopback.pcap", frames: 24, tcp: 24, links: "NULL(0)"},
		// LINKTYPE_IPV4, TCP then ICMP pings.
		{file: "zeek__timeout-with-pings.pcap", frames: 15, tcp: 3, links: "IPV4(228)"},
		// pcapng with 11 interfaces of 3 link types.
		{file: "pcapplusplus__many_interfaces-1.pcapng", frames: 64, tcp: 32, links: "ETHERNET(1),NULL(0)"},
		// VLAN, QinQ and PPPoE in front of IPv4.
		{file: "pcapplusplus__one_http_stream_rst.pcap", frames: 10, tcp: 10, links: "ETHERNET(1)"},
		// GRE and VXLAN tunnels.
		{file: "zeek__gre-sample.pcap", frames: 40, tcp: 22, links: "ETHERNET(1)"},
		{file: "zeek__vxlan-encapsulated-http.pcap", frames: 12, tcp: 12, links: "ETHERNET(1)"},
		// IPv4 fragments: 11 frames make 1 TCP segment.
		{file: "pcapplusplus__frag_http_req.pcap", frames: 11, tcp: 1, links: "ETHERNET(1)"},
		// Corrupt record header at frame 19.
		{file: "suricata__10.7.29.101_49898-178.63.41.150_25.pcap", frames: 18, tcp: 18, links: "ETHERNET(1)",
			errFrame: 19, errOffset: 3695},
		// One stray byte after the last record.
		{file: "suricata__pgsql-5000-query-results__input.pcap", frames: 785, tcp: 785, links: "ETHERNET(1)",
			errFrame: 786, errOffset: 3276005, errWrapped: ErrCutShort},
		// ICMP "fragmentation needed" errors quoting TCP headers: counted, not segments.
		{file: "zeek__smtp.pcap", frames: 125, tcp: 118, links: "ETHERNET(1)"},
		// Fuzzed header cut by the snap length inside its options: still a
		// segment (12264 bytes by the IP header), as in Wireshark.
		{file: "tcpdump__tcp-auth-heapoverflow.pcap", frames: 1, tcp: 1, links: "ETHERNET(1)"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r := NewReader(filepath.Join(dir, tt.file))
			defer r.Close()
			segs, errs := readAll(t, r)
			if r.Stats.Frames != tt.frames || r.Stats.TCP != tt.tcp || uint64(len(segs)) != tt.tcp {
				t.Errorf("frames %d, tcp %d (%d segments), want %d and %d", r.Stats.Frames, r.Stats.TCP, len(segs), tt.frames, tt.tcp)
			}
			var skipped uint64
			for _, reason := range Reasons() {
				if reason != TruncatedPayload {
					skipped += r.Stats.Count[reason]
				}
			}
			if r.Stats.TCP+skipped != r.Stats.Frames {
				t.Errorf("tcp %d + skipped %d != frames %d: a frame went uncounted", r.Stats.TCP, skipped, r.Stats.Frames)
			}
			var links []string
			for _, l := range r.Stats.Links {
				links = append(links, LinkName(l.Type))
			}
			if got := join(links); got != tt.links {
				t.Errorf("links %s, want %s", got, tt.links)
			}
			if tt.errFrame == 0 {
				if len(errs) != 0 {
					t.Errorf("unexpected errors %v", errs)
				}
				return
			}
			var re *ReadError
			if len(errs) != 1 || !errors.As(errs[0], &re) {
				t.Fatalf("errors %v, want one ReadError", errs)
			}
			if re.Frame != tt.errFrame || re.Offset != tt.errOffset {
				t.Errorf("fault at frame %d offset %d, want %d and %d", re.Frame, re.Offset, tt.errFrame, tt.errOffset)
			}
			if tt.errWrapped != nil && !errors.Is(re, tt.errWrapped) {
				t.Errorf("error %v does not wrap %v", re, tt.errWrapped)
			}
		})
	}
}

func join(s []string) string {
	var b bytes.Buffer
	for i, x := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(x)
	}
	return b.String()
}

// craftPcap writes n small TCP frames (Ethernet/IPv4/TCP, 10 payload bytes each)
// into a classic pcap in memory.
func craftPcap(t testing.TB, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{0, 1, 2, 3, 4, 5}, DstMAC: net.HardwareAddr{0, 1, 2, 3, 4, 6}, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: net.IP{10, 0, 0, 1}, DstIP: net.IP{10, 0, 0, 2}}
		tcp := &layers.TCP{SrcPort: 40000, DstPort: 80, Seq: uint32(1000 + 10*i), Ack: 1, ACK: true, Window: 512,
			Options: []layers.TCPOption{{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: []byte{0, 0, 0, byte(i), 0, 0, 0, 1}}}}
		tcp.SetNetworkLayerForChecksum(ip)
		sb := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(sb, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
			eth, ip, tcp, gopacket.Payload([]byte("0123456789"))); err != nil {
			t.Fatal(err)
		}
		data := sb.Bytes()
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, int64(i)*1000).UTC(), CaptureLength: len(data), Length: len(data)}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// TestReadTruncation cuts a capture at every byte and checks that every complete
// record before the cut is delivered and that a cut inside a record is reported
// with the right frame and offset.
func TestReadTruncation(t *testing.T) {
	full := craftPcap(t, 3)
	recLen := (len(full) - 24) / 3
	dir := t.TempDir()
	for cut := 0; cut <= len(full); cut++ {
		path := filepath.Join(dir, "cut.pcap")
		if err := os.WriteFile(path, full[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		r := NewReader(path)
		segs, errs := readAll(t, r)
		r.Close()
		switch {
		case cut < 24:
			if len(errs) != 1 || len(segs) != 0 {
				t.Errorf("cut %d (in the file header): %d segments, errors %v; want 0 and one error", cut, len(segs), errs)
			}
			continue
		}
		whole := (cut - 24) / recLen
		if len(segs) != whole {
			t.Errorf("cut %d: %d segments, want %d", cut, len(segs), whole)
		}
		atBoundary := (cut-24)%recLen == 0
		if atBoundary {
			if len(errs) != 0 {
				t.Errorf("cut %d at a record boundary: errors %v", cut, errs)
			}
			continue
		}
		var re *ReadError
		if len(errs) != 1 || !errors.As(errs[0], &re) {
			t.Errorf("cut %d: errors %v, want one ReadError", cut, errs)
			continue
		}
		if re.Frame != uint64(whole+1) || re.Offset != int64(24+whole*recLen) || !errors.Is(re, ErrCutShort) {
			t.Errorf("cut %d: %v; want frame %d at offset %d, cut short", cut, re, whole+1, 24+whole*recLen)
		}
	}
}

// TestGzipAndStdin reads the same capture plain, gzip-compressed and from stdin.
func TestGzipAndStdin(t *testing.T) {
	full := craftPcap(t, 4)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(full)
	zw.Close()
	dir := t.TempDir()
	plain, zipped := filepath.Join(dir, "a.pcap"), filepath.Join(dir, "a.pcap.gz")
	os.WriteFile(plain, full, 0o644)
	os.WriteFile(zipped, gz.Bytes(), 0o644)

	stdin := NewReader("-")
	stdin.Stdin = bytes.NewReader(gz.Bytes())
	for name, r := range map[string]*Reader{"plain": NewReader(plain), "gzip": NewReader(zipped), "stdin": stdin} {
		segs, errs := readAll(t, r)
		if len(segs) != 4 || len(errs) != 0 {
			t.Errorf("%s: %d segments, errors %v; want 4, none", name, len(segs), errs)
			continue
		}
		s := segs[3]
		if s.Frame != 4 || s.Seq != 1030 || s.PayloadLen != 10 || !s.Opts.HasTS || s.Opts.TSVal != 3 || s.Flags != ACK {
			t.Errorf("%s: last segment %+v", name, s)
		}
		if name == "gzip" && !r.Inputs[0].Gzip {
			t.Error("gzip input not marked")
		}
	}
}

// TestSeveralFiles checks that frame numbers continue across inputs and that a
// faulty input does not stop the next one.
func TestSeveralFiles(t *testing.T) {
	dir := t.TempDir()
	a, bad, b := filepath.Join(dir, "a.pcap"), filepath.Join(dir, "bad.pcap"), filepath.Join(dir, "b.pcap")
	os.WriteFile(a, craftPcap(t, 2), 0o644)
	os.WriteFile(bad, []byte("not a capture at all"), 0o644)
	os.WriteFile(b, craftPcap(t, 3), 0o644)
	r := NewReader(a, bad, b)
	segs, errs := readAll(t, r)
	if len(segs) != 5 || segs[4].Frame != 5 || segs[4].File != 2 {
		t.Errorf("got %d segments, last %+v", len(segs), segs[len(segs)-1])
	}
	if len(errs) != 1 {
		t.Errorf("errors %v, want one for bad.pcap", errs)
	}
}

// FuzzReader feeds arbitrary bytes: the reader must not panic, must account for
// every frame, and must never report a payload longer than the segment.
func FuzzReader(f *testing.F) {
	f.Add(craftPcap(f, 2))
	if dir := os.Getenv("TCPFLOW_CORPUS"); dir != "" {
		for _, name := range []string{"chrissanders__tcp_handshake.pcapng", "zeek__option-sack.pcap", "tcpdump__tcp-auth-heapoverflow.pcap"} {
			if data, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader("-")
		r.Stdin = bytes.NewReader(data)
		var seg Segment
		for i := 0; i < 10000; i++ {
			err := r.Next(&seg)
			if err != nil {
				break
			}
			if !seg.Quoted && (len(seg.Payload) > seg.PayloadLen || seg.PayloadLen < 0) {
				t.Fatalf("payload %d bytes > segment length %d", len(seg.Payload), seg.PayloadLen)
			}
		}
		var skipped uint64
		for _, reason := range Reasons() {
			if reason != TruncatedPayload {
				skipped += r.Stats.Count[reason]
			}
		}
		if r.Stats.TCP+skipped != r.Stats.Frames {
			t.Fatalf("tcp %d + skipped %d != frames %d", r.Stats.TCP, skipped, r.Stats.Frames)
		}
	})
}
