package craft

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// A PacketWriter takes one captured packet. pcapgo's Writer and NgWriter
// satisfy it, as do BigEndianWriter and ResolNgWriter here. data is only
// valid during the call.
type PacketWriter interface {
	WritePacket(ci gopacket.CaptureInfo, data []byte) error
}

// A Wire is a clock and a capture point. Conns send over it, and it writes
// every captured packet to its PacketWriter stamped with the current time,
// which moves only by Advance, so the output is the same on every run.
//
// A Wire is not safe for concurrent use. It reuses one serialize buffer and
// one set of layer structs for every packet.
type Wire struct {
	// Snaplen, when positive, cuts every packet to that many bytes, as a
	// capture with that snapshot length would (the record keeps the wire
	// length).
	Snaplen int

	out    PacketWriter
	start  time.Time
	now    time.Time
	frames int
	err    error

	// last is the last frame written as captured, and lastLen its length
	// on the wire, for Repeat.
	last    []byte
	lastLen int

	// Reused for every packet: the buffer is cleared by SerializeLayers, and
	// the layer structs are overwritten before each use.
	buf   gopacket.SerializeBuffer
	stack []gopacket.SerializableLayer
	seg   segment
	opts  [2 * maxOptionBytes]layers.TCPOption
	eth   layers.Ethernet
	vlan  [2]layers.Dot1Q
	sll   sllHeader
	sll2  sll2Header
	null  layers.Loopback
	ip4   layers.IPv4
	ip6   layers.IPv6
	hbh   layers.IPv6HopByHop
	dopt  layers.IPv6Destination
	tcp   layers.TCP
	hbhO  [2]layers.IPv6HopByHopOption
	doptO layers.IPv6DestinationOption
}

// serializeOpts are the options every packet is serialized with: lengths and
// checksums are always computed, so every checksum in the output is right.
var serializeOpts = gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}

// NewWire returns a Wire whose clock starts at start and that writes captured
// packets to out.
func NewWire(out PacketWriter, start time.Time) *Wire {
	w := &Wire{
		out:   out,
		start: start,
		now:   start,
		buf:   gopacket.NewSerializeBuffer(),
		stack: make([]gopacket.SerializableLayer, 0, 8),
	}
	// Hop-by-hop: router alert (RFC 2711) and a PadN filling the header to
	// 8 bytes. Destination options: experimental type 0x1e (RFC 4727; its
	// top bits 00 say "skip if unknown") with 4 bytes of data.
	w.hbhO[0] = layers.IPv6HopByHopOption{OptionType: 5, OptionData: []byte{0, 0}}
	w.hbhO[1] = layers.IPv6HopByHopOption{OptionType: 1, OptionData: []byte{}}
	w.doptO = layers.IPv6DestinationOption{OptionType: 0x1e, OptionData: []byte{0xde, 0xad, 0xbe, 0xef}}
	return w
}

// Now returns the wire's clock.
func (w *Wire) Now() time.Time { return w.now }

// Advance moves the clock forward by d.
func (w *Wire) Advance(d time.Duration) {
	if d < 0 {
		w.fail(fmt.Errorf("advance by negative duration %v", d))
		return
	}
	w.now = w.now.Add(d)
}

// AdvanceTo moves the clock forward to t.
func (w *Wire) AdvanceTo(t time.Time) { w.Advance(t.Sub(w.now)) }

// Frames returns how many packets were captured so far; the last one's frame
// number.
func (w *Wire) Frames() int { return w.frames }

// Err returns the first error met by any send or write, or nil. After an
// error nothing more is written.
func (w *Wire) Err() error { return w.err }

// Fail records err as the wire's error unless it already has one, so that a
// caller's own failures (building a payload, say) surface through Err too.
func (w *Wire) Fail(err error) { w.fail(err) }

func (w *Wire) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// Write frames and writes a packet that is not part of a Conn: ARP, UDP,
// ICMP, IP fragments. network holds the layers from the network layer up;
// the first one's type (IPv4, IPv6 or ARP) picks the EtherType or address
// family. It returns the frame number, or 0 after an error.
func (w *Wire) Write(link Link, network ...gopacket.SerializableLayer) int {
	if w.err != nil {
		return 0
	}
	if len(network) == 0 {
		w.fail(errors.New("write of an empty packet"))
		return 0
	}
	var proto layers.EthernetType
	switch t := network[0].LayerType(); t {
	case layers.LayerTypeIPv4:
		proto = layers.EthernetTypeIPv4
	case layers.LayerTypeIPv6:
		proto = layers.EthernetTypeIPv6
	case layers.LayerTypeARP:
		proto = layers.EthernetTypeARP
	default:
		w.fail(fmt.Errorf("write: no EtherType for a packet starting with %v", t))
		return 0
	}
	stack, err := w.linkLayers(w.stack[:0], &link, proto)
	if err != nil {
		w.fail(err)
		return 0
	}
	w.stack = append(stack, network...)
	return w.emit(&link)
}

