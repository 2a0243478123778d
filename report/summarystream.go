package report

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/state"
)

// SummaryStream writes the text --summary report of a streamed run: it takes
// each connection as it finishes (state.Options.Done), renders its table row
// and its facts at once, and keeps only the rendered text, in a spool that
// moves to a temporary file past a few megabytes. Close writes the report in
// id order, byte for byte what Text writes with Options.Summary, so memory
// no longer grows with the connections of the capture.
type SummaryStream struct {
	stats  *capture.Stats // the reader's, for the capture's first frame time
	spool  spool
	index  []spooled
	widths []int
	expert expertAcc
	buf    bytes.Buffer
	bw     *bufio.Writer
}

type spooled struct {
	id       int
	row      string // the table row's cells joined by NUL (kept in memory: ~150 bytes)
	facts    int64  // offset in the spool
	factsLen int
}

// NewSummaryStream prepares a streamed summary; stats is the capture reader's.
func NewSummaryStream(stats *capture.Stats) *SummaryStream {
	s := &SummaryStream{stats: stats, widths: make([]int, len(tableHeader))}
	for i, h := range tableHeader {
		s.widths[i] = len(h)
	}
	s.bw = bufio.NewWriter(&s.buf)
	return s
}

// Conn renders one finished connection.
func (s *SummaryStream) Conn(c *state.Connection) {
	s.expert.add(c)
	row := tableRow(c)
	for i, cell := range row {
		s.widths[i] = max(s.widths[i], len(cell))
	}
	e := spooled{id: c.ID}
	e.row = strings.Join(row, "\x00")
	s.buf.Reset()
	connFactsAt(s.bw, s.stats.FirstTime, c)
	s.bw.Flush()
	e.facts, e.factsLen = s.spool.write(s.buf.Bytes()), s.buf.Len()
	s.index = append(s.index, e)
}

// Close writes the report to w and removes the spool.
func (s *SummaryStream) Close(w io.Writer, res *state.Result) error {
	defer s.spool.close()
	if s.spool.err != nil {
		return s.spool.err
	}
	slices.SortFunc(s.index, func(a, b spooled) int { return a.id - b.id })
	bw := bufio.NewWriterSize(w, 64<<10)
	writeHeader(bw, res)
	if len(s.index) == 0 {
		fmt.Fprintln(bw, "\nNo TCP connections.")
		return bw.Flush()
	}
	fmt.Fprintln(bw)
	if len(s.index) < bigTable {
		rows := make([][]string, len(s.index))
		for i, e := range s.index {
			rows[i] = strings.Split(e.row, "\x00")
		}
		if err := asciiTable(bw, tableHeader, rows); err != nil {
			return err
		}
	} else {
		t := tableDrawer{w: bw, widths: s.widths}
		t.begin(tableHeader)
		for _, e := range s.index {
			t.row(strings.Split(e.row, "\x00"))
		}
		t.end()
	}
	fmt.Fprintln(bw)
	expertLines(bw, s.expert.list())
	for _, e := range s.index {
		fmt.Fprintln(bw)
		bw.Write(s.spool.read(e.facts, e.factsLen))
	}
	if s.spool.err != nil {
		return s.spool.err
	}
	return bw.Flush()
}

// spool keeps rendered text: in memory up to spoolMem bytes, then in a
// temporary file (removed by close), written through a buffer.
type spool struct {
	mem  []byte
	file *os.File
	fw   *bufio.Writer
	size int64
	err  error
	win  []byte // the buffer read returns
}

var spoolMem = 8 << 20 // a variable so tests can make the spool spill

const spoolWindow = 1 << 20

// write appends b and returns its offset.
func (p *spool) write(b []byte) int64 {
	off := p.size
	p.size += int64(len(b))
	if p.err != nil {
		return off
	}
	if p.file == nil && len(p.mem)+len(b) > spoolMem {
		f, err := os.CreateTemp("", "tcpflow-summary-*")
		if err != nil {
			p.err = fmt.Errorf("spooling the summary: %w", err)
			return off
		}
		p.file, p.fw = f, bufio.NewWriterSize(f, spoolWindow)
		p.fw.Write(p.mem)
		p.mem = nil
	}
	if p.file != nil {
		if _, err := p.fw.Write(b); err != nil {
			p.err = err
		}
		return off
	}
	p.mem = append(p.mem, b...)
	return off
}

// read returns n bytes at off; the result is valid until the next read.
// Entries come back in id order, which is not the order connections finished
// in (a long connection finishes after many later ones), so each is read on
// its own: a read of about a kilobyte per connection.
func (p *spool) read(off int64, n int) []byte {
	if p.file == nil {
		return p.mem[off : off+int64(n)]
	}
	if p.fw != nil {
		if err := p.fw.Flush(); err != nil && p.err == nil {
			p.err = err
		}
		p.fw = nil
	}
	if cap(p.win) < n {
		p.win = make([]byte, n)
	}
	b := p.win[:n]
	if _, err := p.file.ReadAt(b, off); err != nil && p.err == nil {
		p.err = err
	}
	return b
}

func (p *spool) close() {
	if p.file != nil {
		name := p.file.Name()
		p.file.Close()
		os.Remove(name)
	}
}
