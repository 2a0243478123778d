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

	"github.com/tcpflow/tcpflow/internal/corpus"
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
	dir := corpus.Require(t)
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
		// Tunnels and link types (tshark -Y tcp.len).
		{file: "arkime__gre-erspan-vxlan.pcap", frames: 7, tcp: 7, links: "ETHERNET(1)"}, // VXLAN in ERSPAN II in GRE
		{file: "arkime__mpls-basic.pcap", frames: 58, tcp: 19, links: "ETHERNET(1)"},
		{file: "arkime__nflog.pcap", frames: 10, tcp: 10, links: "NFLOG(239)"},
		{file: "arkime__tcpdump-geneve.pcap", frames: 39, tcp: 33, links: "ETHERNET(1)"},
		{file: "zeek__gtp1_gn_normal_incl_fragmentation.pcap", frames: 108, tcp: 68, links: "ETHERNET(1)"}, // GTP-U in outer IPv4 fragments
		{file: "suricata__hdlc-http_1tx.pcap", frames: 17, tcp: 17, links: "C_HDLC(104)"},
		{file: "suricata__pppoe-session-http.pcap", frames: 30, tcp: 30, links: "ETHERNET(1)"}, // compressed PPP protocol field
		{file: "tcpdump__ipoib.pcap", frames: 30, tcp: 20, links: "IPOIB(242)"},
		{file: "zeek__ayiya3.pcap", frames: 35, tcp: 21, links: "ETHERNET(1)"},
		{file: "zeek__dns-inverse-query.pcap", frames: 11, tcp: 11, links: "FDDI(10)"},
		{file: "zeek__gre-aruba.pcap", frames: 2407, tcp: 2407, links: "ETHERNET(1)"},
		{file: "zeek__gre-over-udp-4754.pcap", frames: 14, tcp: 10, links: "ETHERNET(1)"},
		// Two of tshark's four have a bogus header length: numbered, not segments.
		{file: "ndpi__ip_fragmented_garbage.pcap", frames: 1252, tcp: 2, links: "ETHERNET(1)"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r := NewReader(filepath.Join(dir, tt.file))
			defer r.Close()
			segs, errs := readAll(t, r)
			checkTotals(t, r, segs, tt.frames, tt.tcp, tt.links)
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

// testdata is the project's own captures (testdata/pcaps).
var testdata = filepath.Join("..", "testdata", "pcaps")

// TestLinkTypesAndTunnels reads the project's captures of link types and
// encapsulations. The frame and TCP counts are tshark's (`tshark -Y tcp`,
// less the frames in which it reads no tcp.len); the captures are described
// in testdata/pcaps/README.md.
func TestLinkTypesAndTunnels(t *testing.T) {
	tests := []struct {
		file       string
		frames     uint64
		tcp        uint64
		links      string
		count      map[Reason]uint64 // reasons with a non-zero count
		conns, per int               // client ports from port0: conns connections of per segments each
		port0      uint16
	}{
		// Made by tools/mkpcaps (tunnels): 26 encapsulations, then 3 UDP
		// datagrams on tunnel ports without TCP; one outer fragment held.
		{file: "tunnels.pcap", frames: 238, tcp: 234, links: "ETHERNET(1)",
			count: map[Reason]uint64{NotTCP: 3, Fragment: 1}, conns: 26, per: 9, port0: 42000},
		// mkpcaps linkTypes: 15 connections on 14 interfaces, a protected
		// 802.11 frame and a beacon.
		{file: "linktypes.pcapng", frames: 137, tcp: 135,
			links: "C_HDLC(104),FDDI(10),IPOIB(242),NFLOG(239),IEEE802_11(105),IEEE802_11_RADIOTAP(127),LINUX_SLL(113)," +
				"PPP(9),PPP_HDLC(50),PPP_ETHER(51),ARCNET_LINUX(129),JUNIPER_ETHER(178)",
			count: map[Reason]uint64{NotIP: 1, Encrypted: 1}, conns: 15, per: 9, port0: 45000},
		// mkpcaps lengths: TSO, jumbogram, bogus IP length, trailer, snap length.
		{file: "lengths.pcap", frames: 45, tcp: 45, links: "ETHERNET(1)",
			count: map[Reason]uint64{TruncatedPayload: 1}, conns: 5, per: 9, port0: 43000},
		// mkpcaps badHeaders: two bogus headers, one cut in its options.
		{file: "bad-headers.pcap", frames: 20, tcp: 18, links: "ETHERNET(1)",
			count: map[Reason]uint64{Malformed: 2, TruncatedPayload: 1}},
		// Earlier link types.
		{file: "sll.pcap", frames: 10, tcp: 10, links: "LINUX_SLL(113)"},
		{file: "sll2.pcap", frames: 20, tcp: 20, links: "LINUX_SLL2(276)"},
		{file: "null-loopback.pcap", frames: 16, tcp: 16, links: "NULL(0)"},
		{file: "raw-ip.pcap", frames: 20, tcp: 20, links: "RAW(101)"},
		{file: "vlan-qinq.pcap", frames: 18, tcp: 18, links: "ETHERNET(1)"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r := NewReader(filepath.Join(testdata, tt.file))
			defer r.Close()
			segs, errs := readAll(t, r)
			if len(errs) != 0 {
				t.Fatalf("errors %v", errs)
			}
			checkTotals(t, r, segs, tt.frames, tt.tcp, tt.links)
			for _, reason := range Reasons() {
				if got := r.Stats.Count[reason]; got != tt.count[reason] {
					t.Errorf("%s: %d, want %d", reason, got, tt.count[reason])
				}
			}
			if tt.conns == 0 {
				return
			}
			// Every connection is the same exchange (tools/mkpcaps
			// exchange): 9 segments, 40 bytes of request and 1000 of
			// response, whatever carried them.
			byPort := map[uint16][]Segment{}
			for _, s := range segs {
				p := s.Src.Port()
				if p == 80 {
					p = s.Dst.Port()
				}
				byPort[p] = append(byPort[p], s)
			}
			for i := 0; i < tt.conns; i++ {
				port := tt.port0 + uint16(i)
				var up, down int
				for _, s := range byPort[port] {
					if s.Src.Port() == port {
						up += s.PayloadLen
					} else {
						down += s.PayloadLen
					}
				}
				if len(byPort[port]) != tt.per || (tt.file != "lengths.pcap" && (up != 40 || down != 1000)) {
					t.Errorf("port %d: %d segments, %d bytes up and %d down; want %d, 40 and 1000", port, len(byPort[port]), up, down, tt.per)
				}
			}
		})
	}
}

