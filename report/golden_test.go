package report_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
	"github.com/tcpflow/tcpflow/sink"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenModes are the reports kept as golden files, by file name suffix.
var goldenModes = []struct {
	mode string
	sink func(w *bytes.Buffer, r *capture.Reader) pipeline.Sink
}{
	{"text", func(w *bytes.Buffer, r *capture.Reader) pipeline.Sink {
		return sink.NewText(w, &r.Stats, report.Options{Width: report.DefaultWidth}, sink.Timelines, "")
	}},
	{"summary", func(w *bytes.Buffer, r *capture.Reader) pipeline.Sink {
		return sink.NewText(w, &r.Stats, report.Options{Summary: true, Width: report.DefaultWidth}, sink.Summary, "")
	}},
	{"wide", func(w *bytes.Buffer, r *capture.Reader) pipeline.Sink { // --summary --wide
		return sink.NewText(w, &r.Stats, report.Options{Summary: true}, sink.Summary, "")
	}},
	{"explain", func(w *bytes.Buffer, r *capture.Reader) pipeline.Sink {
		return sink.NewText(w, &r.Stats, report.Options{}, sink.Explained, "")
	}},
	{"json", func(w *bytes.Buffer, r *capture.Reader) pipeline.Sink {
		return sink.NewJSON(w, &r.Stats, report.Options{}, "")
	}},
}

// analyze runs the pipeline on one capture, reassembling, with every golden
// mode's sink, and returns each mode's report. Inputs are renamed to their
// base names so golden files do not depend on where the capture lives.
func analyze(t *testing.T, path string, opts pipeline.Options) map[string][]byte {
	t.Helper()
	r := capture.NewReader(path)
	defer r.Close()
	out := map[string]*bytes.Buffer{}
	var sinks []pipeline.Sink
	for _, m := range goldenModes {
		out[m.mode] = new(bytes.Buffer)
		sinks = append(sinks, m.sink(out[m.mode], r))
	}
	opts.Reassemble = true
	if _, err := pipeline.Run(r, opts, baseNames{sinks}); err != nil {
		t.Fatal(err)
	}
	got := map[string][]byte{}
	for k, b := range out {
		got[k] = b.Bytes()
	}
	return got
}

// baseNames hands everything to its sinks, with the inputs' names cut to
// their base names.
type baseNames struct{ sinks []pipeline.Sink }

func (b baseNames) NeedsRecords() bool { return true }

func (b baseNames) Finished(c *pipeline.Connection) error {
	for _, s := range b.sinks {
		if err := s.Finished(c); err != nil {
			return err
		}
	}
	return nil
}

func (b baseNames) End(sum *pipeline.Summary) error {
	for i := range sum.Inputs {
		sum.Inputs[i].Name = filepath.Base(sum.Inputs[i].Name)
		var re *capture.ReadError
		if errors.As(sum.Inputs[i].Err, &re) {
			re.File = filepath.Base(re.File)
		}
	}
	for _, s := range b.sinks {
		if err := s.End(sum); err != nil {
			return err
		}
	}
	return nil
}

// checkGolden compares got with testdata/name, or rewrites it under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (-want +got):\n%s", name, report.LineDiff(string(want), string(got)))
	}
}

// TestGolden checks the text, summary, explain and JSON reports of every
// capture in testdata/pcaps and of the corpus captures above.
func TestGolden(t *testing.T) {
	for _, c := range report.GoldenCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			got := analyze(t, c.Path, pipeline.Options{})
			for _, m := range goldenModes {
				checkGolden(t, c.Name+"."+m.mode+".golden", got[m.mode])
			}
		})
	}
}

// TestBoundsDoNotChangeReports checks that the reports are the same bytes
// when the run keeps almost nothing in memory: records spilled after a few
// bytes, spools on disk at once.
func TestBoundsDoNotChangeReports(t *testing.T) {
	old := sink.SpoolMemory
	sink.SpoolMemory = 0
	defer func() { sink.SpoolMemory = old }()
	for _, c := range report.GoldenCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			want := analyze(t, c.Path, pipeline.Options{})
			got := analyze(t, c.Path, pipeline.Options{RecordMemory: 1})
			for _, m := range goldenModes {
				if !bytes.Equal(got[m.mode], want[m.mode]) {
					t.Errorf("%s with everything spooled differs (-want +got):\n%s", m.mode, report.LineDiff(string(want[m.mode]), string(got[m.mode])))
				}
			}
		})
	}
}

// TestDeterministic runs one capture twice and requires identical bytes.
func TestDeterministic(t *testing.T) {
	cases := report.GoldenCases(t)
	if len(cases) == 0 {
		t.Skip("no captures")
	}
	a := analyze(t, cases[len(cases)-1].Path, pipeline.Options{})
	b := analyze(t, cases[len(cases)-1].Path, pipeline.Options{})
	for _, m := range goldenModes {
		if !bytes.Equal(a[m.mode], b[m.mode]) {
			t.Errorf("%s: two runs on the same capture differ", m.mode)
		}
	}
}
