// Package linktype names pcap link types as tcpdump.org's list and
// Wireshark's capinfos do ("ETHERNET(1)", "LINUX_SLL(113)"), for the
// capture reader's statistics and the capture filter's errors alike.
package linktype

import (
	"strconv"

	"github.com/gopacket/gopacket/layers"
)

// Name is the pcap name of link type t with its number, e.g. "ETHERNET(1)";
// "LINKTYPE(N)" for a type without a name here.
func Name(t layers.LinkType) string {
	if n, ok := names[t]; ok {
		return n + "(" + strconv.Itoa(int(t)) + ")"
	}
	return "LINKTYPE(" + strconv.Itoa(int(t)) + ")"
}

var names = map[layers.LinkType]string{
	0: "NULL", 1: "ETHERNET", 9: "PPP", 10: "FDDI", 12: "RAW", 14: "RAW", 50: "PPP_HDLC", 51: "PPP_ETHER",
	101: "RAW", 104: "C_HDLC", 105: "IEEE802_11", 108: "LOOP", 113: "LINUX_SLL", 127: "IEEE802_11_RADIOTAP",
	129: "ARCNET_LINUX", 178: "JUNIPER_ETHER",
	228: "IPV4", 229: "IPV6", 239: "NFLOG", 242: "IPOIB", 276: "LINUX_SLL2",
}
