package craft

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Classic pcap magic numbers (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-03.html).
const (
	pcapMagicMicros = 0xa1b2c3d4
	pcapMagicNanos  = 0xa1b23c4d
)

// BigEndianWriter writes a classic pcap file in big-endian byte order, as
// libpcap does on big-endian hosts (SPARC, POWER, s390x). It exists because
// pcapgo.Writer only writes little-endian files; a reader has to handle both.
type BigEndianWriter struct {
	w     io.Writer
	nanos bool
	hdr   [16]byte
}

// NewBigEndianWriter writes the file header and returns a writer for the
// records. With nanos the magic says nanosecond timestamps, else microsecond.
func NewBigEndianWriter(w io.Writer, snaplen uint32, lt layers.LinkType, nanos bool) (*BigEndianWriter, error) {
	var h [24]byte
	magic := uint32(pcapMagicMicros)
	if nanos {
		magic = pcapMagicNanos
	}
	be := binary.BigEndian
	be.PutUint32(h[0:], magic)
	be.PutUint16(h[4:], 2) // version 2.4
	be.PutUint16(h[6:], 4)
	// h[8:16]: thiszone and sigfigs, zero
	be.PutUint32(h[16:], snaplen)
	be.PutUint32(h[20:], uint32(lt))
	if _, err := w.Write(h[:]); err != nil {
		return nil, err
	}
	return &BigEndianWriter{w: w, nanos: nanos}, nil
}

// WritePacket writes one record.
func (w *BigEndianWriter) WritePacket(ci gopacket.CaptureInfo, data []byte) error {
	if ci.CaptureLength != len(data) || ci.CaptureLength > ci.Length {
		return fmt.Errorf("capture length %d, data %d bytes, wire length %d: inconsistent", ci.CaptureLength, len(data), ci.Length)
	}
	frac := ci.Timestamp.Nanosecond() / 1000
	if w.nanos {
		frac = ci.Timestamp.Nanosecond()
	}
	be := binary.BigEndian
	be.PutUint32(w.hdr[0:], uint32(ci.Timestamp.Unix()))
	be.PutUint32(w.hdr[4:], uint32(frac))
	be.PutUint32(w.hdr[8:], uint32(ci.CaptureLength))
	be.PutUint32(w.hdr[12:], uint32(ci.Length))
	if _, err := w.w.Write(w.hdr[:]); err != nil {
		return err
	}
	_, err := w.w.Write(data)
	return err
}

// NgInterface describes one interface of a ResolNgWriter.
type NgInterface struct {
	LinkType layers.LinkType
	SnapLen  uint32 // 0: unlimited
	Name     string // if_name; none when empty
	// TSResol is if_tsresol as a power of ten: timestamps count units of
	// 10^-TSResol seconds, 0 to 9. 0 leaves the option out, which per the
	// pcapng spec means microseconds (6).
	TSResol uint8
}

// ResolNgWriter writes a little-endian pcapng file with one section whose
// interfaces each have their own timestamp resolution. It exists because
// pcapgo.NgWriter always writes if_tsresol 9 (nanoseconds) on every
// interface, and a reader must scale each interface's timestamps by its own
// resolution (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-03.html
// section 4.2). It writes Section Header, Interface Description and Enhanced
// Packet blocks only.
type ResolNgWriter struct {
	w      io.Writer
	ifaces []NgInterface
	scale  []uint64 // nanoseconds per timestamp unit, per interface
	buf    []byte
}

// pcapng block types and option codes used by ResolNgWriter.
const (
	ngBlockSHB       = 0x0a0d0d0a
	ngBlockIDB       = 0x00000001
	ngBlockEPB       = 0x00000006
	ngByteOrderMagic = 0x1a2b3c4d
	ngOptEnd         = 0
	ngOptIfName      = 2
	ngOptIfTSResol   = 9
)

