package report

// The states of an explanation: what each transition means for the side that
// made it (and for its program's socket calls), the path of each side, and
// the state diagram with those paths marked.

import (
	"fmt"
	"strings"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
	"github.com/tcpflow/tcpflow/state"
)

// transitionWords says what a transition caused by record r means for the
// side that made it.
func (x *explainer) transitionWords(t state.Transition, r *state.Record) string {
	sent := r.Dir == t.Endpoint // the side sent the segment that changed its state
	switch {
	case t.From == state.CloseWait && t.To == state.Closing:
		return "Its FIN does not acknowledge the peer's FIN, so it was sent before that FIN arrived: the two FINs crossed " +
			"(a simultaneous close), although from the capture point the peer's FIN seemed to have arrived already. " +
			"It waits for the ACK of its own FIN."
	case t.To == state.SynSent && t.From == state.Unknown:
		return "Its SYN was not captured, but the SYN-ACK shows it had sent one: its program had called connect()."
	case t.To == state.SynSent:
		return "It has sent its SYN and waits for the answer; in its program, connect() waits."
	case t.To == state.SynReceived && t.From == state.SynSent:
		return "It has received the peer's SYN while waiting for the answer to its own: it answers with a SYN-ACK."
	case t.To == state.SynReceived && t.From == state.Listen && sent:
		return "Its SYN-ACK shows that it had received the peer's SYN, which was not captured."
	case t.To == state.SynReceived && x.a.SimultaneousOpen:
		return "As far as the capture point can tell, it has received a SYN while listening; its own SYN, which crossed " +
			"this one, shows that it was opening the connection too."
	case t.To == state.SynReceived:
		return "It has received a SYN: its kernel answers with its own SYN and waits for that to be acknowledged. " +
			"Its program, which called listen() and waits in accept(), knows nothing yet."
	case t.To == state.Established && x.a.SimultaneousOpen:
		return "Its SYN is acknowledged: the handshake is complete for it, and connect() returns in its program."
	case t.To == state.Established && t.From == state.SynSent:
		return "Its SYN is acknowledged and it knows the peer's ISN: connect() returns in its program, which can now send. " +
			"It still owes the peer the ACK of the peer's SYN."
	case t.To == state.Established && t.From == state.SynReceived:
		return "Its SYN is acknowledged: the handshake is complete, and accept() can return the connection to its program."
	case t.To == state.Established:
		return "The handshake is complete for it: data can flow both ways."
	case t.To == state.FinWait1:
		return "Its program closed the connection (close(), or shutdown() for writing): it has sent its FIN and waits for " +
			"the acknowledgment. It can still receive."
	case t.To == state.FinWait2:
		return "Its FIN is acknowledged; it waits for the peer's FIN, and can still receive data meanwhile."
	case t.To == state.CloseWait:
		return "The peer will send no more: once its program has read the data before the FIN, read() returns 0 (end of " +
			"file). It stays in CLOSE_WAIT, still able to send, until its program calls close()."
	case t.To == state.Closing:
		return "Both FINs crossed on the wire; it waits for the ACK of its own FIN."
	case t.To == state.LastAck:
		return "Its program closed too, after the peer: it has sent its FIN and waits for the last ACK."
	case t.To == state.TimeWait && t.From == state.FinWait1:
		return "One segment both acknowledges its FIN and carries the peer's FIN: it skips FIN_WAIT_2 and goes straight to " +
			"TIME_WAIT, where it acknowledges that FIN and waits 2 x MSL (see TIME_WAIT at the top)."
	case t.To == state.TimeWait && t.From == state.FinWait2:
		return "The peer's FIN has arrived, and its own FIN was acknowledged before: it acknowledges this FIN and waits " +
			"2 x MSL in TIME_WAIT (see TIME_WAIT at the top)."
	case t.To == state.TimeWait:
		return "Its FIN is acknowledged, and it has acknowledged the peer's: it waits 2 x MSL in TIME_WAIT (see TIME_WAIT at the top)."
	case t.To == state.Closed && t.From == state.SynSent && r.Flags&capture.RST != 0:
		return "The RST refuses its SYN: connect() fails in its program with ECONNREFUSED (\"Connection refused\")."
	case t.To == state.Closed && r.Flags&capture.RST != 0 && sent:
		return "It aborted the connection: it no longer exists for it."
	case t.To == state.Closed && r.Flags&capture.RST != 0:
		return "The connection no longer exists for it: its program's next read() or write() fails with ECONNRESET " +
			"(\"Connection reset by peer\")."
	case t.To == state.Closed && t.From == state.LastAck:
		return "Its FIN is acknowledged: the connection no longer exists for it. It has no TIME_WAIT: that is for the side that closed first."
	case t.To == state.Closed:
		return "The connection no longer exists for it."
	}
	return ""
}

// statePath lists the states of one side with the frame of each change.
func (x *explainer) statePath(r flow.Dir) string {
	var sb strings.Builder
	first := true
	for _, t := range x.transitions {
		if t.Endpoint != r {
			continue
		}
		if first {
			sb.WriteString(x.startState(r))
			first = false
		}
		fmt.Fprintf(&sb, " -> %s (frame %d)", t.To, t.Frame)
	}
	if first {
		sb.WriteString(x.a.EP[r].State.String() + " throughout")
	}
	return sb.String()
}

