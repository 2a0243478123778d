package report

import (
	"fmt"

	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
)

// Severity scores how badly a connection went, to pick the ones a report
// shows in detail: resets and unanswered or refused SYNs, retransmissions,
// segments the capture missed, reordering, duplicate ACKs, zero windows and
// the time spent in them, and bytes never seen. 0 is a clean connection; the
// weights only order connections, they measure nothing.
func Severity(c *state.Connection) int64 {
	a := c.Data
	var s int64
	cl, sv := &a.EP[flow.Client], &a.EP[flow.Server]
	switch {
	case a.EndedBy == state.Rst && a.ResetAfterClose:
		s += 1 // it aborted nothing
	case a.EndedBy == state.Rst:
		s += 50
	case cl.SYNSeen && !sv.SYNSeen && !c.MidStream && c.Packets[flow.S2C] == 0:
		s += 40 // no answer to the SYN
	case a.EndedBy == state.Refused:
		s += 30
	case a.EndedBy == state.Open && !cl.State.Synchronized():
		s += 10 // handshake not completed
	}
	for d := flow.C2S; d <= flow.S2C; d++ {
		s += 20*count(a, d, state.Retransmission) + 20*count(a, d, state.LostSegment) +
			10*count(a, d, state.AckLostSegment) + 10*count(a, d, state.OutOfOrder) +
			2*count(a, d, state.DuplicateAck) + 20*count(a, d, state.ZeroWindow) +
			3*count(a, d, state.WindowFull)
		s += a.Dir[d].ZeroWindow / 10e6 // 1 per 10 ms
		s += a.Dir[d].GapBytes() / 100
	}
	return s
}

// PictureFileName is the file a picture of connection id (part part) is
// written to with --svg: "00000012-tsg-s2c.svg", or "00000012.2-ladder.svg"
// for the second part of connection 12.
func PictureFileName(id, part int, name string) string {
	if part > 0 {
		return fmt.Sprintf("%08d.%d-%s.svg", id, part+1, name)
	}
	return fmt.Sprintf("%08d-%s.svg", id, name)
}
