package state

import (
	"regexp"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/flow"
)

// Zeek describes a connection the way Zeek's conn.log does, so that our output
// can be joined with Zeek logs: its conn_state code and its history string.
// The originator is our client. The rules are Zeek's TCP analyzer's
// (src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc, TCP_Endpoint.cc,
// TCP_Reassembler.cc) and its conn_state function
// (base/protocols/conn/main.zeek), re-expressed: each endpoint's state
// machine, the history letters with their repeat and log-scale rules, a
// retransmission as a payload that does not advance the sender's highest
// sequence number, and a content gap as a hole the peer's ACK passes while
// both sides are established. docs/zeek.md says where tcpflow's connections
// can still differ from Zeek's.
type Zeek struct {
	history []byte
	ep      [2]zeekEndpoint // by flow.Client, flow.Server
	seen    uint32          // letters recorded once (Zeek's hist_seen), per zeekOnce bit << (16 * dir)
	partial bool            // Zeek's is_partial: the connection did not start with the originator's SYN
	started [2]bool         // the endpoint has sent a segment
}

type zeekState uint8

// Zeek's TCP endpoint states.
const (
	zInactive zeekState = iota
	zSynSent
	zSynAckSent
	zPartial
	zEstablished
	zClosed
	zReset
)

// zeekEndpoint is Zeek's TCP_Endpoint, as far as the codes need it. Sequence
// numbers are absolute; start is the ISN (or one less than the first sequence
// number without a SYN).
type zeekEndpoint struct {
	state, prev zeekState
	start, last flow.Seq // ISN and one past the highest sequence number sent
	ackSeq      flow.Seq // highest acknowledgment of this side's data seen
	finSeq      flow.Seq // one past its FIN (the FIN's own number + 1)
	finSeen     bool
	didClose    bool // sent a FIN or RST that Zeek took as closing
	bytes       int64
	// Letter repeat rules: the relative sequence number of the last SYN,
	// FIN and RST.
	lastSYN, lastFIN, lastRST uint32
	// Counters of the log-scale letters.
	count [4]uint32
	// Reassembly, for content gaps: the next byte to deliver, the highest
	// ACK processed, and the blocks received beyond a hole.
	delivered, trimmed flow.Seq
	blocks             []hole
}

// Log-scale letters (Zeek's ScaledHistoryEntry: at the 1st, 10th, 100th, ...).
const (
	zC = iota
	zG
	zT
	zW
)

var zeekLogLetters = [...]byte{zC: 'c', zG: 'g', zT: 't', zW: 'w'}

// Letters recorded once per direction (Zeek's HIST_* masks).
const (
	histSYN = 1 << iota
	histFIN
	histRST
	histFINRST
	histData
	histAck
	histMulti
)

// maxZeekBlocks bounds the blocks kept beyond a hole per direction.
const maxZeekBlocks = 64

// tooLargeSeqDelta is Zeek's TOO_LARGE_SEQ_DELTA: a SYN or RST that far from
// the highest sequence number is not believed.
const tooLargeSeqDelta = 1048576

// History is Zeek's history string: one letter per event, upper case for the
// originator (client), lower case for the responder (server).
func (z *Zeek) History() string { return string(z.history) }

func (z *Zeek) add(d flow.Dir, letter byte) {
	if d == flow.C2S {
		letter -= 'a' - 'A'
	}
	z.history = append(z.history, letter)
}

// check records letter the first time its mask is seen in direction d and
// reports whether it had been seen before (Zeek's CheckHistory).
func (z *Zeek) check(d flow.Dir, mask uint32, letter byte) bool {
	mask <<= 16 * uint(d)
	if z.seen&mask == 0 {
		z.seen |= mask
		z.add(d, letter)
		return false
	}
	return true
}

