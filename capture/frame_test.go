package capture

import (
	"reflect"
	"testing"
)

// TestFrameHeaders checks the headers the decoder lists for frames of
// several encapsulations, and that every frame comes back with AllFrames.
func TestFrameHeaders(t *testing.T) {
	type hdr struct {
		Kind     HeaderKind
		Off, Len int
	}
	tests := []struct {
		file  string
		frame uint64
		want  []hdr
		seg   bool
	}{
		// Ethernet, IPv4, TCP with 12 bytes of options.
		{"textbook.pcap", 3, []hdr{{HeaderEthernet, 0, 14}, {HeaderIPv4, 14, 20}, {HeaderTCP, 34, 32}}, true},
		// Two VLAN tags (QinQ).
		{"vlan-qinq.pcap", 2, []hdr{{HeaderEthernet, 0, 14}, {HeaderDot1Q, 14, 4}, {HeaderDot1Q, 18, 4}, {HeaderIPv4, 22, 20}, {HeaderTCP, 42, 40}}, true},
		// IPv6 with a hop-by-hop and a destination options header.
		{"ipv6-ext.pcap", 1, []hdr{{HeaderEthernet, 0, 14}, {HeaderIPv6, 14, 40}, {HeaderIPv6Ext, 54, 8}, {HeaderIPv6Ext, 62, 8}, {HeaderTCP, 70, 40}}, true},
		{"sll.pcap", 1, []hdr{{HeaderSLL, 0, 16}, {HeaderIPv4, 16, 20}, {HeaderTCP, 36, 40}}, true},
		{"sll2.pcap", 1, []hdr{{HeaderSLL2, 0, 20}, {HeaderIPv4, 20, 20}, {HeaderTCP, 40, 40}}, true},
		{"raw-ip.pcap", 1, []hdr{{HeaderRawIP, 0, 0}, {HeaderIPv4, 0, 20}, {HeaderTCP, 20, 40}}, true},
		// ARP: the EtherType is none tcpflow decodes.
		{"non-tcp.pcap", 1, []hdr{{HeaderEthernet, 0, 14}, {HeaderOther, 14, 0}}, false},
		// UDP (DNS).
		{"non-tcp.pcap", 3, []hdr{{HeaderEthernet, 0, 14}, {HeaderIPv4, 14, 20}, {HeaderUDP, 34, 8}}, false},
	}
	for _, tt := range tests {
		r := NewReader("../testdata/pcaps/" + tt.file)
		r.AllFrames = true
		var seg Segment
		var n uint64
		for r.Next(&seg) == nil {
			n++
			if seg.Frame != n {
				t.Fatalf("%s: frame %d returned after %d: AllFrames must return every frame", tt.file, seg.Frame, n-1)
			}
			if seg.Frame != tt.frame {
				continue
			}
			f := r.Frame()
			var got []hdr
			for _, h := range f.Headers {
				got = append(got, hdr{h.Kind, h.Off, h.Len})
			}
			if !reflect.DeepEqual(got, tt.want) || f.Segment != tt.seg || f.Number != tt.frame {
				t.Errorf("%s frame %d: headers %v segment %v, want %v %v", tt.file, tt.frame, got, f.Segment, tt.want, tt.seg)
			}
		}
		r.Close()
	}
}
