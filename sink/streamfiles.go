package sink

import (
	"bufio"
	"container/list"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sync"

	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
	"github.com/tcpflow/tcpflow/stream"
)

// StreamFiles writes each direction of each connection to a file of its own
// in a directory (--write-streams), and a manifest (streams.json) with each
// file's size, SHA-256, gaps and differing overlaps.
//
// Nothing outside the directory is ever touched, and nothing in it is
// overwritten unasked:
//   - every file operation goes through an os.Root opened on the
//     directory, which refuses any path, link or ".." that leads out of it,
//     even one planted while the run goes on;
//   - before the first byte, the directory is checked for files of the names
//     it writes (the manifest and NNNNNNNN-c2s.bin, ...): without Force any
//     of them is a refusal;
//   - bytes go to files created exclusively (O_EXCL, which never follows a
//     symbolic link) under their final names in a hidden subdirectory made
//     for this run, and are reopened with O_NOFOLLOW;
//   - only at the end, once every connection and the manifest are complete,
//     are the files moved into place: first the directory is listed again
//     (without Force a file of a set's names that appeared meanwhile refuses
//     the whole set), then each is renamed, the manifest last; on Linux the
//     rename itself refuses to replace a file (RENAME_NOREPLACE) unless
//     Force, so even a file planted after the listing is kept; rename
//     replaces a link, never the file it points to.
//
// So a refusal, an error or a crash before that last pass leaves no
// half-written set: at most the hidden subdirectory (which the end of a run
// removes), and never a manifest without its files.
type StreamFiles struct {
	root    *os.Root  // the directory
	dir     string    // its name, for messages
	tmp     string    // the hidden subdirectory, relative to root
	tmpRoot *os.Root  // the hidden subdirectory: one openat or renameat per file operation, no path walk
	fast    *fastDirs // Linux: the two directories' descriptors, for openat and renameat2 (streamfiles_linux.go)
	force   bool
	open    map[int64]*list.Element // by key(id, dir)
	lru     *list.List              // of *openFile, most recent first
	written map[int64]bool          // directions with a file, of open connections
	o       *ordered                // manifest entries, in id order at the end
	err     error
	entry   []byte
	name    []byte // scratch for file names
}

var _ pipeline.ByteSink = (*StreamFiles)(nil)

type openFile struct {
	key int64
	f   *os.File
	w   *bufio.Writer
}

// maxOpenStreams caps the files open at once; streamBuf is each one's
// buffer. 16 KB holds a whole stream of a typical short connection (12 KB
// on average on the many capture), so it is written at close in one call,
// and a bulk stream goes out in 16 KB writes, in the time 64 KB ones took
// (1.06 GB of bulk streams to tmpfs in 0.8 to 1.05 s either way). At 64 KB
// the 128 buffers took 8 MB and put --write-streams at 146 to 152 MB on the
// 2 M-packet capture, over the 150 MB of issue 10 (139 to 142 MB now).
const (
	maxOpenStreams = 128
	streamBuf      = 16 << 10
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
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	if !force {
		name, err := existingName(root)
		if err == nil && name != "" {
			err = fmt.Errorf("%s already holds %s: not overwriting (use --force)", dir, filepath.Join(dir, name))
		}
		if err != nil {
			root.Close()
			return nil, err
		}
	}
	tmp, err := os.MkdirTemp(dir, ".tcpflow-partial-*")
	if err != nil {
		root.Close()
		return nil, err
	}
	tmpRoot, err := root.OpenRoot(filepath.Base(tmp))
	if err != nil {
		root.RemoveAll(filepath.Base(tmp))
		root.Close()
		return nil, err
	}
	s := &StreamFiles{root: root, dir: dir, tmp: filepath.Base(tmp), tmpRoot: tmpRoot, force: force, open: map[int64]*list.Element{},
		lru: list.New(), written: map[int64]bool{}, o: newOrdered(tempDir, report.Triage{})}
	if s.fast, err = openFastDirs(root, tmpRoot); err != nil {
		s.closeDirs()
		return nil, err
	}
	return s, nil
}

// closeDirs removes the hidden subdirectory and closes the directories.
func (s *StreamFiles) closeDirs() {
	s.fast.close()
	s.tmpRoot.Close()
	s.root.RemoveAll(s.tmp)
	s.root.Close()
}

// existingName returns the first name in the directory that StreamFiles
// writes, "" when there is none (one listing of the directory, not a look-up
// per name: a capture may have millions of files).
func existingName(root *os.Root) (string, error) {
	f, err := root.Open(".")
	if err != nil {
		return "", err
	}
	defer f.Close()
	for {
		ents, err := f.ReadDir(1024)
		for _, e := range ents {
			if e.Name() == report.ManifestName || streamName.MatchString(e.Name()) {
				return e.Name(), nil
			}
		}
		if err == io.EOF {
			return "", nil
		}
		if err != nil {
			return "", err
		}
	}
}

