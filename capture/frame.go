package capture

import "github.com/gopacket/gopacket/layers"

// Frame is one captured frame as the Reader read it: its bytes, and the
// headers the decoder walked through on its way to the TCP segment (or to
// the reason it found none). Reader.Frame returns it after each Next; the
// per-packet outputs (--dissect, --format tcpdump) render it.
//
// Data, Headers and Datagram are owned by the Reader and valid only until
// the next call to Next, like Segment.Payload; later stages copy what they
// keep (Clone).
type Frame struct {
	Number  uint64 // 1-based frame number, as Segment.Frame
	Time    int64  // capture time, ns since the Unix epoch (UTC)
	Link    layers.LinkType
	Data    []byte // the bytes captured (the capture length is len(Data))
	WireLen int    // the frame's length on the wire
	// Headers are the headers decoded, outermost first, up to the TCP header
	// or to the first header tcpflow does not decode (its Kind then says
	// what it is known to be, e.g. HeaderOther after an ARP EtherType).
	// HeadersCut is set when there were more than MaxHeaders.
	Headers    []Header
	HeadersCut bool
	// Datagram is the IPv4 datagram's payload rebuilt from fragments, when
	// this frame completed one; the headers after the fragment's own IPv4
	// header (InDatagram) lie in it.
	Datagram []byte
	// Segment is set when the frame yielded a Segment (Reader.Next returned
	// it in seg, maybe one not analyzed: Quoted, BadHeader); otherwise
	// Reason says why not.
	Segment bool
	Reason  Reason
}

// MaxHeaders is the most headers a Frame lists; deeper tunnels are cut.
const MaxHeaders = 16

// Header is one header of a frame.
type Header struct {
	Kind HeaderKind
	// InDatagram is set for the headers inside Frame.Datagram (the frame
	// completed a fragmented IPv4 datagram); Off then counts from its start.
	InDatagram bool
	// Off is where the header starts in Frame.Data (or Frame.Datagram).
	Off int
	// Len is the header's length in bytes; 0 for the last header of a frame
	// whose length tcpflow did not read (a protocol it does not decode).
	Len int
	// Wire is how many bytes the frame had on the wire from this header on,
	// within the innermost length field met before it (an IP total length,
	// a UDP length; not its own): for TCP, the segment's length.
	Wire int
}

// Bytes returns the header's bytes, from its start to the end of what was
// captured of its datagram (cut to Len when Len is known).
func (f *Frame) Bytes(h Header) []byte { return f.from(h, h.Len) }

// Rest returns the bytes captured from the header's start to the end of its
// datagram (Wire bytes, as far as they were captured).
func (f *Frame) Rest(h Header) []byte { return f.from(h, h.Wire) }

// from returns up to n bytes (all when n is 0) from the header's start.
func (f *Frame) from(h Header, n int) []byte {
	b := f.Data
	if h.InDatagram {
		b = f.Datagram
	}
	if h.Off > len(b) {
		return nil
	}
	b = b[h.Off:]
	if n > 0 && n < len(b) {
		b = b[:n]
	}
	return b
}

// Find returns the index of the last header of the given kinds, or -1.
func (f *Frame) Find(kinds ...HeaderKind) int {
	for i := len(f.Headers) - 1; i >= 0; i-- {
		for _, k := range kinds {
			if f.Headers[i].Kind == k {
				return i
			}
		}
	}
	return -1
}

// Clone copies f into dst, reusing dst's memory: the bytes are appended to
// *arena (which may grow), the headers to dst's own slice.
func (f *Frame) Clone(dst *Frame, arena *[]byte) {
	hdrs := append(dst.Headers[:0], f.Headers...)
	*dst = *f
	dst.Headers = hdrs
	start := len(*arena)
	*arena = append(*arena, f.Data...)
	*arena = append(*arena, f.Datagram...)
	a := *arena
	dst.Data = a[start : start+len(f.Data) : start+len(f.Data)]
	if f.Datagram != nil {
		dst.Datagram = a[start+len(f.Data) : len(a) : len(a)]
	}
}

// HeaderKind names a header (a link layer, a tunnel, IP, TCP, ...).
type HeaderKind uint8

