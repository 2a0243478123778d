package capture

import (
	"errors"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/tcpflow/tcpflow/capture/filter"
)

// FormatLive is the Format of a live capture's input (OpenLive): its Name is
// the interface.
const FormatLive Format = "live"

// LiveOptions configure a live capture (OpenLive), as tcpdump's flags do.
type LiveOptions struct {
	// Snaplen is how many bytes of each frame are kept (tcpdump -s); 0 means
	// filter.DefaultSnaplen, 262144, all of any frame.
	Snaplen int
	// NoPromisc leaves the interface out of promiscuous mode (tcpdump -p).
	NoPromisc bool
	// Filter is the capture filter. It runs in the kernel, attached to the
	// socket before it receives anything: the frames it rejects are never
	// seen, and not counted. Frames whose outer VLAN tag the kernel took off
	// (it does on most interfaces) are judged here instead, once the tag is
	// put back, so that the filter means what it means on the saved file.
	Filter *filter.Filter
	// BufferSize is the socket's receive buffer in bytes (tcpdump -B, in
	// KiB there); 0 means DefaultBufferSize. When it is full the kernel
	// drops frames and counts them (Stats.KernelDrops).
	BufferSize int
	// Save names a file that receives every frame captured, as captured
	// (tcpdump -w): pcapng when the name ends in ".pcapng", else pcap. It is
	// flushed at every tick and complete once the reader is stopped.
	Save string
}

// DefaultBufferSize is the receive buffer of a live capture's socket.
const DefaultBufferSize = 4 << 20

// LiveTick is the longest a live Reader's Next goes without returning, with
// ErrTick when no frame came: the caller can then hand on what it holds and
// see whether it is asked to stop.
const LiveTick = 100 * time.Millisecond

// ErrTick is returned by Next on a live capture at least every LiveTick: all
// frames until Reader.Now have been read. It is no fault; call Next again.
var ErrTick = errors.New("live capture tick")

// LiveInfo describes an open live capture.
type LiveInfo struct {
	Interface string
	Link      layers.LinkType
	Snaplen   int
	Promisc   bool
	// KernelFilter is set when the capture filter runs in the kernel (for
	// frames the kernel has not taken a VLAN tag off); otherwise, when there
	// is a filter, it runs here on every frame.
	KernelFilter bool
}

// OpenLive starts capturing on a network interface ("any" for all of them)
// and returns a Reader whose only input is the interface. Its Next waits for
// frames, returning ErrTick at least every LiveTick; call Stop to end the
// capture (the frames not yet read are not analyzed, as with tcpdump, and
// the Save file is completed). Live capture needs Linux and the CAP_NET_RAW
// capability: without it the error wraps os.ErrPermission.
func OpenLive(iface string, opts LiveOptions) (*Reader, error) {
	if opts.Snaplen <= 0 {
		opts.Snaplen = filter.DefaultSnaplen
	}
	if opts.BufferSize <= 0 {
		opts.BufferSize = DefaultBufferSize
	}
	src, err := openLive(iface, opts)
	if err != nil {
		return nil, err
	}
	r := NewReader(iface)
	r.Inputs = []Input{{Name: iface, Format: FormatLive}}
	r.cur, r.opened = &file{src: src, closer: src, link: src.info.Link}, 1
	r.live = src
	return r, nil
}

// Live describes the live capture r reads, or returns nil for files.
func (r *Reader) Live() *LiveInfo {
	if r.live == nil {
		return nil
	}
	return &r.live.info
}

// Now is, after Next returned ErrTick, the capture time (ns since the epoch)
// until which every frame has been read.
func (r *Reader) Now() int64 { return r.now }

// KernelDrops is how many frames the kernel has dropped so far on a live
// capture (its receive buffer was full), as of the last tick; safe to call
// from another goroutine, for a status display.
func (r *Reader) KernelDrops() uint64 {
	if r.live == nil {
		return 0
	}
	return r.live.drops.Load()
}
