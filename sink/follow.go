package sink

import (
	"bufio"
	"fmt"
	"io"

	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/internal/spool"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
	"github.com/tcpflow/tcpflow/stream"
)

// Follow prints one connection's conversation for --follow, like
// Wireshark's "Follow TCP Stream": both sides interleaved in the order the
// bytes were delivered, each chunk under a line naming its side, stream
// offset, size and first frame, gaps shown. The bytes wait in a spool until
// the connection is finished, when its stream facts (the header) are known.
type Follow struct {
	ID     int
	w      io.Writer
	mode   report.FollowMode
	sp     *spool.Spool
	chunks []report.FollowChunk // Data is nil: the bytes are in the spool at off
	offs   []int64
	found  bool
	err    error
	buf    []byte
}

// NewFollow follows connection id, writing to w in mode; tempDir is where
// the spool goes.
func NewFollow(id int, w io.Writer, mode report.FollowMode, tempDir string) *Follow {
	return &Follow{ID: id, w: w, mode: mode, sp: spool.New(tempDir, SpoolMemory)}
}

// Data implements pipeline.ByteSink.
func (f *Follow) Data(c *pipeline.Connection, d flow.Dir, off int64, b []byte, frame uint64, _ int64) {
	if c.ID != f.ID || f.err != nil {
		return
	}
	at, err := f.sp.Write(b)
	if err != nil {
		f.err = err
		return
	}
	if n := len(f.chunks); n > 0 {
		if last := &f.chunks[n-1]; last.Dir == d && last.Gap == 0 && last.Off+last.Len == off {
			last.Len += int64(len(b)) // one side talking on: one chunk
			return
		}
	}
	f.chunks = append(f.chunks, report.FollowChunk{Dir: d, Off: off, Len: int64(len(b)), Frame: frame})
	f.offs = append(f.offs, at)
}

// Gap implements pipeline.ByteSink.
func (f *Follow) Gap(c *pipeline.Connection, d flow.Dir, off, n int64, frame uint64, kind stream.GapKind) {
	if c.ID == f.ID {
		f.chunks = append(f.chunks, report.FollowChunk{Dir: d, Off: off, Gap: n, GapKind: kind, Frame: frame})
		f.offs = append(f.offs, 0)
	}
}

// Finished implements pipeline.Sink: it prints the followed connection.
func (f *Follow) Finished(c *pipeline.Connection) error {
	if c.ID != f.ID {
		return nil
	}
	f.found = true
	if f.err != nil {
		return f.err
	}
	bw := bufio.NewWriterSize(f.w, 64<<10)
	report.FollowHeader(bw, c)
	for i, ch := range f.chunks {
		if ch.Gap == 0 {
			if int64(cap(f.buf)) < ch.Len {
				f.buf = make([]byte, ch.Len)
			}
			ch.Data = f.buf[:ch.Len]
			if err := f.sp.ReadAt(ch.Data, f.offs[i]); err != nil {
				return err
			}
		}
		report.FollowChunkText(bw, ch, f.mode)
	}
	report.FollowEnd(bw)
	f.chunks, f.offs = f.chunks[:0], f.offs[:0]
	return bw.Flush()
}

// End implements pipeline.Sink.
func (f *Follow) End(*pipeline.Summary) error {
	f.sp.Close()
	if !f.found {
		return fmt.Errorf("--follow %d: no such connection", f.ID)
	}
	return f.err
}

// Raw writes the bytes of one side of one connection unchanged, as they are
// delivered, for piping (--follow ID --side client --raw).
type Raw struct {
	ID    int
	Dir   flow.Dir
	W     io.Writer
	found bool
	err   error
}

// Data implements pipeline.ByteSink.
func (r *Raw) Data(c *pipeline.Connection, d flow.Dir, _ int64, b []byte, _ uint64, _ int64) {
	if c.ID == r.ID && d == r.Dir && r.err == nil {
		_, r.err = r.W.Write(b)
	}
}

// Gap implements pipeline.ByteSink: a gap is not written (it would be
// indistinguishable from data).
func (r *Raw) Gap(*pipeline.Connection, flow.Dir, int64, int64, uint64, stream.GapKind) {}

// Finished implements pipeline.Sink.
func (r *Raw) Finished(c *pipeline.Connection) error {
	if c.ID == r.ID {
		r.found = true
	}
	return r.err
}

// End implements pipeline.Sink.
func (r *Raw) End(*pipeline.Summary) error {
	if r.err == nil && !r.found {
		return fmt.Errorf("--follow %d: no such connection", r.ID)
	}
	return r.err
}