// Header kinds: the decoder's own names for what it reads.
const (
	HeaderOther       = HeaderKind(pOther)       // a header tcpflow does not decode (ARP, UDP payloads, ...)
	HeaderUnsupported = HeaderKind(pUnsupported) // a link type or encapsulation tcpflow cannot decode
	HeaderEncrypted   = HeaderKind(pEncrypted)   // an encrypted 802.11 body
	HeaderLinkFrag    = HeaderKind(pLinkFrag)    // an 802.11 fragment
	HeaderRawIP       = HeaderKind(pRawIP)       // raw IP, v4 or v6 by its first nibble (no bytes of its own)
	HeaderEthernet    = HeaderKind(pEthernet)
	HeaderDot1Q       = HeaderKind(pDot1Q) // an 802.1Q or 802.1ad VLAN tag
	HeaderLLC         = HeaderKind(pLLC)
	HeaderSNAP        = HeaderKind(pSNAP)
	HeaderSLL         = HeaderKind(pSLL)
	HeaderSLL2        = HeaderKind(pSLL2)
	HeaderLoop        = HeaderKind(pLoop) // BSD loopback (NULL, LOOP)
	HeaderCHDLC       = HeaderKind(pCHDLC)
	HeaderFDDI        = HeaderKind(pFDDI)
	HeaderIPoIB       = HeaderKind(pIPoIB)
	HeaderNFLog       = HeaderKind(pNFLog)
	HeaderRadioTap    = HeaderKind(pRadioTap)
	HeaderDot11       = HeaderKind(pDot11)
	HeaderDot11FCS    = HeaderKind(pDot11FCS)
	HeaderDot11Pad    = HeaderKind(pDot11Pad)
	HeaderDot11FPad   = HeaderKind(pDot11FPad)
	HeaderPPPoE       = HeaderKind(pPPPoE)
	HeaderPPP         = HeaderKind(pPPP)
	HeaderMPLS        = HeaderKind(pMPLS)
	HeaderMPLSPayload = HeaderKind(pMPLSPayload) // no bytes of its own: the payload's first nibble decides
	HeaderPWEth       = HeaderKind(pPWEth)       // an Ethernet pseudowire's control word, if any
	HeaderIPv4        = HeaderKind(pIPv4)
	HeaderIPv6        = HeaderKind(pIPv6)
	HeaderIPv6Ext     = HeaderKind(pIPv6Ext) // hop-by-hop, routing or destination options
	HeaderIPv6Frag    = HeaderKind(pIPv6Frag)
	HeaderICMPv4      = HeaderKind(pICMPv4)
	HeaderICMPv6      = HeaderKind(pICMPv6)
	HeaderUDP         = HeaderKind(pUDP)
	HeaderGRE         = HeaderKind(pGRE)
	HeaderERSPAN      = HeaderKind(pERSPAN)
	HeaderVXLAN       = HeaderKind(pVXLAN)
	HeaderVXLANGPE    = HeaderKind(pVXLANGPE)
	HeaderGeneve      = HeaderKind(pGeneve)
	HeaderGTPU        = HeaderKind(pGTPU)
	HeaderAYIYA       = HeaderKind(pAYIYA)
	HeaderTeredo      = HeaderKind(pTeredo)
	HeaderWCCP        = HeaderKind(pWCCP) // a WCCP v2 redirect header after GRE (none under v1)
	HeaderARCNET      = HeaderKind(pARCNET)
	HeaderJuniper     = HeaderKind(pJuniper) // the header Junos puts before what it captured
	HeaderTCP         = HeaderKind(pTCP)
)

var headerNames = map[HeaderKind]string{
	HeaderOther: "other", HeaderUnsupported: "unsupported", HeaderEncrypted: "encrypted",
	HeaderLinkFrag: "802.11 fragment", HeaderRawIP: "raw IP", HeaderEthernet: "Ethernet",
	HeaderDot1Q: "VLAN tag", HeaderLLC: "802.2 LLC", HeaderSNAP: "SNAP", HeaderSLL: "Linux cooked (SLL)",
	HeaderSLL2: "Linux cooked v2 (SLL2)", HeaderLoop: "BSD loopback", HeaderCHDLC: "Cisco HDLC",
	HeaderFDDI: "FDDI", HeaderIPoIB: "IP over InfiniBand", HeaderNFLog: "NFLOG", HeaderRadioTap: "radiotap",
	HeaderDot11: "802.11", HeaderDot11FCS: "802.11", HeaderDot11Pad: "802.11", HeaderDot11FPad: "802.11",
	HeaderPPPoE: "PPPoE", HeaderPPP: "PPP", HeaderMPLS: "MPLS", HeaderMPLSPayload: "MPLS payload",
	HeaderPWEth: "Ethernet pseudowire", HeaderIPv4: "IPv4", HeaderIPv6: "IPv6",
	HeaderIPv6Ext: "IPv6 extension header", HeaderIPv6Frag: "IPv6 fragment header", HeaderICMPv4: "ICMP",
	HeaderICMPv6: "ICMPv6", HeaderUDP: "UDP", HeaderGRE: "GRE", HeaderERSPAN: "ERSPAN", HeaderVXLAN: "VXLAN",
	HeaderVXLANGPE: "VXLAN-GPE", HeaderGeneve: "Geneve", HeaderGTPU: "GTP-U", HeaderAYIYA: "AYIYA",
	HeaderTeredo: "Teredo", HeaderWCCP: "WCCP redirect header", HeaderARCNET: "ARCNET", HeaderJuniper: "Juniper", HeaderTCP: "TCP",
}

// String names the header kind in words, e.g. "Ethernet", "VLAN tag".
func (k HeaderKind) String() string {
	if n, ok := headerNames[k]; ok {
		return n
	}
	return "unknown"
}
