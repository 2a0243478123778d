package sink

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/internal/gen"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
)

// testdata is in streamfiles_test.go.

// runBoth analyzes the inputs once with the JSONL report and the Parquet
// output side by side, and returns the JSONL lines.
func runBoth(t *testing.T, out string, o ParquetOptions, reassemble bool, inputs ...string) []map[string]any {
	t.Helper()
	r := capture.NewReader(inputs...)
	defer r.Close()
	var jl bytes.Buffer
	o.Dir, o.Inputs, o.Stats = out, inputs, &r.Stats
	if o.Run == nil {
		o.Run = inputs
	}
	pq, err := NewParquet(o)
	if err != nil {
		t.Fatal(err)
	}
	ropts := report.Options{Summary: o.Summary, Triage: o.Triage}
	if _, err := pipeline.Run(r, pipeline.Options{Reassemble: reassemble}, NewJSONL(&jl, &r.Stats, ropts), pq); err != nil {
		t.Fatal(err)
	}
	var lines []map[string]any
	sc := bufio.NewScanner(&jl)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, m)
	}
	return lines
}

// readTable reads every row of a table under dir, with the partition each
// row's file is in.
func readTable[T any](t *testing.T, dir, table string) (rows []T, parts []string) {
	t.Helper()
	root := filepath.Join(dir, table)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && path == root {
				return filepath.SkipDir
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".parquet") {
			return nil
		}
		rs, err := parquet.ReadFile[T](path)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		for range rs {
			parts = append(parts, filepath.ToSlash(rel))
		}
		rows = append(rows, rs...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows, parts
}

// asJSON turns a row into the JSON object it stands for, without the
// columns only Parquet has.
func asJSON(t *testing.T, row any, drop ...string) map[string]any {
	t.Helper()
	b, err := json.Marshal(row)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range drop {
		delete(m, k)
	}
	return m
}

// withDefaults adds to a JSONL object the fields JSON leaves out when they
// have their zero value, as Parquet has every column in every row.
func withDefaults(m map[string]any, defaults map[string]any) map[string]any {
	delete(m, "type")
	for k, v := range defaults {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
	return m
}

// jsonOnly drops from a JSONL connection what only JSON has: the RFC 3339
// times (Parquet has first_ts and last_ts) and the zero counts JSON writes
// out, where a row keeps only those counted (checksums only when one is bad
// or unfilled, jumps when there are some).
func jsonOnly(m map[string]any) map[string]any {
	delete(m, "first_time_rfc3339")
	delete(m, "last_time_rfc3339")
	stats, _ := m["stats"].(map[string]any)
	for _, d := range stats {
		d := d.(map[string]any)
		nonzero := func(v any) map[string]any {
			out := map[string]any{}
			for k, n := range v.(map[string]any) {
				if n.(float64) != 0 {
					out[k] = n
				}
			}
			return out
		}
		if mo := nonzero(d["malformed_options"]); len(mo) > 0 {
			d["malformed_options"] = mo
		} else {
			delete(d, "malformed_options")
		}
		ck := d["checksums"].(map[string]any)
		ip, tcp := nonzero(ck["ip"]), nonzero(ck["tcp"])
		if ip["bad"] != nil || ip["unfilled"] != nil || tcp["bad"] != nil || tcp["unfilled"] != nil {
			d["checksums"] = map[string]any{"ip": ip, "tcp": tcp}
		} else {
			delete(d, "checksums")
		}
		for _, k := range []string{"impossible_seq_jumps", "impossible_ack_jumps"} {
			if d[k] == 0.0 {
				delete(d, k)
			}
		}
	}
	return m
}

var (
	connDefaults = map[string]any{"part": 0.0, "evicted": false, "bad_headers": []any{}}
	segDefaults  = map[string]any{"part": 0.0, "win_scale_assumed": false, "options": nil, "dup_ack_num": nil,
		"dup_ack_frame": nil, "ack_rtt_s": nil, "ack_frame": nil, "bytes_in_flight": nil, "truncated": false,
		"checksums": nil, "seq_jump": 0.0, "ack_jump": 0.0, "artifacts": []any{}, "duplicate_of": nil}
)

// compareWithJSONL checks the tables under dir against the JSONL lines of
// the same run, row for row, and returns the rows.
func compareWithJSONL(t *testing.T, dir string, lines []map[string]any) ([]report.ConnRow, []report.SegmentRow, []string) {
	t.Helper()
	var wantConns, wantSegs []map[string]any
	for _, l := range lines {
		switch l["type"] {
		case "connection":
			wantConns = append(wantConns, withDefaults(jsonOnly(l), connDefaults))
		case "segment":
			wantSegs = append(wantSegs, withDefaults(l, segDefaults))
		}
	}
	conns, _ := readTable[report.ConnRow](t, dir, TableConnections)
	segs, segParts := readTable[report.SegmentRow](t, dir, TableSegments)
	slices.SortFunc(conns, func(a, b report.ConnRow) int { return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.Part, b.Part)) })
	idx := make([]int, len(segs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(segs[a].Frame, segs[b].Frame) })
	sorted, sortedParts := make([]report.SegmentRow, len(segs)), make([]string, len(segs))
	for i, j := range idx {
		sorted[i], sortedParts[i] = segs[j], segParts[j]
	}
	segs, segParts = sorted, sortedParts
	slices.SortStableFunc(wantConns, func(a, b map[string]any) int {
		return cmp.Or(cmp.Compare(a["id"].(float64), b["id"].(float64)), cmp.Compare(a["part"].(float64), b["part"].(float64)))
	})
	if len(conns) != len(wantConns) || len(segs) != len(wantSegs) {
		t.Fatalf("%d connections and %d segments in Parquet, %d and %d in JSONL", len(conns), len(segs), len(wantConns), len(wantSegs))
	}
	for i := range conns {
		got := asJSON(t, &conns[i], "run", "file", "file_frame", "first_ts", "last_ts")
		if !reflect.DeepEqual(got, wantConns[i]) {
			t.Errorf("connection %d differs:\nparquet %v\njsonl   %v", i, got, wantConns[i])
		}
	}
	for i := range segs {
		got := asJSON(t, &segs[i], "run", "file", "file_frame", "ts")
		if !reflect.DeepEqual(got, wantSegs[i]) {
			t.Fatalf("segment %d differs:\nparquet %v\njsonl   %v", i, got, wantSegs[i])
		}
	}
	return conns, segs, segParts
}

