package wsdiff

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/report"
	"github.com/tcpflow/tcpflow/sink"
)

// The parts of tcpflow's JSON report (docs/json-schema.md) that are compared.
type ourDoc struct {
	Connections []struct {
		ID         int `json:"id"`
		ICMPErrors []struct {
			Frame   uint64 `json:"frame"`
			Partial bool   `json:"partial_quote"`
		} `json:"icmp_errors"`
		BadHeaders []struct {
			Frame uint64 `json:"frame"`
		} `json:"bad_headers"`
		Segments []struct {
			Frame    uint64   `json:"frame"`
			Flags    string   `json:"flags"`
			Seq      uint32   `json:"seq"`
			Ack      uint32   `json:"ack"`
			Len      int      `json:"len"`
			Win      *int64   `json:"win"`
			Analysis []string `json:"analysis"`
			AckFrame uint64   `json:"ack_frame"`
			AckRTT   *float64 `json:"ack_rtt_s"`
		} `json:"segments"`
	} `json:"connections"`
}

// Ours runs tcpflow in-process on the capture at path and returns its frames in
// frame order: one per TCP segment and one (Quoted) per ICMP error quoting TCP.
// When the capture is faulty the frames read before the fault are returned with
// the error.
func Ours(path string) ([]Frame, error) {
	r := capture.NewReader(path)
	defer r.Close()
	var buf bytes.Buffer
	sum, err := pipeline.Run(r, pipeline.Options{}, sink.NewJSON(&buf, &r.Stats, report.Options{}, ""))
	if err != nil {
		return nil, fmt.Errorf("tcpflow json report of %s: %w", path, err)
	}
	frames, err := decodeOurs(&buf)
	if err != nil {
		return nil, fmt.Errorf("tcpflow json report of %s: %w", path, err)
	}
	return frames, errors.Join(sum.Errors...)
}

// decodeOurs turns a tcpflow JSON report into frames sorted by number.
func decodeOurs(r io.Reader) ([]Frame, error) {
	var doc ourDoc
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return nil, err
	}
	var frames []Frame
	for _, c := range doc.Connections {
		for _, e := range c.ICMPErrors {
			// A quote of 8 header bytes is listed with its connection but
			// not numbered in tcp.stream, by tcpflow as by Wireshark.
			stream := c.ID
			if e.Partial {
				stream = NoStream
			}
			frames = append(frames, Frame{Number: e.Frame, Stream: stream, Quoted: true, TCPLayers: 1, Win: WinUnknown})
		}
		for _, b := range c.BadHeaders {
			// Numbered, not analyzed: tshark stops reading such a
			// header after its window, a cut header to the harness.
			frames = append(frames, Frame{Number: b.Frame, Stream: c.ID, Partial: true, TCPLayers: 1, Win: WinUnknown})
		}
		for _, s := range c.Segments {
			f := Frame{Number: s.Frame, Stream: c.ID, TCPLayers: 1, Seq: s.Seq, Len: s.Len, Win: WinUnknown,
				AckFlag: strings.Contains(s.Flags, "A")}
			if f.AckFlag {
				f.Ack = s.Ack
			}
			if s.Win != nil {
				f.Win = *s.Win
			}
			f.AckFrame = s.AckFrame
			if s.AckRTT != nil {
				// JSON has the seconds as the shortest decimal that
				// reads back as the same float64: ns round-trip.
				f.AckRTT, f.HasRTT = int64(math.Round(*s.AckRTT*1e9)), true
			}
			for _, a := range s.Analysis {
				n, ok := ParseName(a)
				if !ok || !n.Compared() {
					return nil, fmt.Errorf("frame %d: analysis name %q is not in the schema", s.Frame, a)
				}
				f.Analysis = f.Analysis.Add(n)
			}
			frames = append(frames, f)
		}
	}
	slices.SortFunc(frames, func(a, b Frame) int { return cmp.Compare(a.Number, b.Number) })
	for i := 1; i < len(frames); i++ {
		if frames[i].Number == frames[i-1].Number {
			return nil, fmt.Errorf("frame %d appears twice (connections %d and %d)",
				frames[i].Number, frames[i-1].Stream, frames[i].Stream)
		}
	}
	return frames, nil
}
