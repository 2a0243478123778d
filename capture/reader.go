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
	Frames     uint64 // records of this input read so far (its last frame's number within it)
	// Recorded is what a pcapng file's interface statistics blocks
	// recorded (received and dropped packets), as read so far.
	Recorded Recorded
	Err      error // *ReadError when the input ended at a fault
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

// Reader reads one or more inputs as a single capture. By default several
// inputs are merged by timestamp, as mergecap does (merge.go): a capture set
// rotated by tcpdump -C/-G, or taken on several interfaces at once, is
// analyzed as the one capture it was, a connection spanning two files being
// one connection with one timeline. With InOrder the inputs are read one
// after another instead (the file `mergecap -a` would write). Either way,
// frame numbers count the records of the capture so formed, from 1; each
// Segment also says its file and its frame number within that file.
type Reader struct {
	names []string
	// Stdin is what "-" reads; os.Stdin unless set before the first Next.
	Stdin  io.Reader
	Inputs []Input // one per input opened so far, in the order given
	Stats  Stats
	// InOrder, when set before the first Next, reads the inputs one after
	// another, each to its end, instead of merging them by timestamp.
	InOrder bool

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
	// is then false and seg holds only Frame, File, FileFrame and Time. They
	// are counted in Stats all the same. For outputs that show every packet.
	AllFrames bool
	fr        Frame // the frame Next read last

	// Count, when set before the first Next, ends the reading after that
	// many frames the filter kept (tcpdump -c): Next then returns io.EOF
	// and Stats.FrameLimit is set.
	Count uint64

	live    *liveSource // the input of a live capture (OpenLive)
	now     int64       // a live capture's time at its last tick
	liveErr error       // completing a live capture's Save file
	stopped bool        // Stop was called: Next returns io.EOF

	cur    *file   // InOrder (and a live capture): the open input
	opened int     // InOrder: how many inputs were opened
	merge  *merger // merging: the open inputs, earliest record first
	dec    decoder
	frame  uint64
	read   atomic.Int64  // bytes read from the inputs as stored (compressed or not)
	frames atomic.Uint64 // Stats.Frames, published every 1024 frames
}

// file is one open input: the buffered reader under a pcapgo reader.
type file struct {
	in     int // index into Reader.Inputs (and the names)
	closer io.Closer
	cnt    *counter
	br     *bufio.Reader
	src    packetSource
	link   layers.LinkType // of a classic pcap
	ng     bool
	// The byte order of the pcapng blocks at the read position, and after
	// the next packet block (checkBlocks).
	ngBig, ngKnown, ngNext, ngNextKnown bool
	isb                                 isbStats // a pcapng file's interface statistics (isb.go)
}

