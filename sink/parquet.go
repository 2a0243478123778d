package sink

import (
	"bufio"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
	"github.com/tcpflow/tcpflow/state"
)

// Partition chooses how the Parquet tables are split into directories.
type Partition int

// Partitions, Hive-style (key=value directories), so that engines read only
// the directories a query's conditions on the key leave.
const (
	PartitionFile Partition = iota // capture=<file name>: rows by the input of their frame
	PartitionHour                  // date=YYYY-MM-DD/hour=HH (UTC): rows by the time of their frame
	PartitionNone                  // every row of a table in the table's directory
)

func (p Partition) String() string { return [...]string{"file", "hour", "none"}[p] }

// ParquetOptions configure a Parquet output.
type ParquetOptions struct {
	Dir       string
	Partition Partition
	// Force replaces the files of an earlier run of the same name (see
	// Parquet); without it they are a refusal.
	Force bool
	// Run is the run's inputs as given on the command line: the run column
	// of every row, and the names of the files written.
	Run []string
	// Inputs are the files read, as Segment.File numbers them (directories
	// expanded).
	Inputs []string
	// Stats is the reader's (relative times count from its first frame).
	Stats *capture.Stats
	// Summary writes no segments table.
	Summary bool
	// RowGroup is the number of rows per row group of the segments table
	// (the connections table's is a sixteenth of it); 0 means
	// DefaultRowGroup. It bounds what a file being written holds in memory.
	RowGroup int
	// MaxOpen is how many files of a table may be open at once (one per
	// partition being written); 0 means DefaultMaxOpen.
	MaxOpen int
	// Triage leaves connections out (--problems, the time window) and
	// keeps the first Top of its order (parquet_triage.go).
	Triage report.Triage
}

// Defaults of ParquetOptions.
const (
	DefaultRowGroup = 64 << 10
	DefaultMaxOpen  = 8
)

// What a file being written holds in memory. parquet-go keeps the values of
// the row group being filled in a buffer per column (215 columns for a
// connection row, two of them maps of every finding's count; 46 for a
// segment row), each allocated at the page buffer size and encoded into a
// compressed page when full; the compressed pages of the row group wait in
// memory until it is flushed, and the footer's metadata until the file is
// finished. Measured on the 2 M-packet benchmark capture (62,000
// connections), the whole run's peak RSS (docs/PERFORMANCE.md):
//
//   - pageBuffer is 64 KiB, where parquet-go's default is 256 KiB: 215
//     column buffers of 256 KiB are 54 MB per connections file before its
//     first row. A page of 64 KiB is 8,192 BIGINTs, still a fine grain for
//     the page index; the segments file grew by 1.6 %, the connections
//     file by 8 % (with the smaller row groups below).
//   - A connections row group is a sixteenth of the segments' (4,096 rows
//     by default, where segments have 65,536): 8,192 rows peaked at
//     129 MB, 4,096 at 121 MB, 2,048 at 119 MB, not worth twice the row
//     groups. 4,096 connection rows are about 1.2 MB compressed; the
//     benchmark's connections make 16 row groups.
//   - A file has at most fileRowGroups row groups (262,144 connection rows,
//     4,194,304 segment rows by default); the next row of its partition
//     starts the next file (RUN-1.parquet, ...). parquet-go keeps every row
//     group's metadata (each column chunk's statistics and page index) for
//     the footer, about 190 KB per connections row group: without a bound
//     it grew with the capture (the 2 M connections of a SYN flood in one
//     file would hold about 90 MB).
const (
	pageBuffer          = 64 << 10
	connRowGroupDivisor = 16
	fileRowGroups       = 64
)

// The tables and what their directories are called.
const (
	TableConnections = "connections"
	TableSegments    = "segments"
	TableRuns        = "runs"
)

