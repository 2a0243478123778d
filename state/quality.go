package state

import "github.com/tcpflow/tcpflow/flow"

// Capture quality: what a whole capture says of how it was taken, summed
// over its connections. A frame captured twice, a capture filter that kept
// only data packets, a capture point that saw one direction only: each
// makes connections look lossy when the network lost nothing, so a report
// says them once, in its header, beside the connections.

// Quality counts the capture-quality facts of the connections added to it.
type Quality struct {
	// Conns is how many connections were added.
	Conns int
	// DupFrames counts the frames captured twice (DuplicateFrame), both
	// directions of every connection.
	DupFrames int64
	// OneSided counts the connections seen in one direction only, the
	// other having sent (OneSided).
	OneSided int
	// DataOnly counts the connections that look filtered to data packets
	// (DataOnly); DataOnlyGaps of them have bytes not captured.
	DataOnly, DataOnlyGaps int
}

// Add counts connection c.
func (q *Quality) Add(c *Connection) {
	q.Conns++
	a := c.Data
	for d := flow.C2S; d <= flow.S2C; d++ {
		q.DupFrames += int64(a.Artifacts[d].N[DuplicateFrame.Index()])
	}
	if OneSided(c) {
		q.OneSided++
	}
	if DataOnly(c) {
		q.DataOnly++
		if a.Dir[flow.C2S].GapBytes()+a.Dir[flow.S2C].GapBytes() > 0 {
			q.DataOnlyGaps++
		}
	}
}

// Any reports whether the capture has anything to say of its quality.
func (q *Quality) Any() bool { return q.DupFrames > 0 || q.OneSided > 0 || q.DataOnly > 0 }

// dataOnlyMin is the fewest segments a connection must have to look
// filtered to data packets: a short exchange (a request and its answer, the
// ACKs riding on the data) has no segment without payload either.
const dataOnlyMin = 4

// DataOnly reports whether the capture of connection c looks filtered to
// data packets: at least dataOnlyMin segments, every one with payload, most
// of them with bytes not captured before, and no SYN. A connection carries pure ACKs (a receiver acknowledges every
// second full segment at least, RFC 9293 3.8.6.3 and RFC 1122 4.2.3.2) and
// opens with SYNs; a capture filter such as "tcp[tcpflags] & tcp-push != 0"
// or "greater 100" leaves them out, and with them the data segments it does
// not match, whose bytes are then "not captured" without any loss. A sender
// repeating one segment to a silent peer (all payload, no SYN in the
// capture) is no filter: more than half of a direction's segments being
// retransmissions (OutSeq: frames captured twice are not) rules it out.
func DataOnly(c *Connection) bool {
	a := c.Data
	if a.EP[flow.Client].SYNSeen || a.EP[flow.Server].SYNSeen {
		return false
	}
	if c.Packets[flow.C2S]+c.Packets[flow.S2C] < dataOnlyMin {
		return false
	}
	for d := flow.C2S; d <= flow.S2C; d++ {
		if s := &a.Dir[d]; int64(c.Packets[d]) != s.DataSegs || 2*int64(s.Out.Retransmissions) > s.DataSegs {
			return false
		}
	}
	return true
}

// OneSided reports whether connection c was seen in one direction only
// while the other direction had sent: the side seen sent more than SYNs (a
// SYN without an answer is a connection attempt, not a capture fact). A
// capture point on an asymmetric route, or a capture of one direction
// (tcpdump -Q in), sees only one side of every connection.
func OneSided(c *Connection) bool {
	for d := flow.C2S; d <= flow.S2C; d++ {
		if c.Packets[d] == 0 && c.Packets[d.Reverse()] > 0 {
			seen := d.Reverse()
			syns := 0
			if seen == flow.C2S {
				syns = c.Data.SYNs
			}
			return int(c.Packets[seen]) > syns && c.Data.EndedBy != Refused
		}
	}
	return false
}

// Blind reports whether the capture of c lacks one direction, or the pure
// ACKs (OneSided, DataOnly): what was outstanding during a pause,
// and what the peer's window allowed, cannot be told. Only the stalls that the
// side seen shows by itself stay (its retransmission timeouts, a zero window
// it advertised), and no rate-limiting factor is named.
func Blind(c *Connection) bool { return OneSided(c) || DataOnly(c) }

// blindCauses are the stall causes a blind capture still shows.
var blindCauses = [NumStallCauses]bool{StallRTOClient: true, StallRTOServer: true,
	StallZeroWindowClient: true, StallZeroWindowServer: true}

// ToldStalls are c's stalls as the reports tell them: all of them, or on a
// blind capture those of blindCauses (a copy); nil without any.
func ToldStalls(c *Connection) *Stalls {
	s := c.Data.Stalls
	if s == nil || !Blind(c) {
		return s
	}
	t := &Stalls{}
	for k := range s.Total {
		if blindCauses[k] {
			t.Total[k], t.Count[k] = s.Total[k], s.Count[k]
		}
	}
	for _, st := range s.Kept() {
		if blindCauses[st.Cause] {
			t.Longest[t.NLongest] = st
			t.NLongest++
		}
	}
	if t.All() == 0 {
		return nil
	}
	return t
}

// ToldLimit is direction d's rate-limiting factor as the reports tell it:
// unknown on a blind capture.
func ToldLimit(c *Connection, d flow.Dir) Limit {
	if Blind(c) {
		return LimitUnknown
	}
	return c.Data.LimitedBy(d)
}
