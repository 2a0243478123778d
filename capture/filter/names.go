package filter

// ipProtoNames are the names "proto \name" accepts: the IANA keywords of the
// common IP protocols, as Debian's /etc/protocols lists them (libpcap asks
// getprotobyname; a fixed table keeps the result the same on every machine).
var ipProtoNames = map[string]uint32{
	"ip": 0, "hopopt": 0, "icmp": 1, "igmp": 2, "ggp": 3, "ipencap": 4, "st": 5, "tcp": 6,
	"egp": 8, "igp": 9, "pup": 12, "udp": 17, "hmp": 20, "xns-idp": 22, "rdp": 27,
	"iso-tp4": 29, "dccp": 33, "xtp": 36, "ddp": 37, "idpr-cmtp": 38, "ipv6": 41,
	"ipv6-route": 43, "ipv6-frag": 44, "idrp": 45, "rsvp": 46, "gre": 47, "esp": 50, "ah": 51,
	"skip": 57, "ipv6-icmp": 58, "ipv6-nonxt": 59, "ipv6-opts": 60, "rspf": 73, "vmtp": 81,
	"eigrp": 88, "ospf": 89, "ax.25": 93, "ipip": 94, "etherip": 97, "encap": 98, "pim": 103,
	"ipcomp": 108, "vrrp": 112, "l2tp": 115, "isis": 124, "sctp": 132, "fc": 133,
	"mobility-header": 135, "udplite": 136, "mpls-in-ip": 137, "manet": 138, "hip": 139,
	"shim6": 140, "wesp": 141, "rohc": 142, "ethernet": 143,
}

// etherProtoNames are the names "ether proto \name" accepts: libpcap's
// eproto_db and llc_db (of which atalk, aarp, iso, ipx and netbeui are then
// refused as 802.2 LLC or SNAP protocols).
var etherProtoNames = map[string]uint32{
	"aarp": 0x80f3, "arp": ethARP, "atalk": 0x809b, "decnet": 0x6003, "ip": ethIP, "ip6": ethIPv6,
	"lat": 0x6004, "loopback": 0x9000, "mopdl": 0x6001, "moprc": 0x6002, "rarp": ethRARP, "sca": 0x6007,
	"iso": 0xfe, "stp": 0x42, "ipx": 0xe0, "netbeui": 0xf0,
}
