package sink

import "github.com/tcpflow/tcpflow/report"

// A JSONL report with --problems or a time window leaves connection lines
// out as they come; with --sort or --top it spools the lines it admits and
// writes them in the triage's order at the end, before the capture line:
// memory holds only their sort keys (40 bytes each), and with --top N no
// more than 2N+pruneSlack of those (ordered).

// triageSpool is the spool of a triage that orders or cuts (--sort,
// --top), nil for one that only filters.
func triageSpool(tr report.Triage) *ordered {
	if tr.Sort == "" && tr.Top == 0 {
		return nil
	}
	return newOrdered("", tr)
}

// writeSorted writes the spooled connection lines in order.
func (j *JSONL) writeSorted() error {
	if j.o == nil {
		return nil
	}
	defer j.o.close()
	j.o.sort()
	for _, e := range j.o.all() {
		_, line := j.o.read(e)
		if _, err := j.w.Write(line); err != nil {
			return err
		}
	}
	return j.o.err
}
