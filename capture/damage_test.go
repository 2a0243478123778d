package capture

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// TestParseOptions checks each kind of malformed option: what is read,
// what is not, and the problem recorded with the option that has it.
func TestParseOptions(t *testing.T) {
	mss := []byte{2, 4, 0x05, 0xb4}
	ws := []byte{1, 3, 3, 7}
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	for _, tc := range []struct {
		name  string
		opts  []byte
		whole bool
		mss   int32
		ws    int8
		bad   map[OptionProblem]BadOption
	}{
		{"intact", cat(mss, ws), true, 1460, 7, nil},
		// An MSS option of length 3 is skipped by its length; the window
		// scale after it is read.
		{"MSS of length 3", cat([]byte{2, 3, 5}, ws, []byte{0}), true, -1, 7,
			map[OptionProblem]BadOption{OptBadLength: {2, 3, 8}}},
		{"window scale of length 4", cat(mss, []byte{3, 4, 7, 0}), true, 1460, -1,
			map[OptionProblem]BadOption{OptBadLength: {3, 4, 4}}},
		{"SACK of length 6", cat(mss, []byte{5, 6, 0, 0, 0, 1}, []byte{1, 1}), true, 1460, -1,
			map[OptionProblem]BadOption{OptBadLength: {5, 6, 8}}},
		// An option running past the header hides the window scale after
		// it, as from a receiver: reported, not silently lost.
		{"past the end", cat(mss, []byte{30, 12, 0x10, 0}, ws), true, 1460, -1,
			map[OptionProblem]BadOption{OptPastEnd: {30, 12, 8}}},
		{"kind without length", cat(mss, []byte{1, 1, 1, 34}), true, 1460, -1,
			map[OptionProblem]BadOption{OptPastEnd: {34, 0, 1}}},
		// The same, cut by the snap length: no fault, reading just stops.
		{"cut by the snap length", cat(mss, []byte{30, 12, 0x10, 0}), false, 1460, -1, nil},
		{"zero length", cat(mss, []byte{8, 0}, ws, []byte{1, 1}), true, 1460, -1,
			map[OptionProblem]BadOption{OptZeroLength: {8, 0, 8}}},
		{"length 1", cat([]byte{34, 1}, mss), true, -1, -1,
			map[OptionProblem]BadOption{OptZeroLength: {34, 1, 6}}},
		// Duplicates: the last one counts, as in Linux.
		{"duplicate MSS", cat(mss, []byte{2, 4, 0x02, 0x18}, ws), true, 536, 7,
			map[OptionProblem]BadOption{OptDuplicate: {2, 4, 8}}},
		// MPTCP options legitimately come several times.
		{"two MPTCP options", cat([]byte{30, 4, 0x20, 0, 30, 4, 0x20, 0}, mss), true, 1460, -1, nil},
		{"everything", cat([]byte{2, 3, 5, 2, 4, 1, 1, 2, 4, 1, 2, 8, 0}), true, 258, -1,
			map[OptionProblem]BadOption{OptBadLength: {2, 3, 13}, OptDuplicate: {2, 4, 6}, OptZeroLength: {8, 0, 2}}},
	} {
		var o Options
		parseOptions(tc.opts, tc.whole, &o)
		if o.MSS != tc.mss || o.WScale != tc.ws {
			t.Errorf("%s: MSS %d, window scale %d; want %d, %d", tc.name, o.MSS, o.WScale, tc.mss, tc.ws)
		}
		for _, p := range OptionProblems() {
			want, ok := tc.bad[p]
			if o.Has(p) != ok || (ok && o.BadOpt[p] != want) {
				t.Errorf("%s: problem %v: has %v %+v; want %v %+v", tc.name, p, o.Has(p), o.BadOpt[p], ok, want)
			}
		}
	}
}

