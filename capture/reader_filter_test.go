package capture

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tcpflow/tcpflow/capture/filter"
)

func mustFilter(t testing.TB, expr string) *filter.Filter {
	t.Helper()
	f, err := filter.Compile(expr)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestReaderFilter reads testdata/pcaps/non-tcp.pcap (tools/mkpcaps
// nonTCP: ARP 1-2, DNS 3-4, ICMP echo 5-6, an HTTP connection 7-11 and
// 14-18, a UDP datagram in two IPv4 fragments 12-13, a SYN 19 and the ICMP
// error quoting it 20) through filters: the segments keep their frame
// numbers and every frame is counted once.
func TestReaderFilter(t *testing.T) {
	tests := []struct {
		expr     string
		frames   []uint64 // frames of the TCP segments delivered
		filtered uint64
		counts   map[Reason]uint64 // other reasons that are not 0
	}{
		{"", []uint64{7, 8, 9, 10, 11, 14, 15, 16, 17, 18, 19}, 0,
			map[Reason]uint64{NotIP: 2, NotTCP: 5, ICMPQuoted: 1, Fragment: 1}},
		{"tcp port 80", []uint64{7, 8, 9, 10, 11, 14, 15, 16, 17, 18}, 10, nil},
		{"tcp[tcpflags] & tcp-syn != 0", []uint64{7, 8, 19}, 17, nil},
		{"host 203.0.113.99 or icmp", []uint64{19}, 16, map[Reason]uint64{NotTCP: 2, ICMPQuoted: 1}},
		{"not tcp", nil, 11, map[Reason]uint64{NotIP: 2, NotTCP: 5, ICMPQuoted: 1, Fragment: 1}},
		// A port filter keeps only the first fragment, as tcpdump does: the
		// datagram is never reassembled.
		{"udp port 40001", nil, 19, map[Reason]uint64{Fragment: 1}},
		// Without ports, both fragments pass and reassemble into a datagram.
		{"udp and host 198.51.100.77", nil, 18, map[Reason]uint64{Fragment: 1, NotTCP: 1}},
		{"arp", nil, 18, map[Reason]uint64{NotIP: 2}},
	}
	for _, tt := range tests {
		r := NewReader("../testdata/pcaps/non-tcp.pcap")
		r.Filter = mustFilter(t, tt.expr)
		segs, errs := readAll(t, r)
		r.Close()
		if len(errs) != 0 {
			t.Errorf("%q: errors %v", tt.expr, errs)
		}
		var frames []uint64
		for _, s := range segs {
			frames = append(frames, s.Frame)
		}
		if !reflect.DeepEqual(frames, tt.frames) {
			t.Errorf("%q: segments of frames %v, want %v", tt.expr, frames, tt.frames)
		}
		want := [numReasons]uint64{Filtered: tt.filtered}
		for r, n := range tt.counts {
			want[r] = n
		}
		if r.Stats.Count != want {
			t.Errorf("%q: counts %v, want %v", tt.expr, r.Stats.Count, want)
		}
		if r.Stats.Frames != 20 || r.Stats.Frames != r.Stats.TCP+sumSkips(&r.Stats) {
			t.Errorf("%q: %d frames, %d TCP, counts %v: not every frame is accounted for",
				tt.expr, r.Stats.Frames, r.Stats.TCP, r.Stats.Count)
		}
	}
}

func sumSkips(s *Stats) uint64 {
	var n uint64
	for _, r := range Reasons() {
		if r != TruncatedPayload {
			n += s.Count[r]
		}
	}
	return n
}

// TestReaderFilterLinkError: an expression the link type of a frame cannot
// take ends the input there with a ReadError naming the frame, its offset
// and the filter. testdata/pcaps/two-interfaces.pcapng has eth0 (Ethernet)
// and tun0 (raw IP); frame 2, at byte 240, is the first on tun0.
func TestReaderFilterLinkError(t *testing.T) {
	r := NewReader("../testdata/pcaps/two-interfaces.pcapng")
	r.Filter = mustFilter(t, "vlan or tcp")
	segs, errs := readAll(t, r)
	want := `../testdata/pcaps/two-interfaces.pcapng: frame 2 at byte offset 240: ` +
		`filter "vlan or tcp": vlan is supported only on Ethernet, not on RAW(101) (at column 1)`
	if len(errs) != 1 || errs[0].Error() != want {
		t.Fatalf("errors %v, want\n%s", errs, want)
	}
	var re *ReadError
	var fe *filter.Error
	if !errors.As(errs[0], &re) || !errors.As(errs[0], &fe) {
		t.Errorf("%T: not a *ReadError wrapping a *filter.Error", errs[0])
	}
	if len(segs) != 0 || r.Stats.Frames != 1 || r.Stats.Count[Filtered] != 1 || r.Inputs[0].Err == nil {
		t.Errorf("%d segments, %d frames, %d filtered, input error %v; want the first frame filtered and the input ended",
			len(segs), r.Stats.Frames, r.Stats.Count[Filtered], r.Inputs[0].Err)
	}
}

// TestReaderFilterUnsupportedLink: frames of a link type tcpflow does not
// decode are left to the decoder, which counts them, rather than filtered
// (147 is LINKTYPE_USER0).
func TestReaderFilterUnsupportedLink(t *testing.T) {
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, layers.LinkType(147)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		data := make([]byte, 40)
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, 0), CaptureLength: len(data), Length: len(data)}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	r := NewReader("-")
	r.Stdin = &buf
	r.Filter = mustFilter(t, "tcp")
	if _, errs := readAll(t, r); len(errs) != 0 {
		t.Fatal(errs)
	}
	if r.Stats.Count[UnsupportedLink] != 2 || r.Stats.Count[Filtered] != 0 {
		t.Errorf("counts %v: want 2 unsupported_link, 0 filtered", r.Stats.Count)
	}
}

// TestReaderFilterDecodedLinkNotFilterable: a link type the decoder reads
// but the filter compiler does not know ends the input with an error naming
// it, rather than letting its frames through unfiltered.
func TestReaderFilterDecodedLinkNotFilterable(t *testing.T) {
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, layers.LinkTypeFDDI); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 40)
	ci := gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, 0), CaptureLength: len(data), Length: len(data)}
	if err := w.WritePacket(ci, data); err != nil {
		t.Fatal(err)
	}
	r := NewReader("-")
	r.Stdin = &buf
	r.Filter = mustFilter(t, "tcp")
	_, errs := readAll(t, r)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "(10)") {
		t.Errorf("errors %v: want one naming link type 10 (FDDI)", errs)
	}
}
