package sink

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
)

// Facts gathers the facts of a golden report (tcpflow check): each
// connection's facts as it finishes, numbered at the end by order of first
// frame among connections of the same name. It keeps the facts, a few
// hundred bytes per connection, in memory: golden reports are for the
// captures of a test suite.
type Facts struct {
	ignore map[string]bool
	conns  []connFacts
	// Facts is the golden report's facts, set by End.
	Facts []report.Fact
}

type connFacts struct {
	id, part int
	name     string
	facts    []report.Fact
}

// NewFacts gathers facts, leaving out the categories in ignore.
func NewFacts(ignore map[string]bool) *Facts { return &Facts{ignore: ignore} }

// Finished implements pipeline.Sink.
func (f *Facts) Finished(c *pipeline.Connection) error {
	f.conns = append(f.conns, connFacts{c.ID, c.Part, report.ConnName(c, f.ignore), report.ConnFactList(c, "", f.ignore)})
	return nil
}

// End implements pipeline.Sink: it names the connections and lists every
// fact.
func (f *Facts) End(sum *pipeline.Summary) error {
	slices.SortFunc(f.conns, func(a, b connFacts) int { return cmp.Or(cmp.Compare(a.id, b.id), cmp.Compare(a.part, b.part)) })
	f.Facts = report.CaptureFacts(sum, f.ignore)
	seen := map[string]int{}
	for _, c := range f.conns {
		if c.part == 0 {
			seen[c.name]++
		}
		subject := "conn " + c.name + " #" + strconv.Itoa(seen[c.name])
		if c.part > 0 {
			subject += " part " + strconv.Itoa(c.part+1)
		}
		for _, fact := range c.facts {
			fact.Subject = subject
			f.Facts = append(f.Facts, fact)
		}
	}
	return nil
}
