package pipeline

import (
	"slices"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/state"
)

// Collect is a Sink that keeps every finished connection in memory, records
// included, in id order: the whole result of a run, for tests, for the
// differential harness and for small captures. Memory grows with the capture.
type Collect struct {
	// Records keeps the segment records of each connection.
	Records bool
	Conns   []*Connection
	Summary *Summary
}

// NeedsRecords implements RecordSink.
func (k *Collect) NeedsRecords() bool { return k.Records }

// Finished implements Sink: it keeps c, with its records loaded in memory.
func (k *Collect) Finished(c *Connection) error {
	if k.Records {
		recs := c.Data.Records.Slice()
		err := c.Data.Records.Err()
		c.Data.Records.Release() // the run's store reuses its blocks
		c.Data.Records = state.Records{}
		c.Data.Records.Keep(nil)
		for i := range recs {
			c.Data.Records.Append(&recs[i])
		}
		if err != nil {
			return err
		}
	}
	k.Conns = append(k.Conns, c)
	return nil
}

// End implements Sink: it sorts the connections by id and part.
func (k *Collect) End(s *Summary) error {
	slices.SortStableFunc(k.Conns, func(a, b *Connection) int {
		if a.ID != b.ID {
			return a.ID - b.ID
		}
		return a.Part - b.Part
	})
	k.Summary = s
	return nil
}

// RunAll runs the whole of r into memory: every connection, with its records
// when records is set, and reassembled when reassemble is set.
func RunAll(r *capture.Reader, opts Options, records bool) (*Summary, []*Connection, error) {
	k := &Collect{Records: records}
	sum, err := Run(r, opts, k)
	return sum, k.Conns, err
}