// writeTCP writes the TCP segment already set up in w.tcp, from src to dst.
func (w *Wire) writeTCP(link *Link, src, dst *Endpoint, ext bool, payload []byte) int {
	var (
		network gopacket.NetworkLayer
		proto   layers.EthernetType
	)
	if src.Addr.Addr().Unmap().Is4() {
		w.ip4 = layers.IPv4{
			Version:  4,
			Id:       src.IPID,
			Flags:    layers.IPv4DontFragment,
			TTL:      src.TTL,
			Protocol: layers.IPProtocolTCP,
			SrcIP:    src.netIP(),
			DstIP:    dst.netIP(),
		}
		network, proto = &w.ip4, layers.EthernetTypeIPv4
		if 20+len(w.tcp.Options)*4+len(payload) > 0xffff && !link.TSO {
			// A rough bound (options are at most 40 bytes): only a
			// segment before TCP segmentation offload is that long.
			w.fail(fmt.Errorf("frame %d: %d bytes of payload do not fit an IPv4 packet without TSO", w.frames+1, len(payload)))
			return 0
		}
	} else {
		w.ip6 = layers.IPv6{
			Version:    6,
			FlowLabel:  src.FlowLabel,
			NextHeader: layers.IPProtocolTCP,
			HopLimit:   src.TTL,
			SrcIP:      src.netIP(),
			DstIP:      dst.netIP(),
		}
		network, proto = &w.ip6, layers.EthernetTypeIPv6
	}
	stack, err := w.linkLayers(w.stack[:0], link, proto)
	if err != nil {
		w.fail(err)
		return 0
	}
	if link.TSO && proto == layers.EthernetTypeIPv4 {
		stack = append(stack, tso4{&w.ip4})
	} else {
		stack = append(stack, network.(gopacket.SerializableLayer))
	}
	if ext && proto == layers.EthernetTypeIPv6 {
		// layers.IPv6 serializes its HopByHop field itself unless the layer
		// after it in the stack is the hop-by-hop header, as here.
		w.ip6.NextHeader = layers.IPProtocolIPv6HopByHop
		w.hbh = layers.IPv6HopByHop{Options: []*layers.IPv6HopByHopOption{&w.hbhO[0], &w.hbhO[1]}}
		w.hbh.NextHeader = layers.IPProtocolIPv6Destination
		w.dopt = layers.IPv6Destination{Options: []*layers.IPv6DestinationOption{&w.doptO}}
		w.dopt.NextHeader = layers.IPProtocolTCP
		stack = append(stack, &w.hbh, &w.dopt)
	}
	if err := w.tcp.SetNetworkLayerForChecksum(network); err != nil {
		w.fail(err)
		return 0
	}
	stack = append(stack, &w.tcp)
	if len(payload) > 0 {
		stack = append(stack, gopacket.Payload(payload))
	}
	w.stack = stack
	return w.emit(link)
}

// emit serializes w.stack and writes it, in fragments when the Link's MTU
// asks for them, finished (finish) and cut to Snaplen and the Link's Snap.
// It returns the number of the last frame written.
func (w *Wire) emit(link *Link) int {
	if err := gopacket.SerializeLayers(w.buf, serializeOpts, w.stack...); err != nil {
		w.fail(fmt.Errorf("frame %d: %w", w.frames+1, err))
		return 0
	}
	var outer *layers.IPv4 // the outermost IPv4 header, which MTU applies to
	for _, l := range w.stack {
		if ip, ok := l.(*layers.IPv4); ok {
			outer = ip
			break
		}
	}
	clear(w.stack) // drop references to payloads the caller owns
	data := w.buf.Bytes()
	if link.MTU > 0 && outer != nil && int(outer.Length) > link.MTU {
		start := len(data) - int(outer.Length) // no trailer yet: the packet ends the frame
		frags, err := fragment4(data[start:], link.MTU)
		if err != nil {
			w.fail(fmt.Errorf("frame %d: %w", w.frames+1, err))
			return 0
		}
		hdr := data[:start:start]
		for _, f := range frags {
			w.capture(link, append(hdr, f...))
		}
		return w.frames
	}
	w.capture(link, data)
	return w.frames
}

// capture writes one frame, finished and cut.
func (w *Wire) capture(link *Link, data []byte) {
	if w.err != nil {
		return
	}
	data = finish(link, data)
	ci := gopacket.CaptureInfo{
		Timestamp:      w.now,
		CaptureLength:  len(data),
		Length:         len(data),
		InterfaceIndex: link.Interface,
	}
	for _, snap := range []int{w.Snaplen, link.Snap} {
		if snap > 0 && ci.CaptureLength > snap {
			ci.CaptureLength = snap
			data = data[:snap]
		}
	}
	if err := w.out.WritePacket(ci, data); err != nil {
		w.fail(fmt.Errorf("frame %d: %w", w.frames+1, err))
		return
	}
	w.frames++
	w.last, w.lastLen = append(w.last[:0], data...), ci.Length
}

// Repeat writes the last frame again, byte for byte, at the current time: a
// frame captured twice, as a span port that sees it on two ports or taps on
// both sides of a switch write it. Nothing is sent or delivered again. It
// returns the frame number, or 0 before any frame or after an error.
func (w *Wire) Repeat() int {
	if w.err != nil || w.frames == 0 {
		return 0
	}
	ci := gopacket.CaptureInfo{Timestamp: w.now, CaptureLength: len(w.last), Length: w.lastLen}
	if err := w.out.WritePacket(ci, w.last); err != nil {
		w.fail(fmt.Errorf("frame %d: %w", w.frames+1, err))
		return 0
	}
	w.frames++
	return w.frames
}

// tcpPort returns a's port as gopacket's type.
func tcpPort(a netip.AddrPort) layers.TCPPort { return layers.TCPPort(a.Port()) }
