package main

import (
	"github.com/spf13/pflag"

	"github.com/tcpflow/tcpflow/report"
)

// windowFlags are --since and --until: only the connections active in the
// time window are shown, with the ids they have in the whole capture.
type windowFlags struct {
	since, until string
}

func (w *windowFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&w.since, "since", "", "show only the connections active at or after `TIME`: RFC 3339 (2024-01-02T03:04:05Z) or a duration after the first frame (30s, +1m30s); ids are kept")
	fs.StringVar(&w.until, "until", "", "show only the connections active at or before `TIME` (as --since)")
}

// window sets the triage's time window from the flags.
func (w *windowFlags) window(tr *report.Triage) error {
	var err error
	if w.since != "" {
		if tr.Since, err = report.ParseBound("--since", w.since); err != nil {
			return err
		}
	}
	if w.until != "" {
		if tr.Until, err = report.ParseBound("--until", w.until); err != nil {
			return err
		}
	}
	return report.CheckWindow(tr.Since, tr.Until)
}