// Parquet writes the analysis as Parquet tables under a directory, for
// DuckDB, Spark, Trino, ClickHouse and the like (docs/parquet.md):
//
//	DIR/connections/capture=a.pcap/RUN-0.parquet   a row per connection, as it finishes
//	DIR/segments/capture=a.pcap/RUN-0.parquet      a row per segment, as it is analyzed
//	DIR/runs/RUN-0.parquet                         a row for the run: inputs, frame counts, faults
//
// with the columns of report.ConnRow, report.SegmentRow and report.RunRow.
// RUN is the run's name made from its inputs, so that runs over different
// captures (one process per file of a set, in parallel) write side by side
// into one directory. Memory is bounded: a file holds at most one row group
// in memory (RowGroup rows, flushed as it fills) and the metadata of at most
// fileRowGroups row groups (then it is finished, and the next row of its
// partition starts a new file, RUN-1...), at most MaxOpen files per table
// are open (the least recently written is finished when another is needed,
// and a later row of its partition starts a new file).
//
// Nothing outside the directory is touched and nothing is overwritten
// unasked: before the first row, the tables' directories are searched for
// files of this run's name (an earlier run over the same inputs), a refusal
// without Force, removed with it; files are written in a hidden directory
// made for this run and linked into place when complete, which fails rather
// than replace a file that appeared meanwhile; no directory on the way may
// be a symbolic link.
type Parquet struct {
	o      ParquetOptions
	dir    string // absolute
	tmp    string
	run    string
	stem   string
	conns  *table[report.ConnRow]
	segs   *table[report.SegmentRow]
	nconns int
	expert report.Expert
	ntmp   int
	codec  compress.Codec // shared by the files, so that they share its encoder (parquet_zstd.go)
	// The partitions of the inputs (by file), and of the last hour seen (by
	// hour), so that a row's is not formatted again.
	fileParts []string
	hour      int64
	hourPart  string
	top       []topRow // with Triage.Top: the best rows so far (parquet_triage.go)
}

// NewParquet prepares writing the tables into o.Dir, creating it if needed.
func NewParquet(o ParquetOptions) (pipeline.Sink, error) {
	if o.RowGroup <= 0 {
		o.RowGroup = DefaultRowGroup
	}
	if o.MaxOpen <= 0 {
		o.MaxOpen = DefaultMaxOpen
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	p := &Parquet{o: o, dir: dir, run: strings.Join(o.Run, " "), stem: runStem(o.Run)}
	if p.codec, err = newPQZstd(); err != nil {
		return nil, err
	}
	if err := p.clear(); err != nil {
		return nil, err
	}
	if p.tmp, err = os.MkdirTemp(dir, ".tcpflow-partial-*"); err != nil {
		return nil, err
	}
	p.conns = newTable[report.ConnRow](p, TableConnections, max(o.RowGroup/connRowGroupDivisor, 1), 64)
	if o.Summary {
		return parquetSummary{p}, nil
	}
	p.segs = newTable[report.SegmentRow](p, TableSegments, o.RowGroup, 1024)
	return p, nil
}

// parquetSummary is a Parquet output without the segments table.
type parquetSummary struct{ p *Parquet }

func (s parquetSummary) Finished(c *pipeline.Connection) error { return s.p.Finished(c) }
func (s parquetSummary) End(sum *pipeline.Summary) error       { return s.p.End(sum) }

// runStem names the files of a run: the base name of its first input, and
// when there are more, their number and a digest of all the names, so that
// runs over different inputs never share a name. Characters other than
// letters, digits, '.', '_' and '-' are escaped.
func runStem(run []string) string {
	if len(run) == 0 {
		return "run"
	}
	s := hiveEscape(report.InputBase(strings.TrimRight(run[0], "/")))
	if len(run) > 1 {
		h := fnv.New32a()
		for _, r := range run {
			h.Write([]byte(r))
			h.Write([]byte{0})
		}
		s += fmt.Sprintf("-and-%d-more-%08x", len(run)-1, h.Sum32())
	}
	return s
}

// hiveEscape escapes a partition value or a file name as Hive does: %XX for
// every byte outside [A-Za-z0-9._-], and the names "." and "..".
func hiveEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' && (s == "." || s == "..") || !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	if b.Len() == 0 {
		return "%00"
	}
	return b.String()
}

