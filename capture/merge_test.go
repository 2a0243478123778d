package capture

import (
	"bytes"
	"cmp"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/tcpflow/tcpflow/internal/gen"
)

// splitPcap writes the records of a classic pcap into files, record i into
// file pick(i), and returns the files' paths.
func splitPcap(t testing.TB, data []byte, dir string, pick func(i int) int) []string {
	t.Helper()
	names, err := gen.Distribute(data, filepath.Join(dir, "part"), pick)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// where is what the reader says about a frame: its number, file and number
// in the file, and its time.
type where struct {
	Frame     uint64
	File      int
	FileFrame uint64
	Time      int64
	Seq       uint32
}

func wheres(segs []Segment) []where {
	var w []where
	for _, s := range segs {
		w = append(w, where{s.Frame, s.File, s.FileFrame, s.Time, s.Seq})
	}
	return w
}

// TestMergeInterleaved splits a capture frame by frame into three files
// (frame i into file i%3): merged, its frames come in the order of their
// times, on a tie in the order of the files (a stable sort by time and file),
// and each frame says its file and its number there.
func TestMergeInterleaved(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testdata, "reassembly.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	whole := NewReader(filepath.Join(testdata, "reassembly.pcap"))
	want, errs := readAll(t, whole)
	whole.Close()
	if len(errs) != 0 || len(want) < 20 {
		t.Fatalf("reading the whole capture: %d segments, errors %v", len(want), errs)
	}
	names := splitPcap(t, data, t.TempDir(), func(i int) int { return i % 3 })
	r := NewReader(names...)
	got, errs := readAll(t, r)
	r.Close()
	if len(errs) != 0 {
		t.Fatalf("errors %v", errs)
	}
	for i := range want {
		want[i].File, want[i].FileFrame = int(want[i].Frame-1)%3, (want[i].Frame-1)/3+1
	}
	slices.SortStableFunc(want, func(a, b Segment) int { return cmp.Or(cmp.Compare(a.Time, b.Time), cmp.Compare(a.File, b.File)) })
	for i := range want {
		want[i].Frame = uint64(i + 1) // every frame of reassembly.pcap is TCP
	}
	if d := diffWheres(wheres(want), wheres(got)); d != "" {
		t.Errorf("merged frames differ (-want +got):\n%s", d)
	}
	if r.Stats.Frames != whole.Stats.Frames || r.Stats.FirstTime != whole.Stats.FirstTime || r.Stats.LastTime != whole.Stats.LastTime {
		t.Errorf("stats %+v, want %+v", r.Stats, whole.Stats)
	}
	for k, in := range r.Inputs {
		if in.Name != names[k] {
			t.Errorf("input %d is %s, want %s", k, in.Name, names[k])
		}
	}
}

func diffWheres(want, got []where) string {
	if slices.Equal(want, got) {
		return ""
	}
	var b bytes.Buffer
	for i := 0; i < max(len(want), len(got)); i++ {
		var w, g *where
		if i < len(want) {
			w = &want[i]
		}
		if i < len(got) {
			g = &got[i]
		}
		if w != nil && g != nil && *w == *g {
			continue
		}
		if w != nil {
			b.WriteString("-" + whereString(*w) + "\n")
		}
		if g != nil {
			b.WriteString("+" + whereString(*g) + "\n")
		}
	}
	return b.String()
}

func whereString(w where) string {
	return "frame " + itoa(w.Frame) + " file " + itoa(uint64(w.File)) + " #" + itoa(w.FileFrame) + " t " + itoa(uint64(w.Time)) + " seq " + itoa(uint64(w.Seq))
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// TestMergeLikeMergecap merges three captures whose times overlap
// (reassembly.pcap, and lossy.pcap and textbook.pcap shifted by a few
// microseconds and some nanoseconds, so that no two files have a frame at the
// same time: mergecap takes the later file first on a tie, tcpflow the
// earlier) and compares the order with that of the file mergecap writes.
func TestMergeLikeMergecap(t *testing.T) {
	if _, err := exec.LookPath("mergecap"); err != nil {
		t.Skip("mergecap not installed (it comes with tshark)")
	}
	dir := t.TempDir()
	a := filepath.Join(testdata, "reassembly.pcap")
	b, c := filepath.Join(dir, "lossy.pcap"), filepath.Join(dir, "textbook.pcap")
	for _, sh := range []struct{ in, out, by string }{{"lossy.pcap", b, "0.0000037"}, {"textbook.pcap", c, "0.0000073"}} {
		cmd := exec.Command("editcap", "-F", "nsecpcap", "-t", sh.by, filepath.Join(testdata, sh.in), sh.out)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("editcap: %v\n%s", err, out)
		}
	}
	merged := filepath.Join(dir, "merged.pcap")
	if out, err := exec.Command("mergecap", "-F", "nsecpcap", "-w", merged, a, b, c).CombinedOutput(); err != nil {
		t.Fatalf("mergecap: %v\n%s", err, out)
	}
	ref := NewReader(merged)
	want, errs := readAll(t, ref)
	ref.Close()
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	r := NewReader(a, b, c)
	got, errs := readAll(t, r)
	r.Close()
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	strip := func(w []where) []where {
		for i := range w {
			w[i].File, w[i].FileFrame = 0, 0
		}
		return w
	}
	if d := diffWheres(strip(wheres(want)), strip(wheres(got))); d != "" {
		t.Errorf("merged order differs from mergecap's (-mergecap +ours):\n%s", d)
	}
	if len(got) < 80 {
		t.Errorf("only %d segments", len(got))
	}
}

// TestMergeFaults checks that a faulty input in a merge is named with its own
// frame number and offset, after its last good frame, and that the others go
// on to their end.
func TestMergeFaults(t *testing.T) {
	dir := t.TempDir()
	full := craftPcap(t, 4)
	recLen := (len(full) - 24) / 4
	good := filepath.Join(dir, "good.pcap")
	cut := filepath.Join(dir, "cut.pcap")
	junk := filepath.Join(dir, "junk.pcap")
	os.WriteFile(good, full, 0o644)
	os.WriteFile(cut, full[:24+2*recLen+5], 0o644) // two frames and 5 bytes of a third
	os.WriteFile(junk, []byte("not a capture"), 0o644)
	r := NewReader(good, cut, junk, filepath.Join(dir, "missing.pcap"))
	defer r.Close()
	var seg Segment
	var trace []string
	for {
		err := r.Next(&seg)
		if err == io.EOF {
			break
		}
		if err != nil {
			var re *ReadError
			if !errors.As(err, &re) {
				t.Fatalf("error %v is no ReadError", err)
			}
			trace = append(trace, "error "+filepath.Base(re.File)+" frame "+itoa(re.Frame)+" offset "+itoa(uint64(re.Offset)))
			continue
		}
		trace = append(trace, "frame "+itoa(seg.Frame)+" "+filepath.Base(r.Inputs[seg.File].Name)+" #"+itoa(seg.FileFrame))
	}
	want := []string{
		"error junk.pcap frame 0 offset 0",
		"error missing.pcap frame 0 offset 0",
		"frame 1 good.pcap #1", "frame 2 cut.pcap #1",
		"frame 3 good.pcap #2", "frame 4 cut.pcap #2",
		"error cut.pcap frame 3 offset " + itoa(uint64(24+2*recLen)),
		"frame 5 good.pcap #3", "frame 6 good.pcap #4",
	}
	if !slices.Equal(trace, want) {
		t.Errorf("got\n%q\nwant\n%q", trace, want)
	}
	if r.Inputs[1].Frames != 2 || r.Inputs[1].Err == nil || r.Inputs[0].Frames != 4 {
		t.Errorf("inputs %+v", r.Inputs)
	}
}

// TestMergeMemory checks that merging many inputs keeps one small buffer per
// input: 200 inputs of 2 frames each need less than 64 MB of heap.
func TestMergeMemory(t *testing.T) {
	dir := t.TempDir()
	full := craftPcap(t, 2)
	var names []string
	for i := range 200 {
		name := filepath.Join(dir, "f"+itoa(uint64(i))+".pcap")
		os.WriteFile(name, full, 0o644)
		names = append(names, name)
	}
	r := NewReader(names...)
	defer r.Close()
	segs, errs := readAll(t, r)
	if len(segs) != 400 || len(errs) != 0 {
		t.Fatalf("%d segments, errors %v", len(segs), errs)
	}
	if size := max(bufSize/len(names), minMergeBuf); size != minMergeBuf {
		t.Errorf("buffer per input %d, want %d", size, minMergeBuf)
	}
}

// TestExpandDirs lists a directory of rotated files in tcpdump's order.
func TestExpandDirs(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"cap.pcap10", "cap.pcap", "cap.pcap2", "cap.pcap1", ".hidden", "cap.pcap02"} {
		os.WriteFile(filepath.Join(dir, n), nil, 0o644)
	}
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	got, err := ExpandDirs([]string{"-", dir, "x.pcap"})
	if err != nil {
		t.Fatal(err)
	}
	var base []string
	for _, g := range got[1 : len(got)-1] {
		base = append(base, filepath.Base(g))
	}
	want := []string{"cap.pcap", "cap.pcap1", "cap.pcap02", "cap.pcap2", "cap.pcap10"}
	if got[0] != "-" || got[len(got)-1] != "x.pcap" || !slices.Equal(base, want) {
		t.Errorf("got %q, want - %q x.pcap", got, want)
	}
	empty := t.TempDir()
	if _, err := ExpandDirs([]string{empty}); err == nil {
		t.Error("an empty directory was accepted")
	}
}

