//go:build linux

package capture

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/tcpflow/tcpflow/capture/filter"
)

// The live source is an AF_PACKET socket of our own rather than gopacket's
// pcapgo.EthernetHandle, which lacks what a capture like tcpdump's needs: its
// reads cannot time out (a stop would wait for the next frame), it binds
// before a filter can be attached (frames of the moment in between slip
// through), it has no "any" device nor cooked headers for interfaces without
// a link header, it passes on loopback frames twice (once leaving, once
// arriving) and it does not put back the VLAN tags the kernel takes off.
// gopacket/afpacket's ring has the same gaps but the timeout. So this file
// does what libpcap's pcap-linux.c does, in its own way: socket with
// protocol 0 (receives nothing), filter attached, then bind to ETH_P_ALL.

// Lengths of the headers a frame may get in front of what the socket gives.
const (
	sll2Len   = 20 // LINKTYPE_LINUX_SLL2
	vlanLen   = 4  // an 802.1Q tag put back into an Ethernet frame
	frameRoom = sll2Len
)

// ARPHRD values (linux/if_arp.h) that decide the link type.
const (
	arphrdEther        = 1
	arphrdLoopback     = 772
	arphrdNone         = 0xfffe
	arphrdIEEE80211    = 801
	arphrdIEEE80211Rad = 803
)

var (
	cmsgHdrLen = unix.CmsgSpace(0)
	auxSpace   = unix.CmsgSpace(int(unsafe.Sizeof(unix.TpacketAuxdata{})))
	tsSpace    = unix.CmsgSpace(int(unsafe.Sizeof(unix.Timespec{})))
)

type liveSource struct {
	info    LiveInfo
	fd      int
	ifindex int // 0 for "any"
	lo      int // the loopback interface's index, when its frames come (lo, any); else -1
	cooked  bool
	snaplen int

	// Buffers, owned here: a frame returned is valid until the next read.
	// buf holds frameRoom bytes for a header put in front, then the packet.
	buf []byte
	oob []byte
	msg unix.Msghdr
	iov unix.Iovec
	sa  unix.RawSockaddrLinklayer
	pfd [1]unix.PollFd

	// user is the filter when it runs here: on the frames whose VLAN tag
	// was put back (Ethernet), or on every frame (userAll) when the
	// kernel cannot run it.
	user    *filter.Program
	userAll bool

	save *saveFile

	last    int64 // time of the last frame returned, ns
	halt    int64 // when not 0, the end: frames after it are not read (Reader.Halt)
	tickAt  int64 // time of the last tick, ns
	started time.Time

	received uint64        // frames the filter accepted (tp_packets), drops included
	drops    atomic.Uint64 // frames the kernel dropped (tp_drops), for other goroutines
	closed   bool
	err      error // of Close: completing the Save file
}