// logScale counts one event of a log-scale letter and records the letter at
// the 1st, 10th, 100th, ... (Zeek's thresholds start at 1 and grow tenfold).
func (z *Zeek) logScale(d flow.Dir, kind int) {
	e := &z.ep[d]
	e.count[kind]++
	for t, n := uint64(1), uint64(e.count[kind]); t <= n; t *= 10 {
		if t == n {
			z.add(d, zeekLogLetters[kind])
		}
	}
}

func (e *zeekEndpoint) set(s zeekState) {
	if s != e.state {
		e.prev, e.state = e.state, s
	}
}

// clean is Zeek's is_clean: established, or closed after being established.
func (e *zeekEndpoint) clean() bool {
	return e.state == zEstablished || (e.state == zClosed && e.prev == zEstablished)
}

// initSeq starts the endpoint's numbering at start (Zeek's InitStartSeq,
// InitAckSeq and InitLastSeq).
func (e *zeekEndpoint) initSeq(start, last flow.Seq) {
	e.start, e.ackSeq, e.last = start, start, last
	e.delivered, e.trimmed, e.blocks = start.Add(1), start, e.blocks[:0]
}

// observe updates Zeek's view with one segment; first says it is the
// connection's first segment.
func (z *Zeek) observe(seg *capture.Segment, d flow.Dir, first bool, _ *Record) {
	syn, ack, fin, rst := seg.Flags&capture.SYN != 0, seg.Flags&capture.ACK != 0, seg.Flags&capture.FIN != 0, seg.Flags&capture.RST != 0
	if syn && (d == flow.C2S) != ack && z.reuse(seg.Seq, ack) {
		// Zeek logs what came before as a connection of its own and starts
		// anew; tcpflow's codes are those of the connection as it ended.
		*z = Zeek{history: z.history[:0]}
		first = true
	}
	e, p := &z.ep[d], &z.ep[d.Reverse()]
	orig := d == flow.C2S
	if (fin || rst) && e.state != zReset {
		e.didClose = true
	}
	if first && !orig {
		z.add(flow.S2C, '^') // the first sender is not the originator: Zeek flips
	}
	if seg.TCPChecksum == capture.ChecksumBad {
		// Zeek's 'c'. Zeek then drops the packet unless run with -C
		// (ignore_checksums, as its own test baselines are); tcpflow goes
		// on with it, as Wireshark does and as Zeek -C would. A checksum
		// left to offload is no bad one.
		z.logScale(d, zC)
	}
	if !z.started[d] {
		z.started[d] = true
		if orig {
			z.partial = !syn || ack
		} else if !z.partial {
			z.partial = !syn
		}
	}
	seq, ackNo := flow.Seq(seg.Seq), flow.Seq(seg.Ack)
	n := seg.PayloadLen
	segLen := n
	if syn {
		segLen++
	}
	if fin {
		segLen++
	}
	if rst {
		segLen -= n // a RST's payload is not stream data
	}
	end := seq.Add(segLen)

	// init_endpoint: where its numbers start.
	switch e.state {
	case zInactive:
		if syn {
			e.initSeq(seq, end)
		} else {
			e.initSeq(seq.Add(-1), seq)
		}
	case zSynSent, zSynAckSent:
		if syn && seq != e.start {
			e.initSeq(seq, end)
		}
	case zEstablished, zPartial:
		if syn {
			e.initSeq(seq, end)
		}
	case zReset:
		if syn && e.prev == zInactive {
			e.initSeq(seq, end)
		}
	}
	rel := uint32(seq - e.start)

	// update_history.
	switch bits := b2i(syn) + b2i(fin) + b2i(rst); {
	case bits > 1 && fin && rst:
		z.check(d, histFINRST, 'i')
	case bits > 1:
		z.check(d, histMulti, 'q')
	case syn:
		code := byte('s')
		if ack {
			code = 'h'
		}
		if z.check(d, histSYN, code) && rel != e.lastSYN {
			z.add(d, code)
		}
		e.lastSYN = rel
	case fin:
		if z.check(d, histFIN, 'f') && rel+uint32(n) != e.lastFIN {
			z.add(d, 'f')
		}
		e.lastFIN = rel + uint32(n)
	case rst:
		if z.check(d, histRST, 'r') && rel != e.lastRST {
			z.add(d, 'r')
		}
		e.lastRST = rel
	case n > 0:
		z.check(d, histData, 'd')
	case ack:
		z.check(d, histAck, 'a')
	}
	// update_window: a zero window, unless with a RST, after this side's
	// RST or after the peer's FIN.
	if seg.Window == 0 && !rst && p.state != zClosed && e.state != zReset {
		z.logScale(d, zW)
	}
	if fin {
		e.finSeq, e.finSeen = seq.Add(segLen), true
	}
	if ack && p.state == zInactive {
		// init_peer: number the peer's side from this ACK.
		p.initSeq(ackNo.Add(-1), ackNo.Add(-1))
	} else if ack && !rst && p.ackSeq.LessThan(ackNo) {
		p.ackSeq = ackNo
	}

	// update_last_seq: a payload that does not advance the highest
	// sequence number is a retransmission.
	switch delta := end.Diff(e.last); {
	case (syn || rst) && (delta > tooLargeSeqDelta || delta < -tooLargeSeqDelta):
	case fin && e.last == e.start.Add(1):
		e.last = end
	case e.state == zReset:
	case delta > 0:
		e.last = end
	case n > 0:
		z.logScale(d, zT)
	}

	z.transition(e, p, orig, seq, syn, ack, fin, rst, n)

	if ack {
		z.ackReceived(d.Reverse(), ackNo)
	}
	if n > 0 && !rst && !seg.Truncated {
		// A payload the snap length cut never reaches Zeek's reassembler
		// (weird truncated_tcp_payload): its ACK shows a content gap.
		data := seq
		if syn {
			data = data.Add(1)
		}
		e.dataSent(data, data.Add(n))
	}
	e.bytes += int64(n)
}