// segmentBytes serializes an Ethernet frame with one TCP segment and
// right checksums.
func segmentBytes(t testing.TB, v6 bool, payload int) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{0, 1, 2, 3, 4, 5}, DstMAC: net.HardwareAddr{0, 1, 2, 3, 4, 6}, EthernetType: layers.EthernetTypeIPv4}
	tcp := &layers.TCP{SrcPort: 40000, DstPort: 80, Seq: 1000, Ack: 1, ACK: true, PSH: true, Window: 512,
		Options: []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionData: []byte{5, 0xb4}}}}
	var ip gopacket.SerializableLayer
	if v6 {
		eth.EthernetType = layers.EthernetTypeIPv6
		ip6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP,
			SrcIP: net.ParseIP("2001:db8::1"), DstIP: net.ParseIP("2001:db8::2")}
		tcp.SetNetworkLayerForChecksum(ip6)
		ip = ip6
	} else {
		ip4 := &layers.IPv4{Version: 4, Id: 0x1234, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: net.IP{10, 0, 0, 1}, DstIP: net.IP{10, 0, 0, 2}}
		tcp.SetNetworkLayerForChecksum(ip4)
		ip = ip4
	}
	sb := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(sb, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, tcp, gopacket.Payload(bytes.Repeat([]byte{'x'}, payload))); err != nil {
		t.Fatal(err)
	}
	return sb.Bytes()
}

// TestChecksums checks each checksum status on crafted segments: right,
// wrong, left to offload in each of the forms stacks leave it, and not
// verifiable.
func TestChecksums(t *testing.T) {
	pseudo := func(f []byte, v6, withLen bool) uint16 {
		var s uint32 = 6
		n := len(f) - 34
		if v6 {
			s = onesSum(f[22:54], s)
			n = len(f) - 54
		} else {
			s = onesSum(f[26:34], s)
		}
		if withLen {
			s += uint32(n)
		}
		return Fold(s)
	}
	tcpField := func(f []byte, v6 bool) []byte {
		if v6 {
			return f[54+16 : 54+18]
		}
		return f[34+16 : 34+18]
	}
	for _, tc := range []struct {
		name    string
		v6      bool
		edit    func(f []byte)
		missing int
		ip, tcp ChecksumStatus
	}{
		{"right", false, nil, 0, ChecksumGood, ChecksumGood},
		{"right, IPv6", true, nil, 0, ChecksumNone, ChecksumGood},
		{"TCP wrong", false, func(f []byte) { f[len(f)-1] ^= 0x40 }, 0, ChecksumGood, ChecksumBad},
		{"TCP wrong, IPv6", true, func(f []byte) { tcpField(f, true)[0] ^= 1 }, 0, ChecksumNone, ChecksumBad},
		{"IP wrong", false, func(f []byte) { f[14+10] ^= 0x80 }, 0, ChecksumBad, ChecksumGood},
		{"IP left to offload", false, func(f []byte) { f[14+10], f[14+11] = 0, 0 }, 0, ChecksumUnfilled, ChecksumGood},
		{"TCP zero", false, func(f []byte) { copy(tcpField(f, false), []byte{0, 0}) }, 0, ChecksumGood, ChecksumUnfilled},
		{"TCP pseudo-header sum (Linux offload)", false, func(f []byte) {
			binary.BigEndian.PutUint16(tcpField(f, false), pseudo(f, false, true))
		}, 0, ChecksumGood, ChecksumUnfilled},
		{"TCP pseudo-header sum, IPv6", true, func(f []byte) {
			binary.BigEndian.PutUint16(tcpField(f, true), pseudo(f, true, true))
		}, 0, ChecksumNone, ChecksumUnfilled},
		{"TCP pseudo-header sum without the length (segmentation offload)", false, func(f []byte) {
			binary.BigEndian.PutUint16(tcpField(f, false), pseudo(f, false, false))
		}, 0, ChecksumGood, ChecksumUnfilled},
		{"cut by the snap length", false, nil, 100, ChecksumGood, ChecksumUnverified},
	} {
		f := segmentBytes(t, tc.v6, 300)
		if tc.edit != nil {
			tc.edit(f)
		}
		var d decoder
		d.init()
		var seg Segment
		if _, ok := d.decode(f[:len(f)-tc.missing], layers.LinkTypeEthernet, tc.missing, &seg); !ok {
			t.Fatalf("%s: not decoded", tc.name)
		}
		if seg.IPChecksum != tc.ip || seg.TCPChecksum != tc.tcp {
			t.Errorf("%s: IP %v, TCP %v; want %v, %v", tc.name, seg.IPChecksum, seg.TCPChecksum, tc.ip, tc.tcp)
		}
		// The identification and checksum fields as on the wire (the
		// duplicate-frame test of state/artifact.go compares them).
		wantID := uint16(0)
		if !tc.v6 {
			wantID = binary.BigEndian.Uint16(f[14+4:])
		}
		if sum := binary.BigEndian.Uint16(tcpField(f, tc.v6)); seg.IPID != wantID || seg.TCPSum != sum {
			t.Errorf("%s: IP id %#x, TCP checksum %#x; want %#x, %#x", tc.name, seg.IPID, seg.TCPSum, wantID, sum)
		}
	}
}

