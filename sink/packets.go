package sink

import (
	"bufio"
	"io"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
)

// The per-packet outputs: a frame taken apart field by field (--dissect) and
// tcpdump's lines (--format tcpdump). Both are pipeline.FrameSinks: they
// write each frame as it comes, in frame order, so memory stays flat.

// PacketFormat chooses how Packets writes each frame.
type PacketFormat int

// Packet formats.
const (
	DissectText  PacketFormat = iota // --dissect: headers field by field, then a hex dump
	DissectJSON                      // --dissect --format json: one document, {"frames": [...]}
	DissectJSONL                     // --dissect --format jsonl: one frame object per line
	Tcpdump                          // --format tcpdump: tcpdump -nn -S -vvv's lines
)

// Packets writes the frames it receives in one PacketFormat.
type Packets struct {
	w       *bufio.Writer
	stats   *capture.Stats
	format  PacketFormat
	explain bool
	// Frames is how many frames were written.
	Frames int
	buf    []byte
}

// NewPackets returns a per-packet output writing to w; stats is the
// reader's (relative times count from its first frame). With explain, a
// dissection says what each field is for.
func NewPackets(w io.Writer, stats *capture.Stats, format PacketFormat, explain bool) *Packets {
	return &Packets{w: bufio.NewWriterSize(w, 64<<10), stats: stats, format: format, explain: explain}
}

// Frame implements pipeline.FrameSink.
func (p *Packets) Frame(f *pipeline.Frame) error {
	b := p.buf[:0]
	switch p.format {
	case Tcpdump:
		b = report.AppendTcpdump(b, &f.Frame)
	case DissectText:
		if p.Frames > 0 {
			b = append(b, '\n')
		}
		b = report.AppendDissectText(b, report.DissectFrame(f), p.stats.FirstTime, p.explain)
	default:
		switch {
		case p.format == DissectJSONL:
		case p.Frames == 0:
			b = append(b, "{\"frames\":[\n"...)
		default:
			b = append(b, ",\n"...)
		}
		var err error
		if b, err = report.AppendDissectJSON(b, report.DissectFrame(f), p.stats.FirstTime, p.explain); err != nil {
			return err
		}
		if p.format == DissectJSONL {
			b = append(b, '\n')
		}
	}
	p.buf = b
	p.Frames++
	_, err := p.w.Write(b)
	return err
}

// Finished implements pipeline.Sink: connections are not reported.
func (p *Packets) Finished(*pipeline.Connection) error { return nil }

// End implements pipeline.Sink: it closes the JSON document and flushes.
func (p *Packets) End(*pipeline.Summary) error {
	if p.format == DissectJSON {
		if p.Frames == 0 {
			p.w.WriteString("{\"frames\":[")
		}
		p.w.WriteString("\n]}\n")
	}
	return p.w.Flush()
}