// reuse is Zeek's IsReuse: a SYN on a connection Zeek already tracks starts
// a new one when either side has closed (sent a FIN or RST), or when the
// SYN's number is not the originator's ISN; a SYN-ACK only while the
// originator has sent nothing. tcpflow applies it to the client's SYNs and
// the server's SYN-ACKs only: Zeek would make the sender of a responder's
// SYN the originator of its new connection, which a history whose upper
// case stands for tcpflow's client cannot say.
func (z *Zeek) reuse(seq uint32, ack bool) bool {
	o := &z.ep[flow.Client]
	if !z.started[flow.Client] && !z.started[flow.Server] {
		return false
	}
	if ack {
		if o.state != zInactive {
			return false
		}
		o = &z.ep[flow.Server]
	}
	if z.ep[0].didClose || z.ep[1].didClose {
		return true
	}
	return flow.Seq(seq) != o.start
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// transition is Zeek's UpdateStateMachine for the segment's sender e.
func (z *Zeek) transition(e, p *zeekEndpoint, orig bool, seq flow.Seq, syn, ack, fin, rst bool, n int) {
	switch e.state {
	case zInactive:
		if syn {
			switch {
			case orig && ack:
				e.set(zSynAckSent)
			case orig:
				e.set(zSynSent)
			default:
				if !ack && p.state == zSynAckSent && seq == e.start {
					p.set(zEstablished) // a SYN/SYN-ACK reversal
				}
				if p.state == zSynSent {
					p.set(zEstablished)
				}
				e.set(zEstablished)
			}
		}
		if fin {
			e.set(zClosed)
		}
		if rst {
			e.set(zReset)
		}
		if e.state == zInactive {
			switch {
			case !orig && n == 0 && p.state == zSynSent:
				// An ACK of the SYN before the SYN-ACK: not yet partial.
			case ack && p.state == zEstablished:
				e.set(zEstablished) // the SYN was missed, the SYN-ACK seen
			default:
				e.set(zPartial)
			}
		}
	case zSynSent, zSynAckSent:
		if fin {
			e.set(zClosed)
		}
		if rst {
			e.set(zReset)
		}
	case zEstablished, zPartial:
		if syn && e.state == zPartial && p.state == zInactive && !ack {
			e.set(zSynSent)
		}
		if fin && !rst {
			e.set(zClosed)
			if p.state == zReset && p.prev == zClosed {
				p.set(zClosed) // a FIN then a RST from the peer: a normal close
			}
		}
		if rst {
			e.set(zReset)
		}
	case zClosed:
		if rst && p.state != zClosed {
			e.set(zReset)
		}
	}
}

// dataSent records payload [lo, hi) of this side for the reassembly: data
// at the next byte to deliver is delivered (with the blocks it reaches), data
// beyond it waits as a block, data already acknowledged is dropped.
func (e *zeekEndpoint) dataSent(lo, hi flow.Seq) {
	if lo.LessThan(e.ackSeq) {
		if hi.LessEq(e.ackSeq) {
			return
		}
		lo = e.ackSeq
	}
	switch {
	case lo.LessEq(e.delivered):
		if e.delivered.LessThan(hi) {
			e.delivered = hi
			e.absorb()
		}
	case len(e.blocks) < maxZeekBlocks:
		e.blocks = append(e.blocks, hole{lo, hi})
		for i := len(e.blocks) - 1; i > 0 && e.blocks[i].lo.LessThan(e.blocks[i-1].lo); i-- {
			e.blocks[i], e.blocks[i-1] = e.blocks[i-1], e.blocks[i]
		}
	}
}

// absorb delivers the blocks the delivered point has reached.
func (e *zeekEndpoint) absorb() {
	k := 0
	for k < len(e.blocks) && e.blocks[k].lo.LessEq(e.delivered) {
		if e.delivered.LessThan(e.blocks[k].hi) {
			e.delivered = e.blocks[k].hi
		}
		k++
	}
	e.blocks = e.blocks[:copy(e.blocks, e.blocks[k:])]
}

// ackReceived is the peer's acknowledgment of side d's data (Zeek's
// AckReceived and Undelivered): every hole the ACK passes is a content gap,
// counted when both sides are established (or closed after being so).
func (z *Zeek) ackReceived(d flow.Dir, a flow.Seq) {
	e := &z.ep[d]
	if e.finSeen && e.finSeq.LessEq(a) {
		a = e.finSeq.Add(-1) // the FIN is not data
	}
	if a.LessEq(e.trimmed) {
		return
	}
	e.trimmed = a
	if !e.delivered.LessThan(a) {
		return
	}
	if z.partial && a.Diff(e.start) <= 2 {
		return // the first ACK of a connection joined mid-stream
	}
	report := e.clean() && z.ep[d.Reverse()].clean()
	for len(e.blocks) > 0 && e.blocks[0].lo.LessThan(a) {
		if e.delivered.LessThan(e.blocks[0].lo) && report {
			z.logScale(d, zG)
		}
		e.delivered = e.blocks[0].lo
		e.absorb()
	}
	if e.delivered.LessThan(a) {
		if report {
			z.logScale(d, zG)
		}
		e.delivered = a
	}
}

var rstos0 = regexp.MustCompile(`^\^?S[^HAFGIQ]*R`)

// ConnState is Zeek's conn_state code (S0, S1, SF, REJ, S2, S3, RSTO, RSTR,
// RSTOS0, RSTRH, SH, SHR, OTH).
func (z *Zeek) ConnState() string {
	os, rs := z.ep[flow.Client].state, z.ep[flow.Server].state
	oInactive := os == zInactive || os == zPartial
	rInactive := rs == zInactive || rs == zPartial
	switch {
	case rs == zReset:
		switch {
		case os == zSynSent || os == zSynAckSent || (os == zReset && z.ep[0].bytes == 0 && z.ep[1].bytes == 0):
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