// TestNaturalCompare checks the order of names with numbers.
func TestNaturalCompare(t *testing.T) {
	sorted := []string{"", "a", "a0", "a01", "a1", "a2", "a9", "a10", "a10b", "a100", "b", "trace-2024-01-02_03.pcap", "trace-2024-01-02_14.pcap"}
	for i := range sorted {
		for j := range sorted {
			if got, want := NaturalCompare(sorted[i], sorted[j]), cmp.Compare(i, j); got != want {
				t.Errorf("NaturalCompare(%q, %q) = %d, want %d", sorted[i], sorted[j], got, want)
			}
		}
	}
}

// BenchmarkMerge reads the "many" benchmark capture split into four files
// that interleave frame by frame, merged: the cost of the heap over plain
// reading (BenchmarkReader/many), and no allocation per packet.
func BenchmarkMerge(b *testing.B) {
	data, err := gen.Bytes(gen.BenchOptions[gen.Many])
	if err != nil {
		b.Fatal(err)
	}
	names := splitPcap(b, data, b.TempDir(), func(i int) int { return i % 4 })
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var frames uint64
	m0 := mallocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := NewReader(names...)
		var seg Segment
		for r.Next(&seg) == nil {
		}
		r.Close()
		frames = r.Stats.Frames
	}
	perPacket(b, frames, m0)
}
