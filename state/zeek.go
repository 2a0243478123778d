package state

import (
	"regexp"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
)

// Zeek describes a connection the way Zeek's conn.log does, so that our output
// can be joined with Zeek logs: its conn_state code and its history string.
// The originator is our client. The rules follow Zeek's documentation of
// Conn::Info and its conn_state function (base/protocols/conn/main.zeek) over
// endpoint states that approximate its TCP analyzer's: what each side sent
// decides its state (INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL, ESTABLISHED,
// CLOSED, RESET). Content gaps ('g') are our holes in the sequence space, and
// retransmissions ('t') are Wireshark's, so the log-scale letters may differ
// from Zeek's by one step on captures with heavy loss.
type Zeek struct {
	history []byte
	ep      [2]zeekState // by flow.Client, flow.Server
	bytes   [2]int64
	// lastSeq and seen drive the repeat rule of s, h, f and r: a letter is
	// recorded again when its sequence number differs from the last one.
	lastSeq [2][4]uint32
	seen    [2][4]bool
	once    [2]uint8     // a, d, i, q: recorded once per direction
	counts  [2][4]uint32 // c, g, t, w: recorded at 1, 10, 100, ... occurrences
}

type zeekState uint8

const (
	zInactive zeekState = iota
	zSynSent
	zSynAckSent
	zPartial
	zEstablished
	zClosed
	zReset
)

// Letters with a repeat rule (index into lastSeq) and with a log-scale rule.
const (
	zS = iota
	zH
	zF
	zR
)
const (
	zC = iota
	zG
	zT
	zW
)

var zeekLetters = [...]byte{zS: 's', zH: 'h', zF: 'f', zR: 'r'}
var zeekLogLetters = [...]byte{zC: 'c', zG: 'g', zT: 't', zW: 'w'}

// History is Zeek's history string: one letter per event, upper case for the
// originator (client), lower case for the responder (server).
func (z *Zeek) History() string { return string(z.history) }

func (z *Zeek) add(d flow.Dir, letter byte) {
	if d == flow.C2S {
		letter -= 'a' - 'A'
	}
	z.history = append(z.history, letter)
}

func (z *Zeek) repeat(d flow.Dir, kind int, seq uint32) {
	if z.seen[d][kind] && z.lastSeq[d][kind] == seq {
		return
	}
	z.seen[d][kind], z.lastSeq[d][kind] = true, seq
	z.add(d, zeekLetters[kind])
}

func (z *Zeek) onceLetter(d flow.Dir, bit uint8, letter byte) {
	if z.once[d]&bit == 0 {
		z.once[d] |= bit
		z.add(d, letter)
	}
}

func (z *Zeek) logScale(d flow.Dir, kind int) {
	z.counts[d][kind]++
	for t, n := uint64(1), uint64(z.counts[d][kind]); t <= n; t *= 10 {
		if t == n {
			z.add(d, zeekLogLetters[kind])
		}
	}
}