// TestSegmentLengths checks where payload lengths come from (lengths.pcap
// and bad-headers.pcap, frames as their README rows list them).
func TestSegmentLengths(t *testing.T) {
	frames := func(file string) map[uint64]Segment {
		t.Helper()
		r := NewReader(filepath.Join(testdata, file))
		defer r.Close()
		m := map[uint64]Segment{}
		var seg Segment
		for r.Next(&seg) == nil {
			s := seg
			s.Payload = bytes.Clone(seg.Payload)
			m[s.Frame] = s
		}
		return m
	}
	l := frames("lengths.pcap")
	for _, tc := range []struct {
		frame     uint64
		len, kept int
		truncated bool
	}{
		{5, 80000, 80000, false},  // TSO: IPv4 total length 0, the frame decides
		{14, 70000, 70000, false}, // IPv6 jumbogram
		{23, 13, 13, false},       // IPv4 total length 300 too long: the frame decides
		{41, 1000, 34, true},      // cut by a 100-byte snap length
	} {
		s := l[tc.frame]
		if s.PayloadLen != tc.len || len(s.Payload) != tc.kept || s.Truncated != tc.truncated {
			t.Errorf("lengths.pcap frame %d: len %d, %d bytes kept, truncated %v; want %d, %d, %v",
				tc.frame, s.PayloadLen, len(s.Payload), s.Truncated, tc.len, tc.kept, tc.truncated)
		}
	}
	for f := uint64(28); f <= 36; f++ { // the connection with a trailer after every packet
		if s := l[f]; len(s.Payload) != s.PayloadLen || bytes.IndexByte(s.Payload, 0) >= 0 {
			t.Errorf("lengths.pcap frame %d: trailer bytes taken for payload (len %d, %q)", f, s.PayloadLen, s.Payload)
		}
	}
	b := frames("bad-headers.pcap")
	if s := b[4]; s.BadHeader || !s.Truncated || s.PayloadLen != 18 || s.Opts.HasTS || s.Seq == 0 {
		t.Errorf("bad-headers.pcap frame 4 (cut in its options): %+v", s)
	}
	for _, f := range []uint64{7, 8} {
		if s := b[f]; !s.BadHeader || s.Src.Port() != uint16(44000+f-6) {
			t.Errorf("bad-headers.pcap frame %d: %+v, want a bad header from port %d", f, s, 44000+f-6)
		}
	}
}

