package sink

import (
	"bufio"
	"container/list"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"

	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
)

// StreamFiles writes each direction of each connection to a file of its own
// in a directory (--write-streams), and a manifest (streams.json) with each
// file's size, SHA-256, gaps and differing overlaps.
//
// Nothing outside the directory is ever touched, and nothing in it is
// overwritten unasked:
//   - before the first byte, the directory is checked for files of the names
//     it writes (the manifest and NNNNNNNN-c2s.bin, ...): without Force any
//     of them is a refusal, so a refused run leaves nothing behind;
//   - bytes go to temporary files created exclusively (O_EXCL, which never
//     follows a symbolic link) in a hidden subdirectory made for this run;
//     a connection's files are renamed into place when it is finished,
//     complete, and rename replaces a link rather than following it; the
//     manifest comes last, the same way;
//   - a crash leaves at most the hidden subdirectory and the files of
//     connections finished before it.
type StreamFiles struct {
	dir, tmp string
	force    bool
	open     map[int64]*list.Element // by key(id, dir)
	lru      *list.List              // of *openFile, most recent first
	written  map[int64]bool          // directions with a temporary file, of open connections
	o        *ordered                // manifest entries, in id order at the end
	err      error
	entry    []byte
}

type openFile struct {
	key int64
	f   *os.File
	w   *bufio.Writer
}

const (
	maxOpenStreams = 128
	streamBuf      = 64 << 10
)

func streamKey(id int, d flow.Dir) int64 { return int64(id)<<1 | int64(d) }

// streamName matches the names StreamFiles writes.
var streamName = regexp.MustCompile(`^[0-9]{8,}(\.[0-9]+)?-(c2s|s2c)\.bin$`)

// NewStreamFiles prepares writing into dir, creating it if needed. Without
// force it fails, before anything is written, when dir already holds a
// manifest or a stream file.
func NewStreamFiles(dir string, force bool, tempDir string) (*StreamFiles, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if !force {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if e.Name() == report.ManifestName || streamName.MatchString(e.Name()) {
				return nil, fmt.Errorf("%s already holds %s: not overwriting (use --force)", dir, filepath.Join(dir, e.Name()))
			}
		}
	}
	tmp, err := os.MkdirTemp(dir, ".tcpflow-partial-*")
	if err != nil {
		return nil, err
	}
	return &StreamFiles{dir: dir, tmp: tmp, force: force, open: map[int64]*list.Element{}, lru: list.New(),
		written: map[int64]bool{}, o: newOrdered(tempDir)}, nil
}

func (s *StreamFiles) tmpName(id int, d flow.Dir) string {
	return filepath.Join(s.tmp, strconv.Itoa(id)+"-"+d.String())
}

// Data implements stream.Sink.
func (s *StreamFiles) Data(id int, d flow.Dir, _ int64, b []byte, _ uint64, _ int64) {
	if s.err != nil {
		return
	}
	of, err := s.file(id, d)
	if err != nil {
		s.err = err
		return
	}
	if _, err := of.w.Write(b); err != nil {
		s.err = err
	}
}

// Gap implements stream.Sink: gaps are not written into the files (they
// would be indistinguishable from data); the manifest lists them.
func (s *StreamFiles) Gap(int, flow.Dir, int64, int64, uint64) {}

// file returns the open temporary file of a direction, creating it on its
// first bytes; open files are capped (an LRU list), so a capture with many
// concurrent connections does not run out of descriptors.
func (s *StreamFiles) file(id int, d flow.Dir) (*openFile, error) {
	k := streamKey(id, d)
	if e, ok := s.open[k]; ok {
		s.lru.MoveToFront(e)
		return e.Value.(*openFile), nil
	}
	flags := os.O_WRONLY | os.O_APPEND | syscallNoFollow
	if !s.written[k] {
		flags = os.O_WRONLY | os.O_CREATE | os.O_EXCL
	}
	f, err := os.OpenFile(s.tmpName(id, d), flags, 0o644)
	if err != nil {
		return nil, err
	}
	s.written[k] = true
	w, _ := writerPool.Get().(*bufio.Writer)
	if w == nil {
		w = bufio.NewWriterSize(f, streamBuf)
	}
	w.Reset(f)
	of := &openFile{key: k, f: f, w: w}
	s.open[k] = s.lru.PushFront(of)
	if s.lru.Len() > maxOpenStreams {
		if err := s.closeFile(s.lru.Back()); err != nil {
			return nil, err
		}
	}
	return of, nil
}

func (s *StreamFiles) closeFile(e *list.Element) error {
	of := e.Value.(*openFile)
	s.lru.Remove(e)
	delete(s.open, of.key)
	err := of.w.Flush()
	if cerr := of.f.Close(); err == nil {
		err = cerr
	}
	of.w.Reset(nil)
	writerPool.Put(of.w)
	return err
}

// writerPool recycles the files' buffers: a capture of many short
// connections opens a file per direction, and a fresh 64 KB buffer each time
// would be most of the run's garbage.
var writerPool sync.Pool

// Finished implements pipeline.Sink: the connection's files are complete;
// they are renamed into place and their manifest entries kept.
func (s *StreamFiles) Finished(c *pipeline.Connection) error {
	if s.err != nil {
		return s.err
	}
	if c.Data.Streams == nil {
		return nil
	}
	s.entry = s.entry[:0]
	for d := flow.C2S; d <= flow.S2C; d++ {
		k := streamKey(c.ID, d)
		if e, ok := s.open[k]; ok {
			if err := s.closeFile(e); err != nil {
				return err
			}
		}
		written := s.written[k]
		delete(s.written, k)
		if written {
			if err := s.place(s.tmpName(c.ID, d), report.StreamFileName(c, d)); err != nil {
				return err
			}
		}
		if d == flow.S2C {
			s.entry = append(s.entry, ",\n  "...)
		}
		var err error
		if s.entry, err = report.AppendManifestEntry(s.entry, c, d, written); err != nil {
			return err
		}
	}
	s.o.add(c.ID, c.Part, nil, s.entry)
	return nil
}

// place renames a finished temporary file to its name in the directory.
// Without force a name that exists by now is a refusal; rename replaces a
// symbolic link, never the file it points to.
func (s *StreamFiles) place(tmp, name string) error {
	dst := filepath.Join(s.dir, name)
	if !s.force {
		if _, err := os.Lstat(dst); err == nil {
			return fmt.Errorf("%s: not overwriting an existing file (use --force)", dst)
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return os.Rename(tmp, dst)
}

// End implements pipeline.Sink: it writes the manifest, sorted by connection
// and direction, and removes the temporary directory.
func (s *StreamFiles) End(*pipeline.Summary) error {
	defer os.RemoveAll(s.tmp)
	defer s.o.close()
	for s.lru.Len() > 0 {
		if err := s.closeFile(s.lru.Front()); err != nil && s.err == nil {
			s.err = err
		}
	}
	if s.err != nil {
		return s.err
	}
	s.o.sort()
	tmp := filepath.Join(s.tmp, report.ManifestName)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	bw.WriteString(report.ManifestStart)
	for i, e := range s.o.index {
		_, sec := s.o.read(e)
		bw.WriteString(report.JSONConnSep(i))
		bw.Write(sec)
	}
	bw.WriteString(report.ManifestEnd(len(s.o.index)))
	err = flush(bw, s.o.err)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return s.place(tmp, report.ManifestName)
}