// TestParquetEqualsJSONL writes every testdata capture as Parquet and as
// JSONL in one run and reads the tables back: they hold the same rows, with
// the same values.
func TestParquetEqualsJSONL(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testdata, "*.pcap*"))
	if len(files) < 10 {
		t.Fatalf("only %d captures in %s", len(files), testdata)
	}
	for _, file := range files {
		for _, reassemble := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/reassemble=%v", filepath.Base(file), reassemble), func(t *testing.T) {
				dir := t.TempDir()
				lines := runBoth(t, dir, ParquetOptions{}, reassemble, file)
				conns, segs, parts := compareWithJSONL(t, dir, lines)
				base := report.InputBase(file)
				for i, s := range segs {
					if s.File != file || s.FileFrame != s.Frame || s.Run != file || parts[i] != "capture="+hiveEscape(base) {
						t.Fatalf("segment %d: run %q file %q #%d in %s; want %q, #%d in capture=%s", i, s.Run, s.File, s.FileFrame, parts[i], file, s.Frame, base)
					}
				}
				for _, c := range conns {
					if c.File != file || c.FileFrame != c.FirstFrame || (c.Streams != nil) != reassemble {
						t.Fatalf("connection %d: file %q #%d, streams %v", c.ID, c.File, c.FileFrame, c.Streams != nil)
					}
				}
			})
		}
	}
}