// packetsOf reads a capture's records with pcapgo (either format).
func packetsOf(t *testing.T, path string) (data [][]byte, links []layers.LinkType, wire []int) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var src interface {
		ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	}
	var link func(ci gopacket.CaptureInfo) layers.LinkType
	if bytes.HasPrefix(raw, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		r, err := pcapgo.NewNgReader(bytes.NewReader(raw), pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			t.Fatal(err)
		}
		src, link = r, func(ci gopacket.CaptureInfo) layers.LinkType { return ci.AncillaryData[0].(layers.LinkType) }
	} else {
		r, err := pcapgo.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		src, link = r, func(gopacket.CaptureInfo) layers.LinkType { return r.LinkType() }
	}
	for {
		d, ci, err := src.ReadPacketData()
		if err != nil {
			return data, links, wire
		}
		data, links, wire = append(data, d), append(links, link(ci)), append(wire, ci.Length)
	}
}

// sweepFiles are the captures the decode sweep and the allocation test walk.
var sweepFiles = []string{"tunnels.pcap", "linktypes.pcapng", "bad-headers.pcap", "lengths.pcap", "vlan-qinq.pcap", "sll2.pcap", "ipv6-ext.pcap", "non-tcp.pcap"}

// TestDecodeTruncation cuts every frame of sweepFiles at every length, as a
// snap length would, and decodes it: a cut frame is never "malformed"; it
// yields the segment the whole frame yields (same numbers, same length from
// the IP header, flagged truncated when payload is missing) or, cut before
// 16 bytes of TCP header, none (truncated header).
func TestDecodeTruncation(t *testing.T) {
	for _, file := range sweepFiles {
		data, links, wire := packetsOf(t, filepath.Join(testdata, file))
		for i, frame := range data {
			if wire[i] != len(frame) {
				continue // already cut
			}
			var d decoder
			d.init()
			var whole Segment
			reason, ok := d.decode(frame, links[i], 0, &whole)
			if !ok && reason == Fragment || whole.Fragmented {
				continue // reassembly depends on the other fragments
			}
			for n := 0; n < len(frame); n++ {
				var d decoder
				d.init()
				var seg Segment
				r, ok := d.decode(frame[:n], links[i], len(frame)-n, &seg)
				switch {
				case !ok && r == Malformed && reason != Malformed:
					t.Errorf("%s frame %d cut at %d: malformed, whole: %v", file, i+1, n, reason)
				case ok && !seg.Quoted && !seg.BadHeader:
					if seg.Seq != whole.Seq || seg.PayloadLen != whole.PayloadLen || seg.Src != whole.Src ||
						seg.Truncated != (len(seg.Payload) < seg.PayloadLen) || len(seg.Payload) > n {
						t.Errorf("%s frame %d cut at %d: %+v, whole %+v", file, i+1, n, seg, whole)
					}
				}
			}
		}
	}
}

// TestDecodeAllocs decodes every frame of sweepFiles (but IPv4 fragments,
// which are copied for reassembly) with no allocation.
func TestDecodeAllocs(t *testing.T) {
	var d decoder
	d.init()
	var seg Segment
	for _, file := range sweepFiles {
		data, links, wire := packetsOf(t, filepath.Join(testdata, file))
		for i, frame := range data {
			if r, ok := d.decode(frame, links[i], wire[i]-len(frame), &seg); !ok && r == Fragment || seg.Fragmented {
				continue
			}
			if n := testing.AllocsPerRun(10, func() { d.decode(frame, links[i], wire[i]-len(frame), &seg) }); n != 0 {
				t.Errorf("%s frame %d (%v): %v allocations", file, i+1, links[i], n)
			}
		}
	}
}

