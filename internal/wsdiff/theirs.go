package wsdiff

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
)

// Tshark is the command Theirs runs, looked up in PATH.
const Tshark = "tshark"

// The -e fields of the tshark run, in column order; the analysis names follow
// them, one column per Name.
var fixedFields = []string{
	"frame.number",
	"frame.protocols", // to tell ICMP errors quoting TCP ("…:icmp:ip:tcp") from TCP
	"tcp.stream",
	"tcp.seq",
	"tcp.ack",
	"tcp.len",
	"tcp.window_size",
	"tcp.window_size_scalefactor", // -1: scale unknown, -2: no scaling, absent on a SYN
	"tcp.flags.ack",
	"tcp.analysis.acks_frame",
	"tcp.analysis.ack_rtt",
}

const (
	colNumber = iota
	colProtocols
	colStream
	colSeq
	colAck
	colLen
	colWin
	colScale
	colAckFlag
	colAcksFrame
	colAckRTT
	colNames // first analysis column
)

// TsharkArgs are the arguments Theirs gives tshark for the capture at path. The
// two preferences are tshark's defaults, given so a personal profile cannot
// change them.
func TsharkArgs(path string) []string {
	args := []string{"-r", path, "-n", "-T", "fields",
		"-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,",
		"-o", "tcp.relative_sequence_numbers:TRUE",
		"-o", "tcp.analyze_sequence_numbers:TRUE"}
	for _, f := range fixedFields {
		args = append(args, "-e", f)
	}
	for n := Name(0); n < numNames; n++ {
		args = append(args, "-e", n.Field())
	}
	return args
}

// TsharkError is tshark exiting with an error on a capture, usually a fault in
// the file. tshark prints every frame it read
// before a fault in the file, so the frames Theirs returns with it are usable.
type TsharkError struct {
	File   string
	Err    error  // from running the command, e.g. exit status 2
	Stderr string // what tshark printed, without its "Running as root" warning
}

func (e *TsharkError) Error() string {
	msg := fmt.Sprintf("tshark -r %s: %v", e.File, e.Err)
	if e.Stderr != "" {
		msg += ": " + strings.ReplaceAll(e.Stderr, "\n", " ")
	}
	return msg
}

func (e *TsharkError) Unwrap() error { return e.Err }

// Theirs runs tshark on the capture at path and returns its TCP frames in frame
// order (including ICMP errors quoting TCP, marked Quoted). When tshark exits
// with an error, the frames it printed are returned with a *TsharkError; any
// other error (tshark missing, output not understood) means the frames, if
// any, are not to be trusted.
func Theirs(ctx context.Context, path string) ([]Frame, error) {
	cmd := exec.CommandContext(ctx, Tshark, TsharkArgs(path)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("tshark -r %s: %w", path, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("tshark -r %s: %w", path, err)
	}
	frames, perr := ParseFields(out)
	if perr != nil {
		io.Copy(io.Discard, out) // let tshark finish writing
	}
	werr := cmd.Wait()
	if perr != nil {
		return frames, fmt.Errorf("tshark -r %s output: %w", path, perr)
	}
	if werr != nil {
		return frames, &TsharkError{File: path, Err: werr, Stderr: cleanStderr(stderr.String())}
	}
	return frames, nil
}

// cleanStderr drops tshark's warning about running as root and blank lines.
func cleanStderr(s string) string {
	var keep []string
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "Running as user") {
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "\n")
}

// ParseFields parses the output of tshark run with TsharkArgs: one line per
// frame, tab-separated columns, several occurrences of a field joined by commas.
// Frames whose frame.protocols has no tcp layer are left out; a tcp layer
// without tcp.stream gives a Partial frame with Stream NoStream. It returns the
// frames parsed before an error with the error.
func ParseFields(r io.Reader) ([]Frame, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	want := colNames + int(numNames)
	var frames []Frame
	line := 0
	for sc.Scan() {
		line++
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != want {
			return frames, fmt.Errorf("line %d: %d columns, want %d", line, len(cols), want)
		}
		f, ok, err := parseLine(cols)
		if err != nil {
			return frames, fmt.Errorf("line %d (frame %s): %w", line, cols[colNumber], err)
		}
		if ok {
			frames = append(frames, f)
		}
	}
	return frames, sc.Err()
}

