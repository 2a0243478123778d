package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tcpflow/tcpflow/internal/craft"
)

// start is when every crafted capture begins.
var start = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// defaultSnaplen is what tcpdump writes in the file header by default.
const defaultSnaplen = 262144

// A story sends the packets of one capture over a Wire.
type story func(w *craft.Wire)

// classic describes a classic pcap file.
type classic struct {
	link      layers.LinkType
	snaplen   uint32 // 0: defaultSnaplen; cuts the packets too when set
	nanos     bool
	bigEndian bool
}

// pcap returns a generator of the story as a classic pcap file.
func (f classic) pcap(s story) func() ([]byte, error) {
	return func() ([]byte, error) { return f.write(s) }
}

func (f classic) write(s story) ([]byte, error) {
	var buf bytes.Buffer
	snaplen := f.snaplen
	if snaplen == 0 {
		snaplen = defaultSnaplen
	}
	var out craft.PacketWriter
	if f.bigEndian {
		w, err := craft.NewBigEndianWriter(&buf, snaplen, f.link, f.nanos)
		if err != nil {
			return nil, err
		}
		out = w
	} else {
		w := pcapgo.NewWriter(&buf)
		if f.nanos {
			w = pcapgo.NewWriterNanos(&buf)
		}
		if err := w.WriteFileHeader(snaplen, f.link); err != nil {
			return nil, err
		}
		out = w
	}
	w := craft.NewWire(out, start)
	if f.snaplen != 0 {
		w.Snaplen = int(f.snaplen)
	}
	s(w)
	if err := w.Err(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// gzipped returns a generator of gen's output compressed with gzip, with no
// name and no modification time in the header, so the bytes only depend on
// the input (and on compress/flate, which TestCommitted allows for).
func gzipped(gen func() ([]byte, error)) func() ([]byte, error) {
	return func() ([]byte, error) {
		data, err := gen()
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			return nil, err
		}
		if _, err := zw.Write(data); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
}

// pcapRecords returns the byte offset of every record header in a
// little-endian classic pcap file.
func pcapRecords(data []byte) ([]int, error) {
	if len(data) < 24 || binary.LittleEndian.Uint32(data) != 0xa1b2c3d4 {
		return nil, fmt.Errorf("not a little-endian microsecond pcap")
	}
	var offs []int
	for off := 24; off < len(data); {
		if off+16 > len(data) {
			return nil, fmt.Errorf("record header at %d cut short", off)
		}
		offs = append(offs, off)
		off += 16 + int(binary.LittleEndian.Uint32(data[off+8:]))
	}
	return offs, nil
}

// corruptCaplen is the captured length written into the corrupted record: no
// snaplen allows it, and it is larger than any file.
const corruptCaplen = 0x7fffffff

// editRecords returns a generator of gen's pcap changed by edit, which is
// given the file and the offsets of its record headers.
func editRecords(gen func() ([]byte, error), edit func(data []byte, offs []int) ([]byte, error)) func() ([]byte, error) {
	return func() ([]byte, error) {
		data, err := gen()
		if err != nil {
			return nil, err
		}
		offs, err := pcapRecords(data)
		if err != nil {
			return nil, err
		}
		return edit(data, offs)
	}
}

// corrupted returns a generator of gen's pcap with frame's record header
// (counting from 1) claiming corruptCaplen captured bytes. The records after
// it are left in place.
func corrupted(frame int, gen func() ([]byte, error)) func() ([]byte, error) {
	return editRecords(gen, func(data []byte, offs []int) ([]byte, error) {
		if frame < 1 || frame > len(offs) {
			return nil, fmt.Errorf("no frame %d in %d", frame, len(offs))
		}
		binary.LittleEndian.PutUint32(data[offs[frame-1]+8:], corruptCaplen)
		return data, nil
	})
}

// cutOff returns a generator of gen's pcap ending keep bytes into the data of
// its last record, as a capture copied while it was being written.
func cutOff(keep int, gen func() ([]byte, error)) func() ([]byte, error) {
	return editRecords(gen, func(data []byte, offs []int) ([]byte, error) {
		last := offs[len(offs)-1]
		if caplen := int(binary.LittleEndian.Uint32(data[last+8:])); keep <= 0 || keep >= caplen {
			return nil, fmt.Errorf("cannot keep %d of the last record's %d bytes", keep, caplen)
		}
		return data[:last+16+keep], nil
	})
}