// startState is a side's state before the first segment.
func (x *explainer) startState(r flow.Dir) string { return startState(x.c, r) }

// startState is side r's state before connection c's first segment (the
// explanation's ladder and the HTML report's draw it).
func startState(c *state.Connection, r flow.Dir) string {
	for _, t := range c.Data.Transitions {
		if t.Endpoint != r || assumedEstablished(t) {
			continue
		}
		if t.From == state.Unknown && c.MidStream {
			return "ESTABLISHED (assumed)"
		}
		return t.From.String()
	}
	if c.MidStream {
		return "ESTABLISHED (assumed)"
	}
	return c.Data.EP[r].State.String()
}

// assumedEstablished reports whether t is the assumption of a mid-stream
// join, which the walk-through says once in words rather than per side.
func assumedEstablished(t state.Transition) bool {
	return t.From == state.Unknown && t.To == state.Established
}

// path is the states side r went through, in order, from the one it was in
// before the first segment; a state not known (UNKNOWN) is left out, and a
// mid-stream start counts as ESTABLISHED.
func (x *explainer) path(r flow.Dir) []state.State {
	var p []state.State
	add := func(s state.State) {
		if s != state.Unknown {
			p = append(p, s)
		}
	}
	first := true
	for _, t := range x.transitions {
		if t.Endpoint != r {
			continue
		}
		if first {
			if t.From == state.Unknown && x.c.MidStream {
				add(state.Established)
			} else {
				add(t.From)
			}
			first = false
		}
		add(t.To)
	}
	if first {
		if x.c.MidStream {
			add(state.Established)
		} else {
			add(x.a.EP[r].State)
		}
	}
	return p
}

// stateDiagram is RFC 9293's figure 5, simplified, with a field {NAME ...}
// where each state is written. CLOSED2 is the CLOSED a connection ends in.
var stateDiagram = []string{
	`                              {CLOSED           }`,
	`                                |             |`,
	`                 listen()  +----+             +--------+  connect(): send SYN`,
	`                           v                           v`,
	`                 {LISTEN           }          {SYN_SENT         }`,
	`    rcv SYN: send SYN,ACK  |                           |  rcv SYN,ACK: send ACK`,
	`                           v                           |`,
	`                 {SYN_RECEIVED     }                   |`,
	`           rcv ACK of SYN  |                           |`,
	`                           +------------+--------------+`,
	`                                        v`,
	`                              {ESTABLISHED      }`,
	`                                |             |`,
	`        close(): send FIN  +----+             +--------+  rcv FIN: send ACK`,
	`                           v                           v`,
	`                 {FIN_WAIT_1       }          {CLOSE_WAIT       }`,
	` rcv ACK of FIN  |     |     |  rcv FIN: send ACK      |  close(): send FIN`,
	`                 v     |     v                         v`,
	` {FIN_WAIT_2       }   |   {CLOSING          }    {LAST_ACK         }`,
	` rcv FIN: send ACK |  (1)    |  rcv ACK of FIN         |  rcv ACK of FIN`,
	`                   v   |     v                         v`,
	`                   +---+-----+                    {CLOSED2          }`,
	`                       v`,
	`             {TIME_WAIT        }  then, 2 x MSL later, CLOSED`,
}

// diagram draws the state diagram with each side's path marked: [STATE]
// for a state a side was in, c1, c2, ... the client's states in order, s1,
// s2, ... the server's.
func (x *explainer) diagram() {
	marks := map[string][]string{}
	for r := flow.Client; r <= flow.Server; r++ {
		letter := "c"
		if r == flow.Server {
			letter = "s"
		}
		for i, st := range x.path(r) {
			name := st.String()
			if st == state.Closed && i > 0 {
				name = "CLOSED2"
			}
			marks[name] = append(marks[name], fmt.Sprintf("%s%d", letter, i+1))
		}
	}
	for _, line := range stateDiagram {
		b := []byte(line)
		for {
			open := strings.IndexByte(string(b), '{')
			if open < 0 {
				break
			}
			end := open + strings.IndexByte(string(b[open:]), '}')
			name := strings.TrimSpace(string(b[open+1 : end]))
			shown := name
			if name == "CLOSED2" {
				shown = "CLOSED"
			}
			text := " " + shown
			if m := marks[name]; len(m) > 0 {
				text = "[" + shown + "] " + strings.Join(m, " ")
			}
			for i := open; i <= end; i++ {
				b[i] = ' '
			}
			// The text fills the field and may run on over blanks.
			for i := 0; i < len(text); i++ {
				if open+i >= len(b) {
					b = append(b, text[i:]...)
					break
				}
				if open+i > end && b[open+i] != ' ' {
					break
				}
				b[open+i] = text[i]
			}
		}
		x.w.WriteString(strings.TrimRight(string(b), " ") + "\n")
	}
}
