package capture

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// decodedLinks are the link types the decoder reads, for FuzzDecode.
var decodedLinks = []layers.LinkType{
	layers.LinkTypeEthernet, layers.LinkTypeNull, layers.LinkTypeLoop, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2,
	layers.LinkTypeRaw, 12, 14, layers.LinkTypeIPv4, layers.LinkTypeIPv6, layers.LinkTypeC_HDLC, layers.LinkTypeFDDI,
	linkTypeIPoIB, linkTypeNFLog, layers.LinkTypeIEEE802_11, layers.LinkTypeIEEE80211Radio,
	layers.LinkTypePPP, layers.LinkTypePPP_HDLC, layers.LinkTypePPPEthernet, linkTypeARCNETLinux,
	linkTypeJuniperEther,
}

// addFrames adds the frames of a capture as seeds: (link index, bytes cut
// by the snap length, frame).
func addFrames(f *testing.F, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	if pr, err := pcapgo.NewReader(bytes.NewReader(data)); err == nil {
		for {
			d, ci, err := pr.ReadPacketData()
			if err != nil {
				break
			}
			addFrame(f, pr.LinkType(), ci.Length-ci.CaptureLength, d)
		}
		return
	}
	nr, err := pcapgo.NewNgReader(bytes.NewReader(data), pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		return
	}
	for {
		d, ci, err := nr.ReadPacketData()
		if err != nil {
			break
		}
		link, _ := ci.AncillaryData[0].(layers.LinkType)
		addFrame(f, link, ci.Length-ci.CaptureLength, d)
	}
}

func addFrame(f *testing.F, link layers.LinkType, missing int, d []byte) {
	for i, l := range decodedLinks {
		if l == link {
			f.Add(uint8(i), uint16(missing), d)
			return
		}
	}
}

// FuzzDecode decodes one frame of any decoded link type: no panic, a reason
// among the known ones, and a segment that is consistent with itself: its
// payload within its length, lengths and options within their bounds, cut
// flags only when the snap length cut something.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"tunnels.pcap", "linktypes.pcapng", "bad-headers.pcap", "damaged.pcap", "lengths.pcap",
		"sll.pcap", "sll2.pcap", "non-tcp.pcap", "raw-ip.pcap", "null-loopback.pcap", "vlan-qinq.pcap", "ipv6-ext.pcap", "snaplen.pcap"} {
		addFrames(f, filepath.Join(testdata, name))
	}
	f.Fuzz(func(t *testing.T, li uint8, missing uint16, data []byte) {
		link := decodedLinks[int(li)%len(decodedLinks)]
		var d decoder
		d.init()
		var seg Segment
		reason, ok := d.decode(data, link, int(missing), &seg)
		if reason < 0 || reason >= numReasons {
			t.Fatalf("reason %d", reason)
		}
		if !ok {
			return
		}
		if seg.Quoted || seg.BadHeader {
			if seg.Payload != nil || seg.PayloadLen != 0 {
				t.Fatalf("a quote or bogus header with payload %d/%d", len(seg.Payload), seg.PayloadLen)
			}
			return
		}
		if reason != 0 {
			t.Fatalf("a segment with reason %v", reason)
		}
		if seg.PayloadLen < 0 || len(seg.Payload) > seg.PayloadLen || seg.HdrLen < 20 || seg.HdrLen > 60 {
			t.Fatalf("payload %d of %d bytes, header %d", len(seg.Payload), seg.PayloadLen, seg.HdrLen)
		}
		if (seg.Truncated || seg.OptionsCut) && missing == 0 {
			t.Fatalf("cut (truncated %v, options %v) though the frame is whole", seg.Truncated, seg.OptionsCut)
		}
		if seg.IPChecksum >= NumChecksumStatus || seg.TCPChecksum >= NumChecksumStatus ||
			(seg.TCPChecksum == ChecksumUnverified) != (len(seg.Payload) < seg.PayloadLen || seg.OptionsCut) {
			t.Fatalf("checksums %d %d (payload %d/%d, options cut %v)", seg.IPChecksum, seg.TCPChecksum, len(seg.Payload), seg.PayloadLen, seg.OptionsCut)
		}
		checkOptions(t, &seg.Opts)
	})
}

func checkOptions(t *testing.T, o *Options) {
	t.Helper()
	if o.NSACK > MaxSACKBlocks || o.NUnknown > MaxUnknownOptions || o.Bad >= 1<<NumOptionProblems ||
		o.MSS < -1 || o.MSS > 65535 || o.WScale < -1 {
		t.Fatalf("options %+v", o)
	}
}

// FuzzOptions parses any TCP option bytes, whole or cut: no panic, values
// within bounds, and what it reads is what the bytes say. Every MSS option
// read has length 4; a problem names an option whose kind is at the offset
// the bytes left say; cut options are never a fault past their end.
func FuzzOptions(f *testing.F) {
	f.Add([]byte{2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7}, true)
	f.Add([]byte{2, 3, 5, 1, 3, 3, 7, 0}, true)
	f.Add([]byte{2, 4, 5, 0xb4, 30, 12, 0x10, 0, 1, 3, 3, 7}, true)
	f.Add([]byte{8, 0, 1, 1}, false)
	f.Add([]byte{5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4}, true)
	f.Fuzz(func(t *testing.T, b []byte, whole bool) {
		b = b[:min(len(b), 40)] // the most a header holds
		var o Options
		parseOptions(b, whole, &o)
		checkOptions(t, &o)
		for _, p := range OptionProblems() {
			if !o.Has(p) {
				continue
			}
			bo := o.BadOpt[p]
			at := len(b) - int(bo.Room)
			if at < 0 || b[at] != bo.Kind || (bo.Room >= 2 && b[at+1] != bo.Len) {
				t.Fatalf("problem %v at option %+v does not match the bytes % x", p, bo, b)
			}
			if p == OptPastEnd && !whole {
				t.Fatalf("options cut by the snap length said to run past the header: % x", b)
			}
		}
		if o.MSS >= 0 && !bytes.Contains(b, []byte{2, 4, byte(o.MSS >> 8), byte(o.MSS)}) {
			t.Fatalf("MSS %d not in % x", o.MSS, b)
		}
	})
}