// ngFile writes a pcapng file of n Ethernet frames and returns it with the
// offset of every enhanced packet block.
func ngFile(t *testing.T, n int) ([]byte, []int) {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	var offs []int
	for i := 0; i < n; i++ {
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		offs = append(offs, buf.Len())
		data := segmentBytes(t, false, 10*i)
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, 0), CaptureLength: len(data), Length: len(data)}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), offs
}

// TestPcapngBlockLengths checks that a block length no pcapng block can have
// is said as such, with the frame and the block's offset, rather than as a
// file cut short, and that the frames before it are read.
func TestPcapngBlockLengths(t *testing.T) {
	good, offs := ngFile(t, 3)
	for _, tc := range []struct {
		length uint32
		want   string
	}{
		{0xfffffff0, "block length 4294967280 is too large (the most is 134348832)"},
		{0x7ffffff8, "block length 2147483640 is too large (the most is 134348832)"},
		{13, "block length 13 is below the minimum of 32"},
		{38, "block length 38 is not a multiple of 4"},
	} {
		data := bytes.Clone(good)
		binary.LittleEndian.PutUint32(data[offs[1]+4:], tc.length)
		r := NewReader("-")
		r.Stdin = bytes.NewReader(data)
		segs, errs := readAll(t, r)
		want := "-: frame 2 at byte offset " + strconv.Itoa(offs[1]) + ": pcapng enhanced packet block: " + tc.want
		if len(segs) != 1 || len(errs) != 1 || errs[0].Error() != want {
			t.Errorf("length %#x: %d segments, errors %v; want 1 and %q", tc.length, len(segs), errs, want)
		}
	}
	// A bogus length in the first section header.
	data := bytes.Clone(good)
	binary.LittleEndian.PutUint32(data[4:], 0xfffffff0)
	r := NewReader("-")
	r.Stdin = bytes.NewReader(data)
	_, errs := readAll(t, r)
	if want := "-: pcapng section header block: block length 4294967280 is too large (the most is 134348832)"; len(errs) != 1 || errs[0].Error() != want {
		t.Errorf("section header: errors %v; want %q", errs, want)
	}
	// A little-endian section, then a big-endian one: each block's length
	// is read in its section's byte order.
	le, _ := ngSection(t, binary.LittleEndian, 2)
	be, beOffs := ngSection(t, binary.BigEndian, 2)
	both := append(bytes.Clone(le), be...)
	r = NewReader("-")
	r.Stdin = bytes.NewReader(both)
	if segs, errs := readAll(t, r); len(segs) != 4 || len(errs) != 0 {
		t.Errorf("two sections: %d segments, errors %v; want 4, none", len(segs), errs)
	}
	binary.BigEndian.PutUint32(both[len(le)+beOffs[1]+4:], 13)
	r = NewReader("-")
	r.Stdin = bytes.NewReader(both)
	segs, errs := readAll(t, r)
	want := "-: frame 4 at byte offset " + strconv.Itoa(len(le)+beOffs[1]) + ": pcapng enhanced packet block: block length 13 is below the minimum of 32"
	if len(segs) != 3 || len(errs) != 1 || errs[0].Error() != want {
		t.Errorf("big-endian section: %d segments, errors %v; want 3 and %q", len(segs), errs, want)
	}
}

