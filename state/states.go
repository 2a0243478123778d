package state

import "github.com/tcpflow/tcpflow/flow"

// State is an RFC 9293 (section 3.3.2) connection state as an observer on the wire
// infers it.
type State uint8

// The states. Unknown is for an endpoint the capture has not shown enough of.
const (
	Unknown State = iota
	Closed
	Listen
	SynSent
	SynReceived
	Established
	FinWait1
	FinWait2
	CloseWait
	Closing
	LastAck
	TimeWait
)

var stateNames = [...]string{"UNKNOWN", "CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED",
	"FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT"}

func (s State) String() string { return stateNames[s] }

// Synchronized reports whether the endpoint has completed the handshake
// (ESTABLISHED or any state after it, RFC 9293's "synchronized states").
func (s State) Synchronized() bool { return s >= Established }

// Closing reports whether the endpoint has sent or received a FIN.
func (s State) Closing() bool { return s > Established }

// Transition is a change of one endpoint's state and the frame that caused it.
type Transition struct {
	Frame    uint64
	Endpoint flow.Dir // flow.Client or flow.Server
	From, To State
	Why      string // in words, e.g. "received SYN-ACK acknowledging its SYN"
}
