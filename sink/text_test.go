package sink_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
	"github.com/tcpflow/tcpflow/sink"
)

// flushEach flushes a live Text after each connection, as the ticks of a
// live capture do, and records what the writer held then.
type flushEach struct {
	*sink.Text
	w     *bytes.Buffer
	after []string
}

func (f *flushEach) Finished(c *pipeline.Connection) error {
	if err := f.Text.Finished(c); err != nil {
		return err
	}
	if err := f.Flush(); err != nil {
		return err
	}
	f.after = append(f.after, f.w.String())
	return nil
}

// TestLiveText: a live text report writes each connection's section when it
// finishes, and at the end the header, the table and the expert summary:
// the same pieces as the report of a file, the sections first.
func TestLiveText(t *testing.T) {
	for _, name := range []string{"port-reuse", "refused", "textbook"} {
		path := "../testdata/pcaps/" + name + ".pcap"
		var file bytes.Buffer
		r := capture.NewReader(path)
		if _, err := pipeline.Run(r, pipeline.Options{Reassemble: true}, sink.NewText(&file, &r.Stats, report.Options{}, sink.Timelines, "")); err != nil {
			t.Fatal(err)
		}
		var live bytes.Buffer
		r = capture.NewReader(path)
		fe := &flushEach{Text: sink.NewLiveText(&live, &r.Stats, report.Options{}, sink.Timelines, ""), w: &live}
		if _, err := pipeline.Run(r, pipeline.Options{Reassemble: true}, fe); err != nil {
			t.Fatal(err)
		}
		// The file's report: header, table, summary, then "\n" + each
		// section; the live one: each section + "\n", then the rest.
		head, sections, ok := strings.Cut(file.String(), "\n== connection 0:")
		if !ok {
			t.Fatalf("%s: no section in\n%s", name, file.String())
		}
		sections = "== connection 0:" + sections + "\n"
		if want := sections + head; live.String() != want {
			t.Errorf("%s: live report\n%s\nwant\n%s", name, live.String(), want)
		}
		for i, got := range fe.after {
			if !strings.HasPrefix(got, "== connection ") || strings.Count(got, "\n== connection ") != i {
				t.Errorf("%s: after connection %d finished, the output is:\n%s", name, i, got)
			}
		}
	}
}