// Data implements pipeline.ByteSink.
func (s *StreamFiles) Data(c *pipeline.Connection, d flow.Dir, _ int64, b []byte, _ uint64, _ int64) {
	if s.err != nil {
		return
	}
	of, err := s.file(c, d)
	if err != nil {
		s.err = err
		return
	}
	if _, err := of.w.Write(b); err != nil {
		s.err = err
	}
}

// Gap implements pipeline.ByteSink: gaps are not written into the files
// (they would be indistinguishable from data); the manifest lists them.
func (s *StreamFiles) Gap(*pipeline.Connection, flow.Dir, int64, int64, uint64, stream.GapKind) {}

// file returns the open temporary file of a direction, creating it on its
// first bytes; open files are capped (an LRU list), so a capture with many
// concurrent connections does not run out of descriptors.
func (s *StreamFiles) file(c *pipeline.Connection, d flow.Dir) (*openFile, error) {
	k := streamKey(c.ID, d)
	if e, ok := s.open[k]; ok {
		s.lru.MoveToFront(e)
		return e.Value.(*openFile), nil
	}
	flags := os.O_WRONLY | os.O_APPEND | syscallNoFollow
	if !s.written[k] {
		flags = os.O_WRONLY | os.O_CREATE | os.O_EXCL
	}
	s.name = report.AppendStreamFileName(s.name[:0], c.ID, c.Part, d)
	f, err := s.openTmp(string(s.name), flags)
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

// Finished implements pipeline.Sink: the connection's files are complete
// (they have their final names, still in the hidden subdirectory), and
// their manifest entries are kept.
func (s *StreamFiles) Finished(c *pipeline.Connection) error {
	if s.err != nil {
		return s.err
	}
	if c.Data.Streams == nil {
		return nil
	}
	s.entry = s.entry[:0]
	var files uint8 // bit d: direction d has a file
	for d := flow.C2S; d <= flow.S2C; d++ {
		k := streamKey(c.ID, d)
		if e, ok := s.open[k]; ok {
			if err := s.closeFile(e); err != nil {
				s.err = err
				return err
			}
		}
		written := s.written[k]
		delete(s.written, k)
		if written {
			files |= 1 << d
		}
		if d == flow.S2C {
			s.entry = append(s.entry, ",\n  "...)
		}
		var err error
		if s.entry, err = report.AppendManifestEntry(s.entry, c, d, written); err != nil {
			s.err = err
			return err
		}
	}
	s.o.addKey(c.ID, c.Part, 0, files, nil, s.entry)
	return nil
}

// End implements pipeline.Sink: it writes the manifest, sorted by connection
// and direction, moves the whole set into place, and removes the hidden
// subdirectory. After an error nothing is moved.
func (s *StreamFiles) End(*pipeline.Summary) error {
	defer s.closeDirs()
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
	if err := s.writeManifest(); err != nil {
		return err
	}
	if !s.force {
		// Checked at the start too: a name of the set that appeared since
		// refuses the whole set.
		name, err := existingName(s.root)
		if err == nil && name != "" {
			err = fmt.Errorf("%s: not overwriting an existing file (use --force)", filepath.Join(s.dir, name))
		}
		if err != nil {
			return err
		}
	}
	return s.eachFile(s.move)
}

// eachFile calls fn with the name of every file of the set, in id order,
// the manifest last; a direction that delivered no byte has no file (its
// entry's flags say which have one). The names are made again on each pass
// rather than kept: a capture of millions of connections keeps only its
// manifest index.
func (s *StreamFiles) eachFile(fn func(name string) error) error {
	for _, e := range s.o.all() {
		for d := flow.C2S; d <= flow.S2C; d++ {
			if e.flags&(1<<d) == 0 {
				continue
			}
			s.name = report.AppendStreamFileName(s.name[:0], int(e.id), int(e.part), d)
			if err := fn(string(s.name)); err != nil {
				return err
			}
		}
	}
	return fn(report.ManifestName)
}

// writeManifest writes the manifest into the hidden subdirectory.
func (s *StreamFiles) writeManifest() error {
	f, err := s.openTmp(report.ManifestName, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	bw.WriteString(report.ManifestStart)
	for i, e := range s.o.all() {
		_, sec := s.o.read(e)
		bw.WriteString(report.JSONConnSep(i))
		bw.Write(sec)
	}
	bw.WriteString(report.ManifestEnd(s.o.len()))
	err = flush(bw, s.o.err)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// openTmp opens a file of the hidden subdirectory (name is one path
// element).
func (s *StreamFiles) openTmp(name string, flags int) (*os.File, error) {
	if s.fast != nil {
		return s.fast.open(name, flags)
	}
	return s.tmpRoot.OpenFile(name, flags, 0o644)
}

// move renames a file of the hidden subdirectory into the directory.
func (s *StreamFiles) move(name string) error {
	if s.fast != nil {
		return s.fast.move(s.root, s.tmp, name, s.force)
	}
	return s.root.Rename(path.Join(s.tmp, name), name)
}