// clear looks for files of this run's name in the tables' directories: a
// refusal, or with Force they are removed.
func (p *Parquet) clear() error {
	mine := regexp.MustCompile(`^` + regexp.QuoteMeta(p.stem) + `-[0-9]+\.parquet$`)
	for _, t := range []string{TableConnections, TableSegments, TableRuns} {
		root := filepath.Join(p.dir, t)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) && path == root {
					return filepath.SkipDir
				}
				return err
			}
			if d.Type()&fs.ModeSymlink != 0 && path == root {
				return fmt.Errorf("%s is a symbolic link: not writing through it", path)
			}
			if d.IsDir() || !mine.MatchString(d.Name()) {
				return nil
			}
			if !p.o.Force {
				return fmt.Errorf("%s already holds %s from a run over the same inputs: not overwriting (use --force, or another directory)", p.o.Dir, path)
			}
			return os.Remove(path)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// partition is the directory, relative to a table's, of a row of the given
// input and time.
func (p *Parquet) partition(file int, t int64) string {
	switch p.o.Partition {
	case PartitionFile:
		if p.fileParts == nil {
			for _, name := range p.o.Inputs {
				p.fileParts = append(p.fileParts, "capture="+hiveEscape(report.InputBase(name)))
			}
		}
		if file >= 0 && file < len(p.fileParts) {
			return p.fileParts[file]
		}
		return "capture=-"
	case PartitionHour:
		h := t / int64(time.Hour)
		if t < 0 {
			h-- // times before 1970 round down too
		}
		if h != p.hour || p.hourPart == "" {
			p.hour, p.hourPart = h, time.Unix(0, h*int64(time.Hour)).UTC().Format("date=2006-01-02/hour=15")
		}
		return p.hourPart
	}
	return ""
}

// Segment implements pipeline.SegmentSink: the segment's row.
func (p *Parquet) Segment(c *pipeline.Connection, r *state.Record, trans []state.Transition) error {
	f, err := p.segs.file(p.partition(int(r.File), r.Time))
	if err != nil {
		return err
	}
	report.SegmentRowOf(f.next(), c, p.o.Stats.FirstTime, r, trans, p.run, p.o.Inputs)
	return f.filled()
}

// Finished implements pipeline.Sink: the connection's row.
func (p *Parquet) Finished(c *pipeline.Connection) error {
	p.expert.Add(c)
	p.nconns++
	key, ok := p.o.Triage.Admit(c, p.o.Stats.FirstTime)
	if !ok {
		return nil // left out by --problems or the time window
	}
	if p.o.Triage.Top > 0 {
		p.keepTop(c, key)
		return nil
	}
	f, err := p.conns.file(p.partition(c.FirstFile, c.FirstTime))
	if err != nil {
		return err
	}
	report.ConnRowOf(f.next(), p.o.Stats.FirstTime, c, p.run, p.o.Inputs)
	return f.filled()
}

// End implements pipeline.Sink: it finishes every file and writes the run's
// row.
func (p *Parquet) End(sum *pipeline.Summary) error {
	defer os.RemoveAll(p.tmp)
	err := p.writeTop()
	if e := p.conns.close(); err == nil {
		err = e
	}
	if p.segs != nil {
		if e := p.segs.close(); err == nil {
			err = e
		}
	}
	if err != nil {
		return err
	}
	runs := newTable[report.RunRow](p, TableRuns, 1, 1)
	f, err := runs.file("")
	if err != nil {
		return err
	}
	report.RunRowOf(f.next(), p.run, sum, p.nconns, &p.expert)
	if err := f.filled(); err != nil {
		return err
	}
	return runs.close()
}

// table is the open files of one table, one per partition being written.
type table[T any] struct {
	p        *Parquet
	name     string
	rowGroup int
	batch    int
	maxRows  int // per file: fileRowGroups row groups
	open     map[string]*pqFile[T]
	seq      map[string]int // the next file number of each partition
	clock    int
}

func newTable[T any](p *Parquet, name string, rowGroup, batch int) *table[T] {
	return &table[T]{p: p, name: name, rowGroup: rowGroup, batch: batch, maxRows: rowGroup * fileRowGroups, open: map[string]*pqFile[T]{}, seq: map[string]int{}}
}

// pqFile is a Parquet file being written: rows are filled into a batch,
// handed to the writer when it is full; the writer flushes a row group
// every rowGroup rows.
type pqFile[T any] struct {
	t      *table[T]
	part   string
	tmp    string
	f      *os.File
	bw     *bufio.Writer
	w      *parquet.GenericWriter[T]
	rows   []T
	n      int
	total  int // rows filled in all
	used   int
	failed error
}

