package state

import (
	"errors"
	"io"
	"slices"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
)

// Connection is a flow connection together with its analysis.
type Connection = flow.Conn[*Conn]

// Result is the analysis of a whole capture.
type Result struct {
	Inputs []capture.Input
	Stats  capture.Stats
	// Conns are the connections in id order (only those Select accepted).
	Conns  []*Connection
	Errors []error // *capture.ReadError for each faulty input, in input order
}

// Select decides which connections a run keeps; nil keeps all. It sees the
// connection when its first segment is processed.
type Select func(c *Connection) bool

// Run reads every segment of r, tracks every connection and returns the result.
// The result is complete even when inputs are faulty: the faults are listed in
// Errors and every frame before them is analyzed.
func Run(r *capture.Reader, opts Options, sel Select) *Result {
	res := &Result{}
	table := flow.NewTable[*Conn]()
	var seg capture.Segment
	var kept []*Connection
	linger := opts.Linger
	if linger <= 0 {
		linger = DefaultLinger
	}
	var lastSweep int64
	var closing []*Connection // closed connections waiting out the linger time
	var pending []*Connection // connections with stream data waiting behind a gap
	done := func(c *Connection) {
		if c.Data == nil || c.Data.finished {
			return
		}
		c.Data.finished = true
		if c.Data.selected {
			c.Data.finish()
			opts.Done(c)
		}
	}
	for {
		err := r.Next(&seg)
		if err == io.EOF {
			break
		}
		if err != nil {
			var re *capture.ReadError
			if errors.As(err, &re) {
				res.Errors = append(res.Errors, re)
				continue
			}
			res.Errors = append(res.Errors, err)
			break
		}
		if seg.Time-lastSweep >= 1e9 {
			// Once a second of capture time, deliver stream data that waited
			// too long behind a gap, and finish the connections that closed
			// more than linger ago.
			lastSweep = seg.Time
			pending = flushIdle(pending, seg.Time)
			if opts.Done != nil {
				closing = sweep(table, closing, seg.Time-linger, done)
			}
		}
		var lr flow.Result[*Conn]
		if seg.Quoted {
			lr = table.LookupQuoted(&seg)
		} else {
			lr = table.Lookup(&seg)
		}
		if lr.Previous != nil && opts.Done != nil {
			done(lr.Previous)
		}
		c := lr.Conn
		if c.Data == nil {
			c.Data = NewConn(opts)
			if sel == nil || sel(c) {
				c.Data.selected = true
				if opts.Reassemble != nil {
					c.Data.Streams = flow.NewStreams(c.ID, opts.Reassemble.Sink, opts.Reassemble.Options)
				}
				if opts.Done == nil {
					kept = append(kept, c)
				}
			} else {
				c.Data.opts.KeepRecords = false
			}
		}
		if seg.Quoted {
			c.Data.ICMP = append(c.Data.ICMP, ICMPError{Frame: seg.Frame, Time: seg.Time, Dir: lr.Dir,
				V6: seg.ICMPv6, Type: seg.ICMPType, Code: seg.ICMPCode, Seq: seg.Seq})
			continue
		}
		c.Data.Process(&seg, lr.Dir, lr.New, lr.Reused)
		if st := c.Data.Streams; st != nil {
			st.Feed(&seg, lr.Dir)
			if !c.Data.pending && st.Pending() {
				c.Data.pending = true
				pending = append(pending, c)
			}
		}
		if opts.Done != nil && !c.Data.closing && c.Closed() {
			c.Data.closing = true
			closing = append(closing, c)
		}
	}
	if opts.Done != nil {
		table.Each(func(c *Connection) {
			table.Remove(c)
			done(c)
		})
	}
	for _, c := range kept {
		c.Data.finish()
	}
	res.Inputs, res.Stats, res.Conns = r.Inputs, r.Stats, kept
	return res
}

// flushIdle delivers the stream data that waited behind a gap for longer than
// the idle time, and returns the connections still waiting.
func flushIdle(pending []*Connection, now int64) []*Connection {
	waiting := pending[:0]
	for _, c := range pending {
		st := c.Data.Streams
		st.FlushIdle(now)
		if !c.Data.finished && st.Pending() {
			waiting = append(waiting, c)
		} else {
			c.Data.pending = false
		}
	}
	return waiting
}

// sweep finishes, in id order, the closed connections whose last segment is
// before cutoff, and returns those still lingering.
func sweep(table *flow.Table[*Conn], closing []*Connection, cutoff int64, done func(*Connection)) []*Connection {
	var finished []*Connection
	waiting := closing[:0]
	for _, c := range closing {
		switch {
		case c.Data.finished:
		case c.LastTime < cutoff:
			finished = append(finished, c)
		default:
			waiting = append(waiting, c)
		}
	}
	slices.SortFunc(finished, func(a, b *Connection) int { return a.ID - b.ID })
	for _, c := range finished {
		table.Remove(c)
		done(c)
	}
	return waiting
}
