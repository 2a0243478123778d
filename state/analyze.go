package state

import (
	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
)

// analyzer holds the per-direction sequence tracking behind the findings.
type analyzer struct {
	dir [2]dirTrack
}

// dirTrack is what is known of the data one side has sent.
type dirTrack struct {
	nextSeq    Seq // one past the highest sequence number sent
	nextSeqSet bool
	maxWin     int64 // largest scaled window advertised by this side
}

func (a *analyzer) init() {}

func (a *analyzer) analyze(c *Conn, seg *capture.Segment, d flow.Dir, rec *Record) {
	t := &a.dir[d]
	end := Seq(seg.Seq).Add(seg.PayloadLen)
	if seg.Flags&(capture.SYN|capture.FIN) != 0 {
		end = end.Add(1)
	}
	if !t.nextSeqSet || t.nextSeq.LessThan(end) {
		t.nextSeq, t.nextSeqSet = end, true
	}
	if w := rec.WinScaled; w > t.maxWin {
		t.maxWin = w
	} else if w < 0 && int64(seg.Window) > t.maxWin {
		t.maxWin = int64(seg.Window)
	}
}

// rstInWindow reports whether a RST sent in direction d is plausibly inside the
// receiver's window (see Conn.acceptRST).
func (a *analyzer) rstInWindow(seg *capture.Segment, d flow.Dir) bool {
	t, peer := &a.dir[d], &a.dir[d^1]
	if !t.nextSeqSet || peer.maxWin == 0 {
		return true
	}
	off := Seq(seg.Seq).Diff(t.nextSeq)
	return off >= -peer.maxWin-1 && off <= peer.maxWin
}