// ngSection writes a pcapng section by hand in the given byte order (pcapgo
// writes only little-endian ones): a section header, an Ethernet interface
// and n enhanced packet blocks, whose offsets it returns.
func ngSection(t *testing.T, order binary.AppendByteOrder, n int) ([]byte, []int) {
	t.Helper()
	var b []byte
	block := func(typ uint32, body []byte) {
		size := uint32(12 + len(body))
		b = order.AppendUint32(b, typ)
		b = order.AppendUint32(b, size)
		b = append(b, body...)
		b = order.AppendUint32(b, size)
	}
	var shb []byte
	shb = order.AppendUint32(shb, ngByteOrder)
	shb = order.AppendUint16(shb, 1)
	shb = order.AppendUint16(shb, 0)
	shb = order.AppendUint64(shb, ^uint64(0))
	block(ngSectionHeader, shb)
	var idb []byte
	idb = order.AppendUint16(idb, uint16(layers.LinkTypeEthernet))
	idb = order.AppendUint16(idb, 0)
	idb = order.AppendUint32(idb, 65535)
	block(ngInterface, idb)
	var offs []int
	for i := 0; i < n; i++ {
		data := segmentBytes(t, false, 10*i)
		var epb []byte
		epb = order.AppendUint32(epb, 0)
		epb = order.AppendUint32(epb, 0)
		epb = order.AppendUint32(epb, uint32(i))
		epb = order.AppendUint32(epb, uint32(len(data)))
		epb = order.AppendUint32(epb, uint32(len(data)))
		epb = append(epb, data...)
		for len(epb)%4 != 0 {
			epb = append(epb, 0)
		}
		offs = append(offs, len(b))
		block(ngEnhanced, epb)
	}
	return b, offs
}

// TestOnesSum checks the 64-bit one's-complement sum against the plain
// 16-bit one of RFC 1071 on every length up to 100 bytes of all-ones and
// of mixed bytes (where the end-around carries matter).
func TestOnesSum(t *testing.T) {
	plain := func(b []byte, s uint32) uint16 {
		for len(b) >= 2 {
			s += uint32(b[0])<<8 | uint32(b[1])
			b = b[2:]
			s = s&0xffff + s>>16
		}
		if len(b) == 1 {
			s += uint32(b[0]) << 8
		}
		return Fold(s)
	}
	for _, fill := range []func(i int) byte{func(int) byte { return 0xff }, func(i int) byte { return byte(i*37 + 11) }} {
		b := make([]byte, 100)
		for i := range b {
			b[i] = fill(i)
		}
		for n := 0; n <= len(b); n++ {
			for _, s := range []uint32{0, 6, 0xffff, 0x1fffe} {
				if got, want := Fold(onesSum(b[:n], s)), plain(b[:n], s); got != want && !(got == 0xffff && want == 0 || got == 0 && want == 0xffff) {
					t.Fatalf("%d bytes, start %#x: %#04x, want %#04x", n, s, got, want)
				}
			}
		}
	}
}

// BenchmarkChecksums judges the checksums of a full-sized segment.
func BenchmarkChecksums(b *testing.B) {
	f := segmentBytes(b, false, 1448)
	src, dst := netip.AddrFrom4([4]byte(f[26:30])), netip.AddrFrom4([4]byte(f[30:34]))
	b.SetBytes(int64(len(f) - 34))
	b.ReportAllocs()
	for b.Loop() {
		if _, s := segmentChecksums(f[14:34], src, dst, f[34:], len(f)-34); s != ChecksumGood {
			b.Fatal(s)
		}
	}
}