func openLive(name string, opts LiveOptions) (src *liveSource, err error) {
	s := &liveSource{fd: -1, lo: -1, snaplen: opts.Snaplen, started: time.Now()}
	s.info = LiveInfo{Interface: name, Snaplen: opts.Snaplen, Promisc: !opts.NoPromisc}
	defer func() {
		if err != nil {
			s.Close()
			src = nil
		}
	}()
	hatype := -1
	if name != "any" {
		ifc, err := net.InterfaceByName(name)
		if err != nil {
			return nil, fmt.Errorf("%s: no such interface (ip link lists them)", name)
		}
		if ifc.Flags&net.FlagUp == 0 {
			return nil, fmt.Errorf("%s: the interface is down", name)
		}
		s.ifindex = ifc.Index
		if ifc.Flags&net.FlagLoopback != 0 {
			s.lo = ifc.Index
		}
	} else {
		s.info.Promisc = false // libpcap does not make every interface promiscuous either
		ifs, _ := net.Interfaces()
		for _, ifc := range ifs {
			if ifc.Flags&net.FlagLoopback != 0 {
				s.lo = ifc.Index
			}
		}
	}
	if s.ifindex != 0 {
		if hatype, err = hardwareType(name); err != nil {
			return nil, err
		}
	}
	typ := unix.SOCK_RAW
	switch hatype {
	case arphrdEther, arphrdLoopback:
		s.info.Link = layers.LinkTypeEthernet
	case arphrdNone: // tun, WireGuard: IP packets with no link header
		s.info.Link = layers.LinkTypeRaw
	case arphrdIEEE80211:
		s.info.Link = layers.LinkTypeIEEE802_11
	case arphrdIEEE80211Rad:
		s.info.Link = layers.LinkTypeIEEE80211Radio
	default:
		// "any", and link layers tcpflow does not decode (PPP, GRE, ...):
		// the network layer with a Linux cooked v2 header built from what
		// the socket says, as libpcap does for "any".
		s.cooked, typ = true, unix.SOCK_DGRAM
		s.info.Link = layers.LinkTypeLinuxSLL2
	}
	prog, err := s.program(opts.Filter)
	if err != nil {
		return nil, err
	}
	// Protocol 0: the socket receives nothing until bind names one, so the
	// filter is in place before the first frame.
	if s.fd, err = unix.Socket(unix.AF_PACKET, typ|unix.SOCK_CLOEXEC, 0); err != nil {
		return nil, fmt.Errorf("%s: opening a packet socket: %w", name, err)
	}
	fprog := make([]unix.SockFilter, len(prog))
	for i, ins := range prog {
		fprog[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	if err := unix.SetsockoptSockFprog(s.fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER,
		&unix.SockFprog{Len: uint16(len(fprog)), Filter: &fprog[0]}); err != nil {
		return nil, fmt.Errorf("%s: attaching the filter to the socket: %w", name, err)
	}
	if err := unix.SetsockoptInt(s.fd, unix.SOL_PACKET, unix.PACKET_AUXDATA, 1); err != nil {
		return nil, fmt.Errorf("%s: asking for packet lengths: %w", name, err)
	}
	if err := unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		return nil, fmt.Errorf("%s: asking for timestamps: %w", name, err)
	}
	// SO_RCVBUFFORCE passes the system's cap (net.core.rmem_max) with
	// CAP_NET_ADMIN; without it the capped size will do.
	if unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, opts.BufferSize) != nil {
		unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_RCVBUF, opts.BufferSize)
	}
	proto := int(htons(unix.ETH_P_ALL))
	if err := unix.Bind(s.fd, &unix.SockaddrLinklayer{Protocol: uint16(proto), Ifindex: s.ifindex}); err != nil {
		return nil, fmt.Errorf("%s: binding the packet socket: %w", name, err)
	}
	if s.info.Promisc {
		mreq := unix.PacketMreq{Ifindex: int32(s.ifindex), Type: unix.PACKET_MR_PROMISC}
		if err := unix.SetsockoptPacketMreq(s.fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
			return nil, fmt.Errorf("%s: promiscuous mode: %w", name, err)
		}
	}
	// What was counted before the bind is nothing; start from zero anyway.
	unix.GetsockoptTpacketStats(s.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)

	if opts.Save != "" {
		expr := ""
		if opts.Filter != nil {
			expr = opts.Filter.String()
		}
		if s.save, err = createSave(opts.Save, s.info.Link, s.snaplen, name, expr); err != nil {
			return nil, err
		}
	}
	s.buf = make([]byte, frameRoom+s.snaplen)
	s.oob = make([]byte, auxSpace+tsSpace)
	s.iov.Base = &s.buf[frameRoom]
	s.iov.SetLen(s.snaplen)
	s.msg.Name = (*byte)(unsafe.Pointer(&s.sa))
	s.msg.Iov = &s.iov
	s.msg.Iovlen = 1
	s.msg.Control = &s.oob[0]
	s.pfd[0] = unix.PollFd{Fd: int32(s.fd), Events: unix.POLLIN}
	s.tickAt = time.Now().UnixNano()
	return s, nil
}

// hardwareType is an interface's ARPHRD type, asked with an ordinary
// socket, so that what does not need the privilege is checked without it.
func hardwareType(name string) (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFHWADDR, ifr); err != nil {
		return 0, fmt.Errorf("%s: reading its hardware type: %w", name, err)
	}
	return int(ifr.Uint16()), nil // sa_family of the hardware address
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// program builds what the kernel runs on every frame, before the socket
// queues it:
//   - on lo and "any", a test that drops the copy of a loopback frame
//     going out (the socket sees it again coming in), as libpcap does;
//   - on Ethernet, with a filter, a test that lets through the frames the
//     kernel has taken a VLAN tag off: the filter judges them here once the
//     tag is back, as it would in the file they are written to;
//   - the filter, its loads moved past the cooked header on a cooked
//     socket (whose frames begin at the network layer): the header's fields
//     are read from the kernel's packet metadata (BPF extensions);
//   - or, when there is no filter or the kernel cannot run it, accept.
//
// The accepting returns give the snap length.
func (s *liveSource) program(f *filter.Filter) ([]bpf.RawInstruction, error) {
	accept := bpf.RetConstant{Val: uint32(s.snaplen)}
	var p []bpf.Instruction
	switch {
	case s.lo >= 0 && s.ifindex == s.lo:
		p = append(p,
			bpf.LoadExtension{Num: bpf.ExtType},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.PACKET_OUTGOING, SkipFalse: 1},
			bpf.RetConstant{Val: 0})
	case s.lo >= 0 && s.ifindex == 0:
		p = append(p,
			bpf.LoadExtension{Num: bpf.ExtType},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.PACKET_OUTGOING, SkipFalse: 3},
			bpf.LoadExtension{Num: bpf.ExtInterfaceIndex},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(s.lo), SkipFalse: 1},
			bpf.RetConstant{Val: 0})
	}
	if f == nil {
		return bpf.Assemble(append(p, accept))
	}
	user, err := f.For(s.info.Link)
	if err != nil {
		return nil, err
	}
	prog, err := f.Program(s.info.Link, s.snaplen)
	if err != nil {
		return nil, err
	}
	if s.cooked {
		prog = uncook(prog)
	}
	if prog == nil || len(p)+3+len(prog) > filter.MaxInstructions {
		s.user, s.userAll = user, true
		return bpf.Assemble(append(p, accept))
	}
	s.info.KernelFilter = true
	if s.info.Link == layers.LinkTypeEthernet {
		s.user = user
		p = append(p,
			bpf.LoadExtension{Num: bpf.ExtVLANTagPresent},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0, SkipTrue: 1},
			accept)
	}
	return bpf.Assemble(append(p, prog...))
}