// parseLine turns one line's columns into a frame; ok is false when the frame
// is not TCP.
func parseLine(cols []string) (f Frame, ok bool, err error) {
	if cols[colStream] == "" && !hasTCP(cols[colProtocols]) {
		return Frame{}, false, nil
	}
	if f.Number, err = strconv.ParseUint(cols[colNumber], 10, 64); err != nil {
		return Frame{}, false, fmt.Errorf("frame.number: %w", err)
	}
	f.Win = WinUnknown
	f.Quoted = quotedTCP(cols[colProtocols])
	if cols[colStream] == "" {
		f.Stream, f.TCPLayers, f.Partial = NoStream, 1, !f.Quoted
		return f, true, nil
	}
	streams := strings.Split(cols[colStream], ",")
	f.TCPLayers = len(streams)
	if f.Stream, err = strconv.Atoi(streams[0]); err != nil {
		return Frame{}, false, fmt.Errorf("tcp.stream: %w", err)
	}
	if f.Quoted || f.TCPLayers > 1 {
		return f, true, nil
	}
	if cols[colSeq] == "" || cols[colLen] == "" || cols[colWin] == "" || cols[colAckFlag] == "" {
		f.Partial = true
		return f, true, nil
	}
	seq, err := strconv.ParseUint(cols[colSeq], 10, 32)
	if err != nil {
		return Frame{}, false, fmt.Errorf("tcp.seq: %w", err)
	}
	f.Seq = uint32(seq)
	if f.Len, err = strconv.Atoi(cols[colLen]); err != nil {
		return Frame{}, false, fmt.Errorf("tcp.len: %w", err)
	}
	switch cols[colAckFlag] {
	case "1", "True", "true":
		f.AckFlag = true
		ack, err := strconv.ParseUint(cols[colAck], 10, 32)
		if err != nil {
			return Frame{}, false, fmt.Errorf("tcp.ack: %w", err)
		}
		f.Ack = uint32(ack)
	case "0", "False", "false":
	default:
		return Frame{}, false, fmt.Errorf("tcp.flags.ack %q", cols[colAckFlag])
	}
	if cols[colScale] != "-1" {
		if f.Win, err = strconv.ParseInt(cols[colWin], 10, 64); err != nil {
			return Frame{}, false, fmt.Errorf("tcp.window_size: %w", err)
		}
	}
	for n := Name(0); n < numNames; n++ {
		if cols[colNames+int(n)] != "" {
			f.Analysis = f.Analysis.Add(n)
		}
	}
	if v := cols[colAcksFrame]; v != "" {
		if f.AckFrame, err = strconv.ParseUint(v, 10, 64); err != nil {
			return Frame{}, false, fmt.Errorf("tcp.analysis.acks_frame: %w", err)
		}
	}
	if v := cols[colAckRTT]; v != "" {
		if f.AckRTT, err = parseRTT(v); err != nil {
			return Frame{}, false, fmt.Errorf("tcp.analysis.ack_rtt %q: %w", v, err)
		}
		f.HasRTT = true
	}
	return f, true, nil
}

// quotedTCP reports whether, in a frame.protocols value such as
// "eth:ethertype:ip:icmp:ip:tcp", an ICMP or ICMPv6 layer comes before the
// first TCP layer: the TCP header is one quoted in an ICMP error.
func quotedTCP(protocols string) bool {
	for p := range strings.SplitSeq(protocols, ":") {
		switch p {
		case "icmp", "icmpv6":
			return true
		case "tcp":
			return false
		}
	}
	return false
}

// hasTCP reports whether a frame.protocols value has a tcp layer.
func hasTCP(protocols string) bool {
	for p := range strings.SplitSeq(protocols, ":") {
		if p == "tcp" {
			return true
		}
	}
	return false
}