// splitRotated writes the frames of a classic pcap into n files of about
// the same number of frames, as tcpdump -C rotates, and returns their names.
func splitRotated(t *testing.T, src, dir string, n int) []string {
	t.Helper()
	r := capture.NewReader(src)
	var seg capture.Segment
	for r.Next(&seg) == nil {
	}
	r.Close()
	per := (int(r.Stats.Frames) + n - 1) / n
	names, err := gen.Split(src, filepath.Join(dir, "rot.pcap"), per)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestParquetRotatedSet writes a capture split in three rotated files, with
// tiny row groups and at most two open files per table, partitioned by file
// and by hour: the rows equal the JSONL report's, every segment is in the
// partition of its own file, and the files name their frames as the pieces
// number them.
func TestParquetRotatedSet(t *testing.T) {
	names := splitRotated(t, filepath.Join(testdata, "reassembly.pcap"), t.TempDir(), 3)
	for _, part := range []Partition{PartitionFile, PartitionHour, PartitionNone} {
		t.Run(fmt.Sprint(part), func(t *testing.T) {
			dir := t.TempDir()
			lines := runBoth(t, dir, ParquetOptions{Partition: part, RowGroup: 4, MaxOpen: 2, Run: []string{"set/"}}, true, names...)
			conns, segs, parts := compareWithJSONL(t, dir, lines)
			per := (len(segs) + 2) / 3
			for i, s := range segs {
				want := "."
				switch part {
				case PartitionFile:
					want = "capture=" + filepath.Base(s.File)
				case PartitionHour:
					want = "date=2024-01-02/hour=03"
				}
				if s.File != names[i/per] || s.FileFrame != int64(i%per+1) || parts[i] != want || s.Run != "set/" {
					t.Fatalf("segment %d (frame %d): %q #%d in %q, want %q #%d in %q", i, s.Frame, s.File, s.FileFrame, parts[i], names[i/per], i%per+1, want)
				}
			}
			if len(conns) == 0 {
				t.Fatal("no connections")
			}
			runs, _ := readTable[report.RunRow](t, dir, TableRuns)
			if len(runs) != 1 || runs[0].Run != "set/" || len(runs[0].Files) != 3 || runs[0].Connections != int64(len(conns)) {
				t.Errorf("runs table %+v", runs)
			}
			files, _ := filepath.Glob(filepath.Join(dir, TableSegments, "*", "*.parquet"))
			if part == PartitionFile && len(files) != 3 {
				t.Errorf("segments in %d files, want 3 (one per capture)", len(files))
			}
		})
	}
}

// TestParquetNoOverwrite checks that a second run of the same name into the
// same directory is refused before it writes anything, that --force
// replaces the first run's files, that a run over other inputs writes
// beside them, and that nothing is written through a symbolic link.
func TestParquetNoOverwrite(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(testdata, "textbook.pcap")
	runBoth(t, dir, ParquetOptions{}, false, file)
	before := listFiles(t, dir)
	if _, err := NewParquet(ParquetOptions{Dir: dir, Run: []string{file}, Inputs: []string{file}}); err == nil || !strings.Contains(err.Error(), "not overwriting") {
		t.Errorf("second run: %v, want a refusal", err)
	}
	if after := listFiles(t, dir); !slices.Equal(before, after) {
		t.Errorf("the refused run changed the directory: %q -> %q", before, after)
	}
	runBoth(t, dir, ParquetOptions{Force: true}, false, file)
	if after := listFiles(t, dir); !slices.Equal(before, after) {
		t.Errorf("--force: %q, want %q", after, before)
	}
	other := filepath.Join(testdata, "lossy.pcap")
	runBoth(t, dir, ParquetOptions{}, false, other)
	if after := listFiles(t, dir); len(after) != 2*len(before) {
		t.Errorf("a run over another capture: %q", after)
	}
	conns, _ := readTable[report.ConnRow](t, dir, TableConnections)
	runs := map[string]int{}
	for _, c := range conns {
		runs[c.Run]++
	}
	if runs[file] != 1 || runs[other] != 1 {
		t.Errorf("connections per run %v", runs)
	}

	// A symbolic link where a partition directory goes.
	evil, elsewhere := t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(evil, TableSegments), 0o755)
	os.Symlink(elsewhere, filepath.Join(evil, TableSegments, "capture=textbook.pcap"))
	r := capture.NewReader(file)
	pq, err := NewParquet(ParquetOptions{Dir: evil, Run: []string{file}, Inputs: []string{file}, Stats: &r.Stats})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.Run(r, pipeline.Options{}, pq); err == nil || !strings.Contains(err.Error(), "not writing through") {
		t.Errorf("through a symbolic link: %v", err)
	}
	if ents, _ := os.ReadDir(elsewhere); len(ents) != 0 {
		t.Errorf("written through the link: %v", ents)
	}
}

func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			out = append(out, rel)
		}
		return nil
	})
	slices.Sort(out)
	return out
}

// TestRunStem checks the names of runs' files.
func TestRunStem(t *testing.T) {
	for _, tt := range []struct {
		run  []string
		want string
	}{
		{[]string{"caps/a.pcap"}, "a.pcap"},
		{[]string{"caps/"}, "caps"},
		{[]string{"-"}, "stdin"},
		{[]string{"dir/tr ace#1.pcap"}, "tr%20ace%231.pcap"},
		{[]string{".."}, "%2E%2E"},
	} {
		if got := runStem(tt.run); got != tt.want {
			t.Errorf("runStem(%q) = %q, want %q", tt.run, got, tt.want)
		}
	}
	a, b := runStem([]string{"a.pcap", "b.pcap"}), runStem([]string{"a.pcap", "c.pcap"})
	if a == b || !strings.HasPrefix(a, "a.pcap-and-1-more-") {
		t.Errorf("two runs over different inputs: %q and %q", a, b)
	}
}

// TestParquetFileRowGroups checks that a file is finished after
// fileRowGroups row groups, so that the footer's metadata parquet-go keeps
// stays bounded, and that the next rows go on in the next file of the
// partition: with row groups of one row, files of fileRowGroups rows, and
// every row there.
func TestParquetFileRowGroups(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(testdata, "tunnels.pcap")
	lines := runBoth(t, dir, ParquetOptions{RowGroup: 1}, false, file)
	_, segs, _ := compareWithJSONL(t, dir, lines)
	if len(segs) <= 2*fileRowGroups {
		t.Fatalf("%d segments: too few for three files", len(segs))
	}
	files := listFiles(t, filepath.Join(dir, TableSegments))
	want := (len(segs) + fileRowGroups - 1) / fileRowGroups
	if len(files) != want {
		t.Fatalf("%d segments in %d files %v, want %d", len(segs), len(files), files, want)
	}
	for i := range want {
		path := filepath.Join(dir, TableSegments, "capture="+hiveEscape(report.InputBase(file)), fmt.Sprintf("%s-%d.parquet", runStem([]string{file}), i))
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		pf, err := parquet.OpenFile(f, st.Size())
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		n := min(fileRowGroups, len(segs)-i*fileRowGroups)
		if got := len(pf.RowGroups()); got != n || pf.NumRows() != int64(n) {
			t.Errorf("%s: %d rows in %d row groups, want %d in %d", path, pf.NumRows(), got, n, n)
		}
		f.Close()
	}
}