// uncook adapts a program written for LINUX_SLL2 frames to a cooked socket,
// whose frames start at the network layer: loads past the header move back
// by its length, loads of its fields become the kernel's packet metadata.
// It returns nil when a load cannot be moved (a field with no metadata, an
// indexed load into the header, or the frame length, which counts the
// header in a file but not in the kernel): the filter then runs here.
func uncook(prog []bpf.Instruction) []bpf.Instruction {
	out := make([]bpf.Instruction, len(prog))
	for i, ins := range prog {
		switch in := ins.(type) {
		case bpf.LoadAbsolute:
			if in.Off >= sll2Len {
				in.Off -= sll2Len
				ins = in
				break
			}
			var ext bpf.Extension
			switch {
			case in.Off == 0 && in.Size == 2:
				ext = bpf.ExtProto
			case in.Off == 4 && in.Size == 4:
				ext = bpf.ExtInterfaceIndex
			case in.Off == 8 && in.Size == 2:
				ext = bpf.ExtLinkLayerType
			case in.Off == 10 && in.Size == 1:
				ext = bpf.ExtType
			default:
				return nil
			}
			ins = bpf.LoadExtension{Num: ext}
		case bpf.LoadIndirect:
			if in.Off < sll2Len {
				return nil
			}
			in.Off -= sll2Len
			ins = in
		case bpf.LoadMemShift:
			if in.Off < sll2Len {
				return nil
			}
			in.Off -= sll2Len
			ins = in
		case bpf.LoadExtension:
			return nil
		}
		out[i] = ins
	}
	return out
}

// ZeroCopyReadPacketData returns the next frame, valid until the next call,
// or ErrTick.
func (s *liveSource) ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error) {
	for {
		if s.last-s.tickAt >= int64(LiveTick) {
			return s.tick(s.last)
		}
		s.msg.Namelen = uint32(unsafe.Sizeof(s.sa))
		s.msg.SetControllen(len(s.oob))
		n, _, e := unix.Syscall(unix.SYS_RECVMSG, uintptr(s.fd), uintptr(unsafe.Pointer(&s.msg)), unix.MSG_TRUNC|unix.MSG_DONTWAIT)
		switch e {
		case 0:
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			if s.halt != 0 {
				return nil, gopacket.CaptureInfo{}, io.EOF // all read
			}
			now := time.Now().UnixNano()
			wait := s.tickAt + int64(LiveTick) - now
			if wait <= 0 {
				return s.tick(max(now, s.last))
			}
			_, err := unix.Poll(s.pfd[:], int((wait+999_999)/1e6))
			if err != nil && err != unix.EINTR {
				return nil, gopacket.CaptureInfo{}, fmt.Errorf("waiting for frames: %w", err)
			}
			continue
		default:
			return nil, gopacket.CaptureInfo{}, fmt.Errorf("receiving a frame: %w", e)
		}
		if s.sa.Pkttype == unix.PACKET_OUTGOING && int(s.sa.Ifindex) == s.lo {
			continue // the kernel filter already drops these; belt and braces
		}
		data, ci, ok := s.frame(int(n))
		if !ok {
			continue
		}
		if s.halt != 0 && ci.Timestamp.UnixNano() > s.halt {
			return nil, gopacket.CaptureInfo{}, io.EOF // came after the stop
		}
		if s.save != nil {
			if err := s.save.write(ci, data); err != nil {
				return nil, gopacket.CaptureInfo{}, err
			}
		}
		s.last = ci.Timestamp.UnixNano()
		return data, ci, nil
	}
}