// checkTotals checks what a reader counted after reading everything: frames,
// TCP segments (as many as readAll returned), every frame counted once, and
// the link types met, comma-separated.
func checkTotals(t *testing.T, r *Reader, segs []Segment, frames, tcp uint64, links string) {
	t.Helper()
	if r.Stats.Frames != frames || r.Stats.TCP != tcp || uint64(len(segs)) != tcp {
		t.Errorf("frames %d, tcp %d (%d segments), want %d and %d", r.Stats.Frames, r.Stats.TCP, len(segs), frames, tcp)
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
	var names []string
	for _, l := range r.Stats.Links {
		names = append(names, LinkName(l.Type))
	}
	if got := join(names); got != links {
		t.Errorf("links %s, want %s", got, links)
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

// TestSeveralFiles checks that frame numbers continue across inputs read in
// order and that a faulty input does not stop the next one.
func TestSeveralFiles(t *testing.T) {
	dir := t.TempDir()
	a, bad, b := filepath.Join(dir, "a.pcap"), filepath.Join(dir, "bad.pcap"), filepath.Join(dir, "b.pcap")
	os.WriteFile(a, craftPcap(t, 2), 0o644)
	os.WriteFile(bad, []byte("not a capture at all"), 0o644)
	os.WriteFile(b, craftPcap(t, 3), 0o644)
	r := NewReader(a, bad, b)
	r.InOrder = true
	segs, errs := readAll(t, r)
	if len(segs) != 5 || segs[4].Frame != 5 || segs[4].File != 2 || segs[4].FileFrame != 3 || segs[2].File != 2 || segs[2].FileFrame != 1 {
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
	// The first 4 KB of each: whole files of tens of kilobytes make every
	// run, and the minimizing of what they find, slow.
	for _, name := range []string{"tunnels.pcap", "linktypes.pcapng", "bad-headers.pcap", "sll.pcap", "non-tcp.pcap", "damaged.pcap", "two-interfaces.pcapng", "gzip.pcap.gz"} {
		if data, err := os.ReadFile(filepath.Join(testdata, name)); err == nil {
			f.Add(data[:min(len(data), 4096)])
		}
	}
	if dir := os.Getenv("TCPFLOW_CORPUS"); dir != "" {
		for _, name := range []string{"chrissanders__tcp_handshake.pcapng", "zeek__option-sack.pcap", "tcpdump__tcp-auth-heapoverflow.pcap"} {
			if data, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
				f.Add(data[:min(len(data), 4096)])
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

// TestSourceRouteDst checks which IPv4 options change the destination
// (suricata__detect-ipopts in the corpus has them in real frames).
func TestSourceRouteDst(t *testing.T) {
	for _, tc := range []struct {
		opts []byte
		want string // "" for none
	}{
		{[]byte{131, 11, 4, 1, 2, 3, 4, 5, 6, 7, 8, 0}, "5.6.7.8"},      // loose, first hop next
		{[]byte{1, 137, 11, 8, 1, 2, 3, 4, 5, 6, 7, 8}, "5.6.7.8"},      // NOP, strict, last hop next
		{[]byte{131, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8, 0}, ""},            // route exhausted: the header has it
		{[]byte{131, 11, 5, 1, 2, 3, 4, 5, 6, 7, 8, 0}, ""},             // pointer not on an address
		{[]byte{7, 7, 4, 0, 0, 0, 0, 131, 7, 4, 9, 9, 9, 9}, "9.9.9.9"}, // after record route
		{[]byte{0, 131, 7, 4, 9, 9, 9, 9}, ""},                          // after end of options
		{[]byte{131, 40, 4, 1, 2, 3, 4}, ""},                            // longer than the options
		{[]byte{68, 4, 5, 0}, ""},                                       // timestamp only
	} {
		got, ok := sourceRouteDst(tc.opts)
		if (ok && got.String() != tc.want) || (!ok && tc.want != "") {
			t.Errorf("% x: %v %v, want %q", tc.opts, got, ok, tc.want)
		}
	}
}

// TestCountAndTimes checks -c (Count, across files read in order; as in
// tcpdump it counts the frames the filter kept) and the span of a capture whose records are not in time order.
func TestCountAndTimes(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.pcap"), filepath.Join(dir, "b.pcap")
	os.WriteFile(a, craftPcap(t, 3), 0o644) // times 1700000000 s + 0, 1, 2 µs
	os.WriteFile(b, craftPcap(t, 3), 0o644) // the same times again: earlier than a's last
	for _, tt := range []struct {
		max         uint64
		frames, tcp uint64
		limit       uint64
	}{
		{0, 6, 6, 0},
		{2, 2, 2, 2},
		{4, 4, 4, 4}, // into the second file
		{9, 6, 6, 0},
	} {
		r := NewReader(a, b)
		r.InOrder = true
		r.Count = tt.max
		segs, errs := readAll(t, r)
		if len(errs) != 0 || r.Stats.Frames != tt.frames || uint64(len(segs)) != tt.tcp || r.Stats.FrameLimit != tt.limit {
			t.Errorf("Count %d: %d frames, %d segments, limit %d, errors %v; want %d, %d, %d, none",
				tt.max, r.Stats.Frames, len(segs), r.Stats.FrameLimit, errs, tt.frames, tt.tcp, tt.limit)
		}
	}
	r := NewReader(a, b)
	r.InOrder = true
	r.Count = 2
	r.Filter = mustFilter(t, "tcp[4:4] = 1000") // keeps the first frame of each file
	segs, _ := readAll(t, r)
	if len(segs) != 2 || r.Stats.Frames != 4 || r.Stats.Count[Filtered] != 2 || r.Stats.FrameLimit != 2 {
		t.Errorf("Count 2 with a filter: %d segments, %d frames, %d filtered, limit %d; want 2, 4, 2, 2", len(segs), r.Stats.Frames, r.Stats.Count[Filtered], r.Stats.FrameLimit)
	}

	r = NewReader(a, b)
	readAll(t, r)
	base := int64(1700000000e9)
	st := r.Stats
	if st.FirstTime != base || st.LastTime != base+2000 || st.MinTime != base || st.MaxTime != base+2000 {
		t.Errorf("times first %d last %d min %d max %d", st.FirstTime-base, st.LastTime-base, st.MinTime-base, st.MaxTime-base)
	}
	r = NewReader(b, a)
	r.InOrder = true // read one after another, the last frame read is not the latest
	r.Count = 4      // b's three frames, then a's first: the last frame is not the latest
	readAll(t, r)
	st = r.Stats
	if st.FirstTime != base || st.LastTime != base || st.MaxTime != base+2000 || st.MinTime != base {
		t.Errorf("out of order: first %d last %d min %d max %d", st.FirstTime-base, st.LastTime-base, st.MinTime-base, st.MaxTime-base)
	}
}

// TestPPPoEDiscovery checks that a PPPoE discovery packet (a PADI, code
// 0x09) on a LINKTYPE_PPP_ETHER capture is counted as a frame without IP,
// not as a malformed one: those captures hold the discovery stage too.
func TestPPPoEDiscovery(t *testing.T) {
	var d decoder
	d.init()
	padi := []byte{0x11, 0x09, 0, 0, 0, 4, 0x01, 0x01, 0, 0} // service name tag, empty
	var seg Segment
	if reason, ok := d.decode(padi, layers.LinkTypePPPEthernet, 0, &seg); ok || reason != NotIP {
		t.Errorf("PADI: %v, %v; want not IP", reason, ok)
	}
	if reason, ok := d.decode([]byte{0x12, 0, 0, 0, 0, 0}, layers.LinkTypePPPEthernet, 0, &seg); ok || reason != Malformed {
		t.Errorf("version 1, type 2: %v, %v; want malformed", reason, ok)
	}
}

// TestCutFragments checks IPv4 fragments the frame does not hold whole (cut
// by the snap length): they cannot be reassembled, so, as in Wireshark, a
// first fragment yields the segment it starts (its payload truncated) and a
// later one is counted as a fragment, none held.
func TestCutFragments(t *testing.T) {
	frame := func(offset uint16) []byte {
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2},
			EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Id: 7, Flags: layers.IPv4MoreFragments, FragOffset: offset,
			Protocol: layers.IPProtocolTCP, SrcIP: net.IP{192, 0, 2, 1}, DstIP: net.IP{192, 0, 2, 2}}
		tcp := &layers.TCP{SrcPort: 40000, DstPort: 80, Seq: 1000, Ack: 1, ACK: true, PSH: true, Window: 512}
		_ = tcp.SetNetworkLayerForChecksum(ip)
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
			eth, ip, tcp, gopacket.Payload(make([]byte, 1000))); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	var d decoder
	d.init()
	var seg Segment
	first := frame(0)
	if reason, ok := d.decode(first[:100], layers.LinkTypeEthernet, len(first)-100, &seg); !ok {
		t.Fatalf("cut first fragment: %v, want a segment", reason)
	}
	if seg.Seq != 1000 || seg.PayloadLen != 1000 || !seg.Truncated || seg.Fragmented {
		t.Errorf("cut first fragment: seq %d, %d bytes, truncated %v, fragmented %v; want 1000, 1000, true, false",
			seg.Seq, seg.PayloadLen, seg.Truncated, seg.Fragmented)
	}
	later := frame(185)
	if reason, ok := d.decode(later[:100], layers.LinkTypeEthernet, len(later)-100, &seg); ok || reason != Fragment {
		t.Errorf("cut later fragment: %v, %v; want a fragment", reason, ok)
	}
	// The whole first fragment is held for reassembly, as before.
	if reason, ok := d.decode(first, layers.LinkTypeEthernet, 0, &seg); ok || reason != Fragment {
		t.Errorf("whole first fragment: %v, %v; want held as a fragment", reason, ok)
	}
}

// TestLinkHeaders checks the hand-read link headers in shapes the test
// captures lack. Linux ARCNET: an exception packet (split flag 0xff, 4 more
// bytes), a packet split over several frames, ARP, a cut header. Juniper:
// without extensions, without layer 2 (4 bytes, then IP), a bad magic
// number, a cut extension.
func TestLinkHeaders(t *testing.T) {
	for _, tc := range []struct {
		name  string
		parse func([]byte) (int, proto, error)
		b     []byte
		n     int
		next  proto
		err   error
	}{
		{"ARCNET RFC 1051 IPv4", parseARCNET, []byte{1, 2, 0, 0, 240, 0x45}, 5, pIPv4, nil},
		{"ARCNET RFC 1051 ARP", parseARCNET, []byte{1, 2, 0, 0, 241}, 5, pOther, nil},
		{"ARCNET RFC 1201 IPv4", parseARCNET, []byte{1, 2, 0, 0, 212, 0, 0, 1, 0x45}, 8, pIPv4, nil},
		{"ARCNET RFC 1201 ARP", parseARCNET, []byte{1, 2, 0, 0, 213, 0, 0, 1}, 8, pOther, nil},
		{"ARCNET exception packet", parseARCNET, []byte{1, 2, 0, 0, 212, 0xff, 0, 0, 196, 0, 0, 1, 0x60}, 12, pIPv6, nil},
		{"ARCNET first of a split packet", parseARCNET, []byte{1, 2, 0, 0, 212, 3, 0, 1}, 8, pLinkFrag, nil},
		{"ARCNET cut", parseARCNET, []byte{1, 2, 0, 0, 212, 0}, 0, 0, errShort},
		{"Juniper plain", parseJuniper, []byte{'M', 'G', 'C', 0x01}, 4, pEthernet, nil},
		{"Juniper extensions", parseJuniper, []byte{'M', 'G', 'C', 0x80, 0, 3, 1, 1, 9}, 9, pEthernet, nil},
		{"Juniper no layer 2", parseJuniper, []byte{'M', 'G', 'C', 0x82, 0, 0, 0, 0, 0, 2, 0x45}, 10, pRawIP, nil},
		{"Juniper bad magic", parseJuniper, []byte{'M', 'G', 'X', 0x01}, 0, 0, errMalformed},
		{"Juniper cut extension", parseJuniper, []byte{'M', 'G', 'C', 0x80, 0, 9, 1}, 0, 0, errShort},
	} {
		n, next, err := tc.parse(tc.b)
		if n != tc.n || next != tc.next || err != tc.err {
			t.Errorf("%s: %d, %v, %v; want %d, %v, %v", tc.name, n, next, err, tc.n, tc.next, tc.err)
		}
	}
}
