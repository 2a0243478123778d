package state

import (
	"errors"
	"io"

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
		var lr flow.Result[*Conn]
		if seg.Quoted {
			lr = table.LookupQuoted(&seg)
		} else {
			lr = table.Lookup(&seg)
		}
		c := lr.Conn
		if c.Data == nil {
			c.Data = NewConn(opts)
			if sel == nil || sel(c) {
				kept = append(kept, c)
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
	}
	for _, c := range kept {
		c.Data.finish()
	}
	res.Inputs, res.Stats, res.Conns = r.Inputs, r.Stats, kept
	return res
}
