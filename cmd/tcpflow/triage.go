package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/tcpflow/tcpflow/report"
)

// triageFlags are --problems, --sort and --top: which connections the text
// report (table, --summary, timelines, --explain) and JSON show, and in
// which order; ids are kept.
type triageFlags struct {
	problems bool
	sort     string
	top      int
	win      windowFlags // --since, --until (window.go)
}

func (t *triageFlags) register(fs *pflag.FlagSet) {
	names := make([]string, len(report.SortFields))
	for i, f := range report.SortFields {
		names[i] = string(f)
	}
	fs.BoolVar(&t.problems, "problems", false, "show only the connections whose verdict is not clean (a reset after a completed close, a connection still open, a handshake the capture cut, and what the capture did (copies, one direction, a data-only filter) are not problems); ids are kept; JSONL and Parquet need --summary")
	fs.StringVar(&t.sort, "sort", "", "show the connections ordered by `FIELD`, the largest first: "+strings.Join(names, ", "))
	fs.IntVar(&t.top, "top", 0, "show at most `N` connections (the first N of --sort's order, or by id; Parquet's --sort needs it)")
	t.win.register(fs)
}

// triage checks the flags and returns the report's triage.
func (t *triageFlags) triage(f *flags) (report.Triage, error) {
	tr := report.Triage{Problems: t.problems, Top: t.top}
	if t.sort != "" {
		var err error
		if tr.Sort, err = report.ParseSortField(t.sort); err != nil {
			return tr, err
		}
	}
	if err := t.win.window(&tr); err != nil {
		return tr, err
	}
	switch {
	case t.top < 0:
		return tr, fmt.Errorf("--top %d: want a number of connections", t.top)
	case !tr.Active():
		return tr, nil
	case f.format != "text" && f.format != "json" && f.format != "jsonl" && f.format != "parquet":
		return tr, errors.New("--problems, --sort, --top, --since and --until are for the text, JSON, JSONL and Parquet reports")
	case (f.format == "jsonl" || f.format == "parquet") && !f.summary:
		// Segment lines and rows are written as the segments come, before
		// their connection's verdict is known.
		return tr, fmt.Errorf("--problems, --sort, --top, --since and --until with --format %s need --summary: segments are written before their connection is judged", f.format)
	case f.format == "parquet" && tr.Sort != "" && tr.Top == 0:
		return tr, errors.New("--sort with --format parquet needs --top: a table has no order (ORDER BY in the query)")
	case f.follow >= 0:
		return tr, errors.New("--problems, --sort, --top, --since and --until do not go with --follow")
	case f.live.iface != "":
		return tr, errors.New("--problems, --sort, --top, --since and --until do not go with -i: a live report writes each connection as it finishes")
	}
	return tr, nil
}
