package capture

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tcpflow/tcpflow/capture/filter"
)

// Format is the container format of an input.
type Format string

// Formats tcpflow reads.
const (
	FormatPcap   Format = "pcap"
	FormatPcapNG Format = "pcapng"
)

// Input describes one opened input file.
type Input struct {
	Name       string // as given by the user
	Format     Format
	Gzip       bool
	Nanosecond bool   // classic pcap with nanosecond timestamps
	BigEndian  bool   // classic pcap written big-endian
	Frames     uint64 // records read from this input so far
	Err        error  // *ReadError when the input ended at a fault
}

// packetSource is what pcapgo's two readers have in common.
type packetSource interface {
	ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

// counter counts the bytes read from the underlying file. Together with the
// bufio.Reader on top of it, it gives the exact offset of every record: both pcapgo
// readers call bufio.NewReader on what they are given, which returns our
// *bufio.Reader unchanged because it is large enough, so nothing else buffers.
type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

const bufSize = 1 << 20

// Reader reads one or more inputs, one after another, as a single capture: frame
// numbers continue from one file to the next (as in the file `mergecap -a` would
// write), so a capture split by tcpdump -C/-G is analyzed as the whole it was.
type Reader struct {
	names []string
	// Stdin is what "-" reads; os.Stdin unless set before the first Next.
	Stdin  io.Reader
	Inputs []Input // one per input opened so far, in order
	Stats  Stats

	// Filter, when set before the first Next, is a capture filter in
	// tcpdump's syntax (filter.Compile). It runs on every frame before
	// decoding, compiled for each link type as frames of that type come;
	// the frames it rejects are counted under Filtered and never decoded.
	// Frames of a link type the filter does not compile for because tcpflow
	// does not decode it are left to the decoder (counted unsupported_link).
	// An expression that a decoded link type cannot take ("vlan" on Linux
	// SLL) ends the input at the first such frame with a *ReadError, as
	// tcpdump refuses such a file.
	//
	// Frame numbers still count every record, kept or not, as Wireshark's do
	// under a display filter: frame 1234 in a report is frame 1234 of the
	// file in Wireshark, tshark -r or another tcpflow run with another
	// filter, which is what one opens next to look at it. (tcpdump -r with a
	// filter writes only the kept packets, so its -# counts those.)
	Filter *filter.Filter
	progs  []linkProgram // Filter compiled per link type, in order first seen

	// AllFrames, when set before the first Next, makes Next return every
	// frame the filter keeps, also those that yield no segment: Frame().Segment
	// is then false and seg holds only Frame, File and Time. They are
	// counted in Stats all the same. For outputs that show every packet.
	AllFrames bool
	fr        Frame // the frame Next read last

	// Count, when set before the first Next, ends the reading after that
	// many frames the filter kept (tcpdump -c): Next then returns io.EOF
	// and Stats.FrameLimit is set.
	Count uint64

	live    *liveSource // the input of a live capture (OpenLive)
	now     int64       // a live capture's time at its last tick
	liveErr error       // completing a live capture's Save file

	cur    int // index into names of the open input, -1 before the first
	closer io.Closer
	cnt    *counter
	br     *bufio.Reader
	src    packetSource
	link   layers.LinkType // of a classic pcap
	ng     bool
	// The byte order of the pcapng blocks at the read position, and after
	// the next packet block (checkBlocks).
	ngBig, ngKnown, ngNext, ngNextKnown bool
	dec                                 decoder
	frame                               uint64
	openErrs                            []error
	read                                atomic.Int64  // bytes read from the inputs as stored (compressed or not)
	frames                              atomic.Uint64 // Stats.Frames, published every 1024 frames
}

// linkProgram is the filter's program for a link type: nil when the filter
// does not compile for it and the decoder does not decode it either, or the
// error when the expression does not fit it or the filter compiler does not
// know the link type (a filter never silently lets frames through).
type linkProgram struct {
	link layers.LinkType
	prog *filter.Program
	err  error
}

// program returns the filter's program for frames of a link type; nil when
// there is no filter or the decoder is to judge the frame.
func (r *Reader) program(link layers.LinkType) (*filter.Program, error) {
	if r.Filter == nil {
		return nil, nil
	}
	for i := range r.progs {
		if r.progs[i].link == link {
			return r.progs[i].prog, r.progs[i].err
		}
	}
	p, err := r.Filter.For(link)
	if errors.Is(err, filter.ErrLinkType) && firstProto(link) == pUnsupported {
		// The decoder counts these frames as an unsupported link type.
		p, err = nil, nil
	}
	r.progs = append(r.progs, linkProgram{link, p, err})
	return p, err
}

// FramesRead is about how many frames have been read (updated every 1024
// frames); safe to call from another goroutine, for a progress display.
func (r *Reader) FramesRead() uint64 { return r.frames.Load() }

// BytesRead is how many bytes of the inputs, as stored on disk, have been read
// so far (read ahead by up to a buffer). It is safe to call from another
// goroutine, for a progress display.
func (r *Reader) BytesRead() int64 { return r.read.Load() }

// progressReader counts the bytes read from an input file for BytesRead.
type progressReader struct {
	r io.Reader
	n *atomic.Int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n.Add(int64(n))
	return n, err
}

// NewReader returns a Reader over the named inputs; "-" is standard input. Files
// are opened lazily, one at a time, as reading reaches them.
func NewReader(names ...string) *Reader {
	r := &Reader{names: names, cur: -1}
	r.dec.init()
	return r
}

// Next decodes the next TCP segment into seg. Frames that are not TCP are counted
// in Stats and skipped, except two kinds that Wireshark numbers in tcp.stream
// but that are no segments to analyze: ICMP errors quoting a TCP header,
// counted under ICMPQuoted and returned with seg.Quoted set, and TCP headers
// with a bogus length, counted under Malformed and returned with
// seg.BadHeader set. At the end of all inputs it returns io.EOF. When an input
// is faulty it returns a *ReadError once, after every good frame before the fault;
// calling Next again continues with the next input.
func (r *Reader) Next(seg *Segment) error {
	for {
		if r.Count > 0 && r.Stats.Frames-r.Stats.Count[Filtered] >= r.Count && r.cur < len(r.names) {
			r.Stats.FrameLimit = r.Count
			r.Stop()
		}
		if r.src == nil {
			if err := r.openNext(); err != nil {
				return err
			}
			continue
		}
		start := r.pos()
		if r.ng {
			if off, err := r.checkBlocks(); err != nil {
				r.closeCur()
				return r.fail(start+int64(off), err)
			}
		}
		data, ci, err := r.src.ZeroCopyReadPacketData()
		if err == ErrTick {
			r.now = r.live.tickAt
			r.Stats.KernelDrops = r.live.drops.Load()
			r.frames.Store(r.Stats.Frames)
			return err
		}
		if err != nil && r.live != nil {
			r.closeCur()
			if err == io.EOF { // halted
				continue
			}
			return r.fail(-1, err)
		}
		if err != nil {
			// pcapgo answers io.EOF also when a record header is complete but
			// none of its data follows; in a classic pcap only an end at a record
			// boundary is clean. (A pcapng reader legitimately consumes trailing
			// non-packet blocks before its EOF.)
			if err == io.EOF && !r.ng && r.pos() != start {
				err = io.ErrUnexpectedEOF
			}
			r.closeCur()
			if err == io.EOF {
				continue
			}
			return r.fail(start, describe(err))
		}
		r.ngBig, r.ngKnown = r.ngNext, r.ngNextKnown
		link := r.link
		if r.ng && len(ci.AncillaryData) > 0 {
			link, _ = ci.AncillaryData[0].(layers.LinkType)
		}
		prog, err := r.program(link)
		if err != nil {
			r.closeCur()
			return r.fail(start, err)
		}
		r.frame++
		r.Inputs[len(r.Inputs)-1].Frames++
		r.Stats.Frames++
		if r.Stats.Frames&1023 == 0 || r.live != nil {
			r.frames.Store(r.Stats.Frames)
		}
		r.Stats.Bytes += uint64(len(data))
		r.Stats.countLink(link)
		seg.Frame = r.frame
		seg.File = r.cur
		seg.Time = ci.Timestamp.UnixNano()
		if r.Stats.Frames == 1 {
			r.Stats.FirstTime, r.Stats.MinTime, r.Stats.MaxTime = seg.Time, seg.Time, seg.Time
		}
		r.Stats.LastTime = seg.Time
		r.Stats.MinTime = min(r.Stats.MinTime, seg.Time)
		r.Stats.MaxTime = max(r.Stats.MaxTime, seg.Time)
		if prog != nil && !prog.Match(data, ci.Length) {
			r.Stats.Count[Filtered]++
			continue
		}
		reason, ok := r.dec.decode(data, link, ci.Length-ci.CaptureLength, seg)
		r.fr = Frame{Number: seg.Frame, Time: seg.Time, Link: link, Data: data, WireLen: ci.Length,
			Headers: r.dec.hdrs[:r.dec.nh], HeadersCut: r.dec.hdrsCut, Datagram: r.dec.datagram,
			Segment: ok, Reason: reason}
		if !ok {
			r.Stats.Count[reason]++
			if r.AllFrames {
				*seg = Segment{Frame: r.fr.Number, File: r.cur, Time: r.fr.Time}
				return nil
			}
			continue
		}
		if seg.Quoted || seg.BadHeader {
			r.Stats.Count[reason]++
			return nil
		}
		r.Stats.TCP++
		r.Stats.countSegment(seg)
		if seg.Truncated || seg.OptionsCut {
			r.Stats.Count[TruncatedPayload]++
		}
		return nil
	}
}

// Frame returns the frame Next read last, decoded or not. It and the
// bytes it refers to are valid until the next call to Next.
func (r *Reader) Frame() *Frame { return &r.fr }

// fail records a fault in the current input at the record that starts at
// offset start (the frame after the last one counted; -1 for a live
// capture) and returns it.
func (r *Reader) fail(start int64, err error) error {
	in := &r.Inputs[len(r.Inputs)-1]
	re := &ReadError{File: in.Name, Frame: r.frame + 1, Offset: start, Decompressed: in.Gzip, Err: err}
	in.Err = re
	return re
}

// pos is the offset of the next unread byte of the current input (0 for a
// live capture).
func (r *Reader) pos() int64 {
	if r.cnt == nil {
		return 0
	}
	return r.cnt.n - int64(r.br.Buffered())
}

func (r *Reader) closeCur() {
	if r.closer != nil {
		err := r.closer.Close()
		if r.live != nil {
			r.liveErr = err
			r.Stats.KernelDrops = r.live.drops.Load()
			r.frames.Store(r.Stats.Frames)
		}
	}
	r.src, r.closer = nil, nil
}

// openNext opens the next input. A file that cannot be opened or is not a capture
// yields a *ReadError with Frame 0; reading goes on with the following input.
func (r *Reader) openNext() error {
	r.cur++
	if r.cur >= len(r.names) || r.live != nil {
		r.cur = len(r.names) - 1
		return io.EOF
	}
	name := r.names[r.cur]
	r.Inputs = append(r.Inputs, Input{Name: name})
	in := &r.Inputs[len(r.Inputs)-1]
	err := r.open(name, in)
	if err != nil {
		r.closeCur()
		re := &ReadError{File: name, Err: err}
		in.Err = re
		return re
	}
	return nil
}

func (r *Reader) open(name string, in *Input) error {
	var f io.Reader = r.Stdin
	if f == nil {
		f = os.Stdin
	}
	if name != "-" {
		file, err := os.Open(name)
		if err != nil {
			return err
		}
		f, r.closer = file, file
	}
	r.cnt = &counter{r: &progressReader{f, &r.read}}
	r.br = bufio.NewReaderSize(r.cnt, bufSize)
	magic, err := r.br.Peek(4)
	if len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, gerr := gzip.NewReader(r.br)
		if gerr != nil {
			return fmt.Errorf("gzip: %w", gerr)
		}
		in.Gzip = true
		r.cnt = &counter{r: gz}
		r.br = bufio.NewReaderSize(r.cnt, bufSize)
		magic, err = r.br.Peek(4)
	}
	if err != nil {
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			return errors.New("empty or too short to be a capture file")
		}
		return err
	}
	switch m := binary.LittleEndian.Uint32(magic); m {
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1:
		pr, err := pcapgo.NewReader(r.br)
		if err != nil {
			return fmt.Errorf("pcap header: %w", err)
		}
		in.Format = FormatPcap
		in.Nanosecond = m == 0xa1b23c4d || m == 0x4d3cb2a1
		in.BigEndian = m == 0xd4c3b2a1 || m == 0x4d3cb2a1
		r.src, r.link, r.ng = pr, pr.LinkType(), false
	case 0x0a0d0d0a:
		if h, _ := r.br.Peek(12); len(h) == 12 {
			// The first section header: its byte order, and a bogus length
			// said as such rather than as a file cut short.
			r.ngBig = binary.BigEndian.Uint32(h[8:]) == ngByteOrder
			r.ngKnown = r.ngBig || binary.LittleEndian.Uint32(h[8:]) == ngByteOrder
			if n := binary.LittleEndian.Uint32(h[4:]); r.ngKnown {
				if r.ngBig {
					n = binary.BigEndian.Uint32(h[4:])
				}
				if err := ngBlockError(ngSectionHeader, n); err != nil {
					return err
				}
			}
		}
		nr, err := pcapgo.NewNgReader(r.br, pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			return fmt.Errorf("pcapng header: %w", err)
		}
		in.Format = FormatPcapNG
		r.src, r.ng = nr, true
	default:
		return fmt.Errorf("not a pcap or pcapng file (magic %02x %02x %02x %02x)", magic[0], magic[1], magic[2], magic[3])
	}
	return nil
}

// Stop ends the reading: the open input is closed and Next returns io.EOF.
// A live capture takes the kernel's last counts into Stats and completes its
// Save file; the error is that file's, when it could not be written.
func (r *Reader) Stop() error {
	r.closeCur()
	r.cur = len(r.names)
	return r.liveErr
}

// Halt ends the reading early: a file is closed at once; a live capture
// goes on until it has read the frames captured before the call (those the
// kernel holds for it), so that Ctrl-C loses nothing, then Next returns
// io.EOF.
func (r *Reader) Halt() {
	if r.live != nil && r.src != nil {
		r.live.halt = time.Now().UnixNano()
		return
	}
	r.Stop()
}

// Close releases the open input, if any; for a live capture it is Stop.
func (r *Reader) Close() error {
	r.closeCur()
	return r.liveErr
}