// observe updates Zeek's view with one segment; first says it is the
// connection's first segment and rec carries its findings.
func (z *Zeek) observe(seg *capture.Segment, d flow.Dir, first bool, rec *Record) {
	if first && d != flow.C2S {
		z.add(flow.S2C, '^') // the first sender is not the originator: Zeek flips
	}
	if seg.TCPChecksum == capture.ChecksumBad {
		// Zeek's 'c'. Zeek then drops the packet; tcpflow goes on analyzing
		// it, as Wireshark does. A checksum left to offload is no bad one.
		z.logScale(d, zC)
	}
	syn, ack, fin, rst := seg.Flags&capture.SYN != 0, seg.Flags&capture.ACK != 0, seg.Flags&capture.FIN != 0, seg.Flags&capture.RST != 0
	e, p := &z.ep[d], &z.ep[d.Reverse()]
	switch {
	case syn && (fin || rst):
		z.onceLetter(d, 1<<0, 'q')
	case fin && rst:
		z.onceLetter(d, 1<<1, 'i')
	}
	if syn {
		if ack {
			z.repeat(d, zH, seg.Seq)
		} else {
			z.repeat(d, zS, seg.Seq)
		}
	}
	if fin {
		z.repeat(d, zF, seg.Seq+uint32(seg.PayloadLen))
	}
	if rst {
		z.repeat(d, zR, seg.Seq)
	}
	switch {
	case seg.PayloadLen > 0:
		z.onceLetter(d, 1<<2, 'd')
	case ack && !syn && !fin && !rst:
		z.onceLetter(d, 1<<3, 'a')
	}
	if seg.PayloadLen > 0 && rec.Analysis&Retransmission != 0 {
		z.logScale(d, zT)
	}
	if seg.Window == 0 && !syn && !fin && !rst {
		z.logScale(d, zW)
	}
	if rec.Analysis&LostSegment != 0 && rec.SeqJump == 0 { // an impossible jump is no gap
		z.logScale(d, zG)
	}
	if rec.Analysis&AckLostSegment != 0 && rec.AckJump == 0 {
		z.logScale(d.Reverse(), zG)
	}
	z.bytes[d] += int64(seg.PayloadLen)

	// Endpoint states: what this side sent.
	switch {
	case rst:
		*e = zReset
	case *e == zReset:
	case fin:
		*e = zClosed
	case syn && *e == zInactive:
		switch {
		case *p == zInactive && ack:
			*e = zSynAckSent
		case *p == zInactive:
			*e = zSynSent
		default: // an answer to the peer's SYN (or a simultaneous open)
			*e = zEstablished
			if *p == zSynSent {
				*p = zEstablished
			}
		}
	case *e == zInactive:
		*e = zPartial
	}
}

var rstos0 = regexp.MustCompile(`^\^?S[^HAFGIQ]*R`)

// ConnState is Zeek's conn_state code (S0, S1, SF, REJ, S2, S3, RSTO, RSTR,
// RSTOS0, RSTRH, SH, SHR, OTH).
func (z *Zeek) ConnState() string {
	os, rs := z.ep[flow.Client], z.ep[flow.Server]
	oInactive := os == zInactive || os == zPartial
	rInactive := rs == zInactive || rs == zPartial
	switch {
	case rs == zReset:
		switch {
		case os == zSynSent || os == zSynAckSent || (os == zReset && z.bytes[0] == 0 && z.bytes[1] == 0):
			return "REJ"
		case oInactive:
			return "RSTRH"
		}
		return "RSTR"
	case os == zReset:
		if rInactive {
			if rstos0.Match(z.history) {
				return "RSTOS0"
			}
			return "OTH"
		}
		return "RSTO"
	case rs == zClosed && os == zClosed:
		return "SF"
	case os == zClosed:
		if rInactive {
			return "SH"
		}
		return "S2"
	case rs == zClosed:
		if oInactive {
			return "SHR"
		}
		return "S3"
	case os == zSynSent && rs == zInactive:
		return "S0"
	case os == zEstablished && rs == zEstablished:
		return "S1"
	}
	return "OTH"
}

// ZeekStateText is Zeek's description of each conn_state code.
var ZeekStateText = map[string]string{
	"S0":     "connection attempt seen, no reply",
	"S1":     "connection established, not terminated",
	"SF":     "normal establishment and termination",
	"REJ":    "connection attempt rejected",
	"S2":     "established, close attempt by originator seen (no reply from responder)",
	"S3":     "established, close attempt by responder seen (no reply from originator)",
	"RSTO":   "established, originator aborted (sent a RST)",
	"RSTR":   "responder sent a RST",
	"RSTOS0": "originator sent a SYN followed by a RST, no SYN-ACK from the responder",
	"RSTRH":  "responder sent a SYN-ACK followed by a RST, no SYN from the originator",
	"SH":     "originator sent a SYN followed by a FIN, no SYN-ACK from the responder",
	"SHR":    "responder sent a SYN-ACK followed by a FIN, no SYN from the originator",
	"OTH":    "no SYN seen, just midstream traffic",
}