// NewResolNgWriter writes the section header and one interface description
// per interface, in order; packets name their interface by index in
// CaptureInfo.InterfaceIndex.
func NewResolNgWriter(w io.Writer, ifaces ...NgInterface) (*ResolNgWriter, error) {
	nw := &ResolNgWriter{w: w, ifaces: ifaces}
	le := binary.LittleEndian

	var shb [28]byte
	le.PutUint32(shb[0:], ngBlockSHB)
	le.PutUint32(shb[4:], uint32(len(shb)))
	le.PutUint32(shb[8:], ngByteOrderMagic)
	le.PutUint16(shb[12:], 1) // version 1.0
	le.PutUint16(shb[14:], 0)
	le.PutUint64(shb[16:], ^uint64(0)) // section length unknown
	le.PutUint32(shb[24:], uint32(len(shb)))
	if _, err := w.Write(shb[:]); err != nil {
		return nil, err
	}

	for i, in := range ifaces {
		if in.TSResol > 9 {
			return nil, fmt.Errorf("interface %d: if_tsresol %d is finer than nanoseconds", i, in.TSResol)
		}
		exp := in.TSResol
		if exp == 0 {
			exp = 6
		}
		s := uint64(1)
		for range 9 - exp {
			s *= 10
		}
		nw.scale = append(nw.scale, s)

		b := make([]byte, 16, 64)
		le.PutUint32(b[0:], ngBlockIDB)
		le.PutUint16(b[8:], uint16(in.LinkType))
		le.PutUint32(b[12:], in.SnapLen)
		if in.Name != "" {
			b = appendNgOption(b, ngOptIfName, []byte(in.Name))
		}
		if in.TSResol != 0 {
			b = appendNgOption(b, ngOptIfTSResol, []byte{in.TSResol})
		}
		if len(b) > 16 {
			b = appendNgOption(b, ngOptEnd, nil)
		}
		b = le.AppendUint32(b, 0) // trailing length, set below
		le.PutUint32(b[4:], uint32(len(b)))
		le.PutUint32(b[len(b)-4:], uint32(len(b)))
		if _, err := w.Write(b); err != nil {
			return nil, err
		}
	}
	return nw, nil
}

// appendNgOption appends one option padded to 32 bits.
func appendNgOption(b []byte, code uint16, val []byte) []byte {
	b = binary.LittleEndian.AppendUint16(b, code)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(val)))
	b = append(b, val...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// WritePacket writes an Enhanced Packet Block on ci.InterfaceIndex, its
// timestamp in that interface's units (finer digits are dropped).
func (w *ResolNgWriter) WritePacket(ci gopacket.CaptureInfo, data []byte) error {
	if ci.InterfaceIndex < 0 || ci.InterfaceIndex >= len(w.ifaces) {
		return fmt.Errorf("no interface %d (have %d)", ci.InterfaceIndex, len(w.ifaces))
	}
	if ci.CaptureLength != len(data) || ci.CaptureLength > ci.Length {
		return fmt.Errorf("capture length %d, data %d bytes, wire length %d: inconsistent", ci.CaptureLength, len(data), ci.Length)
	}
	ts := uint64(ci.Timestamp.UnixNano()) / w.scale[ci.InterfaceIndex]
	pad := (4 - len(data)%4) % 4
	total := 28 + len(data) + pad + 4
	le := binary.LittleEndian
	b := w.buf[:0]
	b = le.AppendUint32(b, ngBlockEPB)
	b = le.AppendUint32(b, uint32(total))
	b = le.AppendUint32(b, uint32(ci.InterfaceIndex))
	b = le.AppendUint32(b, uint32(ts>>32))
	b = le.AppendUint32(b, uint32(ts))
	b = le.AppendUint32(b, uint32(ci.CaptureLength))
	b = le.AppendUint32(b, uint32(ci.Length))
	b = append(b, data...)
	b = append(b, "\x00\x00\x00"[:pad]...)
	b = le.AppendUint32(b, uint32(total))
	w.buf = b
	_, err := w.w.Write(b)
	return err
}
