package flow

import "net/netip"

// Key identifies a TCP conversation in both directions: the lower endpoint is A.
// It is comparable and holds no pointers to heap data, so it is a cheap map key.
type Key struct{ A, B netip.AddrPort }

// KeyOf returns the key of a segment from src to dst, and whether src is the key's
// A side.
func KeyOf(src, dst netip.AddrPort) (k Key, srcIsA bool) {
	if less(src, dst) {
		return Key{src, dst}, true
	}
	return Key{dst, src}, false
}

func less(x, y netip.AddrPort) bool {
	if c := x.Addr().Compare(y.Addr()); c != 0 {
		return c < 0
	}
	return x.Port() < y.Port()
}

// Dir is the direction of a segment within its connection. It also names the
// endpoint that sends in that direction: Client is the sender of C2S segments,
// Server of S2C ones, so per-endpoint and per-direction arrays share one index.
type Dir uint8

// Directions. They index per-direction arrays.
const (
	C2S Dir = iota // client to server
	S2C            // server to client
)

// The endpoints, named by the direction they send in.
const (
	Client = C2S
	Server = S2C
)

// Reverse returns the opposite direction.
func (d Dir) Reverse() Dir { return d ^ 1 }

// Side is "client" or "server": the endpoint that sends in direction d.
func (d Dir) Side() string {
	if d == C2S {
		return "client"
	}
	return "server"
}

// String is "c2s" or "s2c", the names used in JSON.
func (d Dir) String() string {
	if d == C2S {
		return "c2s"
	}
	return "s2c"
}