// file returns the open file of a partition, opening one (and, past MaxOpen,
// finishing the least recently used) when there is none.
func (t *table[T]) file(part string) (*pqFile[T], error) {
	t.clock++
	if f, ok := t.open[part]; ok {
		f.used = t.clock
		return f, f.failed
	}
	if len(t.open) >= t.p.o.MaxOpen {
		var lru *pqFile[T]
		for _, f := range t.open {
			if lru == nil || f.used < lru.used {
				lru = f
			}
		}
		if err := t.finish(lru); err != nil {
			return nil, err
		}
	}
	t.p.ntmp++
	tmp := filepath.Join(t.p.tmp, strconv.Itoa(t.p.ntmp)+".parquet")
	fh, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	f := &pqFile[T]{t: t, part: part, tmp: tmp, f: fh, bw: bufio.NewWriterSize(fh, 256<<10), rows: make([]T, t.batch), used: t.clock}
	f.w = parquet.NewGenericWriter[T](f.bw,
		parquet.Compression(t.p.codec),
		parquet.PageBufferSize(pageBuffer),
		parquet.MaxRowsPerRowGroup(int64(t.rowGroup)),
		parquet.CreatedBy("tcpflow", "", ""),
		parquet.KeyValueMetadata("tcpflow.run", t.p.run))
	t.open[part] = f
	return f, nil
}

// next returns the row to fill.
func (f *pqFile[T]) next() *T { return &f.rows[f.n] }

// filled counts the row filled, handing the batch to the writer when full,
// and finishing the file when it has its fileRowGroups row groups.
func (f *pqFile[T]) filled() error {
	f.n++
	f.total++
	if f.n < len(f.rows) && f.total < f.t.maxRows {
		return nil
	}
	if err := f.write(); err != nil || f.total < f.t.maxRows {
		return err
	}
	return f.t.finish(f)
}

func (f *pqFile[T]) write() error {
	if f.failed != nil || f.n == 0 {
		return f.failed
	}
	_, err := f.w.Write(f.rows[:f.n])
	f.n = 0
	if err != nil {
		f.failed = fmt.Errorf("writing %s: %w", f.t.name, err)
	}
	return f.failed
}

// finish completes a file and puts it in place.
func (t *table[T]) finish(f *pqFile[T]) error {
	delete(t.open, f.part)
	err := f.write()
	if err == nil {
		err = f.w.Close()
	}
	if err == nil {
		err = f.bw.Flush()
	}
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	n := t.seq[f.part]
	t.seq[f.part] = n + 1
	return t.p.place(f.tmp, filepath.Join(t.name, f.part), t.p.stem+"-"+strconv.Itoa(n)+".parquet")
}

// close finishes every open file, in a fixed order.
func (t *table[T]) close() error {
	var parts []string
	for part := range t.open {
		parts = append(parts, part)
	}
	slices.Sort(parts)
	var err error
	for _, part := range parts {
		if e := t.finish(t.open[part]); err == nil {
			err = e
		}
	}
	return err
}

// place moves a finished file from the temporary directory to dir/name under
// the output directory, making the directories on the way, none of which may
// be a symbolic link. Without Force an existing file is a refusal.
func (p *Parquet) place(tmp, dir, name string) error {
	at := p.dir
	for _, c := range strings.Split(filepath.ToSlash(dir), "/") {
		if c == "" {
			continue
		}
		at = filepath.Join(at, c)
		if err := os.Mkdir(at, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		st, err := os.Lstat(at)
		if err != nil {
			return err
		}
		if !st.IsDir() {
			return fmt.Errorf("%s is not a directory (a symbolic link?): not writing through it", at)
		}
	}
	dst := filepath.Join(at, name)
	err := os.Link(tmp, dst)
	switch {
	case err == nil:
		return os.Remove(tmp)
	case errors.Is(err, fs.ErrExist) && !p.o.Force:
		return fmt.Errorf("%s: not overwriting an existing file (use --force)", dst)
	}
	return os.Rename(tmp, dst)
}
