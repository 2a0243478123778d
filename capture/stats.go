package capture

import (
	"github.com/gopacket/gopacket/layers"

	"github.com/tcpflow/tcpflow/internal/linktype"
)

// Reason names why a frame did not yield a TCP segment, or what was special about
// one that did.
type Reason int

// Reasons, in the order reports list them.
const (
	Filtered         Reason = iota // excluded by the capture filter (Reader.Filter), before decoding
	NotIP                          // link layer carries no IP (ARP, LLDP, STP, ...)
	NotTCP                         // IP, but not TCP (UDP, ICMP, ...)
	ICMPQuoted                     // ICMP error quoting a TCP header: shown, not analyzed
	Fragment                       // an IP fragment held for reassembly (counted on each fragment but the last)
	TruncatedHeader                // cut by the snap length before the TCP header was complete
	Malformed                      // headers that do not decode (bad lengths, bad options)
	Encrypted                      // the payload is encrypted (802.11 protected frames)
	UnsupportedLink                // link type or encapsulation tcpflow cannot decode
	TruncatedPayload               // decoded, but the snap length cut part of the payload or options (still analyzed)
	numReasons
)

var reasonNames = [numReasons]string{
	Filtered:         "filtered",
	NotIP:            "not_ip",
	NotTCP:           "not_tcp",
	ICMPQuoted:       "icmp_quoted_tcp",
	Fragment:         "ip_fragment",
	TruncatedHeader:  "truncated_header",
	Malformed:        "malformed",
	Encrypted:        "encrypted",
	UnsupportedLink:  "unsupported_link",
	TruncatedPayload: "truncated_payload",
}

var reasonText = [numReasons]string{
	Filtered:         "frames the capture filter excluded",
	NotIP:            "frames without IP (ARP and other link protocols)",
	NotTCP:           "IP packets that are not TCP (UDP, ICMP, ...)",
	ICMPQuoted:       "ICMP errors quoting a TCP header (listed under their connection, not analyzed as segments)",
	Fragment:         "IP fragments held for reassembly",
	TruncatedHeader:  "frames cut before the end of the TCP header",
	Malformed:        "frames whose headers do not decode (a bogus TCP header is still listed under its connection)",
	Encrypted:        "frames whose payload is encrypted (802.11 protected frames)",
	UnsupportedLink:  "frames of a link type or an encapsulation tcpflow cannot decode",
	TruncatedPayload: "TCP segments whose payload or options the snap length cut (still analyzed)",
}

// String is the reason's stable machine name, used as a JSON key.
func (r Reason) String() string { return reasonNames[r] }

// Text describes the reason in words.
func (r Reason) Text() string { return reasonText[r] }

// Stats counts frames. Frames = TCP + the counts of every skip reason (all but
// TruncatedPayload, which counts segments that were analyzed all the same).
type Stats struct {
	Frames uint64             // every record read
	TCP    uint64             // frames that yielded a TCP segment
	Count  [numReasons]uint64 // per Reason
	Links  []LinkCount        // frames per link type, in order first seen
	Bytes  uint64             // captured bytes of all frames
	// Options counts the TCP segments with each problem of their options;
	// IPChecksums and TCPChecksums count the TCP segments by the status of
	// each checksum.
	Options                   [NumOptionProblems]uint64
	IPChecksums, TCPChecksums [NumChecksumStatus]uint64
	// FirstTime and LastTime are the times of the first and last frame read
	// (of any kind), ns since the epoch. Reports count relative times from
	// FirstTime, as Wireshark does from its first frame.
	FirstTime, LastTime int64
	// KernelDrops counts the frames a live capture lost because its socket
	// buffer was full (tcpdump's "packets dropped by kernel"); they were
	// never read, so Frames does not count them.
	KernelDrops uint64
	// MinTime and MaxTime are the earliest and latest times of all frames
	// read: the capture's span, whatever the order of the records (a merged
	// or clock-stepped capture is not in time order).
	MinTime, MaxTime int64
	// FrameLimit is Reader.MaxFrames when reading stopped there, else 0.
	FrameLimit uint64
}

// LinkCount is the number of frames of one link type.
type LinkCount struct {
	Type   layers.LinkType
	Frames uint64
}

// LinkName is the pcap name of a link type, e.g. "ETHERNET(1)", as in MANIFEST
// files and Wireshark's capinfos.
func LinkName(t layers.LinkType) string { return linktype.Name(t) }

func (s *Stats) countLink(t layers.LinkType) {
	for i := range s.Links {
		if s.Links[i].Type == t {
			s.Links[i].Frames++
			return
		}
	}
	s.Links = append(s.Links, LinkCount{t, 1})
}

// countSegment counts a TCP segment's option problems and checksums.
func (s *Stats) countSegment(seg *Segment) {
	for p := range s.Options {
		if seg.Opts.Bad&(1<<p) != 0 {
			s.Options[p]++
		}
	}
	s.IPChecksums[seg.IPChecksum]++
	s.TCPChecksums[seg.TCPChecksum]++
}

// Reasons returns every reason in report order.
func Reasons() []Reason {
	r := make([]Reason, numReasons)
	for i := range r {
		r[i] = Reason(i)
	}
	return r
}

// Skipped is the number of frames that yielded no segment.
func (s *Stats) Skipped() uint64 { return s.Frames - s.TCP }