// record is one frame as read from a file, before decoding. data is owned
// by the file's reader, valid until the file is read again.
type record struct {
	f     *file
	data  []byte
	ci    gopacket.CaptureInfo
	link  layers.LinkType
	prog  *filter.Program
	start int64 // byte offset of the record in its file
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

// NewReader returns a Reader over the named inputs; "-" is standard input.
// Merging opens every input at the first Next; with InOrder they are opened
// one at a time, as reading reaches them.
func NewReader(names ...string) *Reader {
	r := &Reader{names: names}
	r.dec.init()
	return r
}

// Next decodes the next TCP segment into seg. Frames that are not TCP are counted
// in Stats and skipped, except two kinds that Wireshark numbers in tcp.stream
// but that are no segments to analyze: ICMP errors quoting a TCP header,
// counted under ICMPQuoted and returned with seg.Quoted set, and TCP headers
// with a bogus length, counted under Malformed and returned with
// seg.BadHeader set. At the end of all inputs it returns io.EOF. When an input
// is faulty it returns a *ReadError once, after every good frame of that input
// before the fault; calling Next again goes on with the other inputs.
func (r *Reader) Next(seg *Segment) error {
	for {
		if r.Count > 0 && r.Stats.Frames-r.Stats.Count[Filtered] >= r.Count && !r.stopped {
			r.Stats.FrameLimit = r.Count
			r.Stop()
		}
		if r.stopped {
			return io.EOF
		}
		var rec record
		var err error
		if r.InOrder || len(r.names) <= 1 {
			rec, err = r.nextInOrder()
		} else {
			rec, err = r.nextMerged()
		}
		if err == ErrTick {
			r.now = r.live.tickAt
			r.Stats.KernelDrops = r.live.drops.Load()
			r.frames.Store(r.Stats.Frames)
			return err
		}
		if err != nil {
			return err
		}
		in := &r.Inputs[rec.f.in]
		in.Frames++
		r.frame++
		r.Stats.Frames++
		if r.Stats.Frames&1023 == 0 || r.live != nil {
			r.frames.Store(r.Stats.Frames)
		}
		r.Stats.Bytes += uint64(len(rec.data))
		r.Stats.countLink(rec.link)
		seg.Frame, seg.File, seg.FileFrame = r.frame, rec.f.in, in.Frames
		seg.Time = rec.ci.Timestamp.UnixNano()
		if r.Stats.Frames == 1 {
			r.Stats.FirstTime, r.Stats.MinTime, r.Stats.MaxTime = seg.Time, seg.Time, seg.Time
		}
		r.Stats.LastTime = seg.Time
		r.Stats.MinTime = min(r.Stats.MinTime, seg.Time)
		r.Stats.MaxTime = max(r.Stats.MaxTime, seg.Time)
		if rec.prog != nil && !rec.prog.Match(rec.data, rec.ci.Length) {
			r.Stats.Count[Filtered]++
			continue
		}
		reason, ok := r.dec.decode(rec.data, rec.link, rec.ci.Length-rec.ci.CaptureLength, seg)
		r.fr = Frame{Number: seg.Frame, Time: seg.Time, Link: rec.link, Data: rec.data, WireLen: rec.ci.Length,
			Headers: r.dec.hdrs[:r.dec.nh], HeadersCut: r.dec.hdrsCut, Datagram: r.dec.datagram,
			Segment: ok, Reason: reason}
		if !ok {
			r.Stats.Count[reason]++
			if r.AllFrames {
				*seg = Segment{Frame: r.fr.Number, File: rec.f.in, FileFrame: in.Frames, Time: r.fr.Time}
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

// nextInOrder returns the next record of the open input, opening the next
// input at the end of one.
func (r *Reader) nextInOrder() (record, error) {
	for {
		if r.cur == nil {
			if r.opened == len(r.names) {
				return record{}, io.EOF
			}
			f, err := r.openInput(r.opened, bufSize)
			r.opened++
			if err != nil {
				return record{}, err
			}
			r.cur = f
		}
		rec, err := r.readRecord(r.cur)
		if err == nil || err == ErrTick {
			return rec, err
		}
		r.closeCur()
		if err != io.EOF {
			return record{}, err
		}
	}
}

// readRecord reads the next record of f. At the clean end of the file it
// returns io.EOF; at a fault, a *ReadError naming the file, the number of the
// faulty frame within it and its byte offset (the caller closes f).
func (r *Reader) readRecord(f *file) (record, error) {
	start := f.pos()
	if f.ng {
		if off, err := f.checkBlocks(); err != nil {
			return record{}, r.fail(f, start+int64(off), err)
		}
	}
	data, ci, err := f.src.ZeroCopyReadPacketData()
	if err != nil && r.live != nil {
		// ErrTick; io.EOF once halted; or the socket's fault (no offset).
		if err == ErrTick || err == io.EOF {
			return record{}, err
		}
		return record{}, r.fail(f, -1, err)
	}
	if err != nil {
		// pcapgo answers io.EOF also when a record header is complete but
		// none of its data follows; in a classic pcap only an end at a record
		// boundary is clean. (A pcapng reader legitimately consumes trailing
		// non-packet blocks before its EOF.)
		if err == io.EOF && !f.ng && f.pos() != start {
			err = io.ErrUnexpectedEOF
		}
		if err == io.EOF {
			return record{}, err
		}
		return record{}, r.fail(f, start, describe(err))
	}
	f.ngBig, f.ngKnown = f.ngNext, f.ngNextKnown
	link := f.link
	if f.ng && len(ci.AncillaryData) > 0 {
		link, _ = ci.AncillaryData[0].(layers.LinkType)
	}
	prog, err := r.program(link)
	if err != nil {
		return record{}, r.fail(f, start, err)
	}
	return record{f: f, data: data, ci: ci, link: link, prog: prog, start: start}, nil
}

// fail records a fault in input f at the record that starts at offset start
// (the one after the last frame of f counted; -1 for a live capture) and
// returns it.
func (r *Reader) fail(f *file, start int64, err error) error {
	in := &r.Inputs[f.in]
	re := &ReadError{File: in.Name, Frame: in.Frames + 1, Offset: start, Decompressed: in.Gzip, Err: err}
	in.Err = re
	return re
}

// pos is the offset of the next unread byte of the file (0 for a live
// capture).
func (f *file) pos() int64 {
	if f.cnt == nil {
		return 0
	}
	return f.cnt.n - int64(f.br.Buffered())
}

// closeCur closes the input read in order. A live capture takes the
// kernel's last counts into Stats and completes its Save file.
func (r *Reader) closeCur() {
	if r.cur == nil {
		return
	}
	if r.live != nil && r.cur.closer != nil {
		r.liveErr = r.cur.closer.Close()
		r.cur.closer = nil
		r.Stats.KernelDrops = r.live.drops.Load()
		r.frames.Store(r.Stats.Frames)
	}
	r.cur.close()
	r.cur = nil
}

func (f *file) close() {
	if f.closer != nil {
		f.closer.Close()
	}
	f.src, f.closer = nil, nil
}

// openInput opens input i with a read buffer of bufSize bytes. A file that
// cannot be opened or is not a capture yields a *ReadError with Frame 0.
func (r *Reader) openInput(i, bufSize int) (*file, error) {
	name := r.names[i]
	r.Inputs = append(r.Inputs, Input{Name: name})
	in := &r.Inputs[len(r.Inputs)-1]
	f := &file{in: i}
	if err := r.open(f, name, in, bufSize); err != nil {
		f.close()
		re := &ReadError{File: name, Err: err}
		in.Err = re
		return nil, re
	}
	return f, nil
}

func (r *Reader) open(fi *file, name string, in *Input, bufSize int) error {
	var f io.Reader = r.Stdin
	if f == nil {
		f = os.Stdin
	}
	if name != "-" {
		file, err := os.Open(name)
		if err != nil {
			return err
		}
		f, fi.closer = file, file
	}
	fi.cnt = &counter{r: &progressReader{f, &r.read}}
	fi.br = bufio.NewReaderSize(fi.cnt, bufSize)
	magic, err := fi.br.Peek(4)
	if len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, gerr := gzip.NewReader(fi.br)
		if gerr != nil {
			return fmt.Errorf("gzip: %w", gerr)
		}
		in.Gzip = true
		fi.cnt = &counter{r: gz}
		fi.br = bufio.NewReaderSize(fi.cnt, bufSize)
		magic, err = fi.br.Peek(4)
	}
	if err != nil {
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			return errors.New("empty or too short to be a capture file")
		}
		return err
	}
	switch m := binary.LittleEndian.Uint32(magic); m {
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1:
		pr, err := pcapgo.NewReader(fi.br)
		if err != nil {
			return fmt.Errorf("pcap header: %w", err)
		}
		in.Format = FormatPcap
		in.Nanosecond = m == 0xa1b23c4d || m == 0x4d3cb2a1
		in.BigEndian = m == 0xd4c3b2a1 || m == 0x4d3cb2a1
		fi.src, fi.link, fi.ng = pr, pr.LinkType(), false
	case 0x0a0d0d0a:
		if h, _ := fi.br.Peek(12); len(h) == 12 {
			// The first section header: its byte order, and a bogus length
			// said as such rather than as a file cut short.
			fi.ngBig = binary.BigEndian.Uint32(h[8:]) == ngByteOrder
			fi.ngKnown = fi.ngBig || binary.LittleEndian.Uint32(h[8:]) == ngByteOrder
			if n := binary.LittleEndian.Uint32(h[4:]); fi.ngKnown {
				if fi.ngBig {
					n = binary.BigEndian.Uint32(h[4:])
				}
				if err := ngBlockError(ngSectionHeader, n); err != nil {
					return err
				}
			}
		}
		opts := pcapgo.NgReaderOptions{WantMixedLinkType: true, StatisticsCallback: func(id int, st pcapgo.NgInterfaceStatistics) {
			r.Inputs[fi.in].Recorded = fi.isb.add(id, st)
		}}
		nr, err := pcapgo.NewNgReader(fi.br, opts)
		if err != nil {
			return fmt.Errorf("pcapng header: %w", err)
		}
		in.Format = FormatPcapNG
		fi.src, fi.ng = nr, true
	default:
		return fmt.Errorf("not a pcap or pcapng file (magic %02x %02x %02x %02x)", magic[0], magic[1], magic[2], magic[3])
	}
	return nil
}

// Stop ends the reading: the open inputs are closed and Next returns
// io.EOF. A live capture takes the kernel's last counts into Stats and
// completes its Save file; the error is that file's, when it could not be
// written.
func (r *Reader) Stop() error {
	r.stopped = true
	return r.Close()
}

// Halt ends the reading early: files are closed at once; a live capture
// goes on until it has read the frames captured before the call (those the
// kernel holds for it), so that Ctrl-C loses nothing, then Next returns
// io.EOF.
func (r *Reader) Halt() {
	if r.live != nil && r.cur != nil {
		r.live.halt = time.Now().UnixNano()
		return
	}
	r.Stop()
}

// Close releases the open inputs, if any; for a live capture it is Stop.
func (r *Reader) Close() error {
	r.closeCur()
	r.merge.close()
	return r.liveErr
}