// frame makes the frame received, n bytes long before truncation, out of
// the buffer and the control messages: the cooked header or the VLAN tag
// put in front, the lengths, the time (in microseconds, as tcpdump's). It
// reports false when the filter, run here, rejects it.
func (s *liveSource) frame(n int) ([]byte, gopacket.CaptureInfo, bool) {
	var ci gopacket.CaptureInfo
	wire, tagged := n, false
	var tci, tpid uint16
	oob := s.oob[:s.msg.Controllen]
	for len(oob) > cmsgHdrLen {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		if int(h.Len) < cmsgHdrLen || int(h.Len) > len(oob) {
			break
		}
		switch {
		case h.Level == unix.SOL_PACKET && h.Type == unix.PACKET_AUXDATA && int(h.Len) >= cmsgHdrLen+int(unsafe.Sizeof(unix.TpacketAuxdata{})):
			aux := (*unix.TpacketAuxdata)(unsafe.Pointer(&oob[cmsgHdrLen]))
			wire = int(aux.Len)
			if aux.Status&unix.TP_STATUS_VLAN_VALID != 0 {
				tagged, tci, tpid = true, aux.Vlan_tci, uint16(layers.EthernetTypeDot1Q)
				if aux.Status&unix.TP_STATUS_VLAN_TPID_VALID != 0 {
					tpid = aux.Vlan_tpid
				}
			}
		case h.Level == unix.SOL_SOCKET && h.Type == unix.SO_TIMESTAMPNS && int(h.Len) >= cmsgHdrLen+int(unsafe.Sizeof(unix.Timespec{})):
			ts := (*unix.Timespec)(unsafe.Pointer(&oob[cmsgHdrLen]))
			ci.Timestamp = time.Unix(ts.Sec, ts.Nsec/1000*1000)
		}
		oob = oob[unix.CmsgSpace(int(h.Len)-cmsgHdrLen):]
	}
	if ci.Timestamp.IsZero() {
		ci.Timestamp = time.Now().Truncate(time.Microsecond)
	}
	caplen := min(n, s.snaplen)
	start := frameRoom
	switch {
	case s.cooked:
		start -= sll2Len
		h := s.buf[start:frameRoom]
		binary.NativeEndian.PutUint16(h[0:2], s.sa.Protocol) // kept in network order
		h[2], h[3] = 0, 0
		binary.BigEndian.PutUint32(h[4:8], uint32(s.sa.Ifindex))
		binary.BigEndian.PutUint16(h[8:10], s.sa.Hatype)
		h[10] = s.sa.Pkttype
		h[11] = s.sa.Halen
		copy(h[12:20], s.sa.Addr[:])
		caplen += sll2Len
		wire += sll2Len
	case tagged && caplen >= 12:
		// Put the tag back after the two addresses, as libpcap does.
		start -= vlanLen
		copy(s.buf[start:start+12], s.buf[frameRoom:frameRoom+12])
		binary.BigEndian.PutUint16(s.buf[start+12:], tpid)
		binary.BigEndian.PutUint16(s.buf[start+14:], tci)
		caplen += vlanLen
		wire += vlanLen
	}
	caplen = min(caplen, s.snaplen)
	data := s.buf[start : start+caplen]
	if s.user != nil && (s.userAll || (tagged && !s.cooked)) && !s.user.Match(data, wire) {
		return nil, ci, false
	}
	ci.CaptureLength, ci.Length, ci.InterfaceIndex = caplen, max(wire, caplen), int(s.sa.Ifindex)
	return data, ci, true
}

// tick reads the kernel's counters, flushes the Save file and returns
// ErrTick for the time now.
func (s *liveSource) tick(now int64) ([]byte, gopacket.CaptureInfo, error) {
	s.tickAt = now
	s.counters()
	if s.save != nil {
		if err := s.save.flush(); err != nil {
			return nil, gopacket.CaptureInfo{}, err
		}
	}
	return nil, gopacket.CaptureInfo{}, ErrTick
}

// counters adds the kernel's counts since the last call (reading them
// resets them).
func (s *liveSource) counters() {
	st, err := unix.GetsockoptTpacketStats(s.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return
	}
	s.received += uint64(st.Packets) // drops included, as tcpdump's "received by filter"
	s.drops.Add(uint64(st.Drops))
}

// Close ends the capture: it takes the kernel's last counts, closes the
// socket and completes the Save file. It is safe to call twice; the error is
// the Save file's.
func (s *liveSource) Close() error {
	if s.closed {
		return s.err
	}
	s.closed = true
	if s.fd >= 0 {
		s.counters()
		unix.Close(s.fd)
	}
	if s.save != nil {
		s.err = s.save.close(s.started, s.received, s.drops.Load())
	}
	return s.err
}
