package capture

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math/bits"
)

// pcapgo's NgReader trusts the length field of every block: a bogus one
// (0xfffffff0, 13, 0x7ffffff8) makes it read, skip or allocate as much,
// and the file then looks cut short. Before each read the Reader looks at
// the blocks pcapgo is about to read, in its own buffer without consuming
// them, and refuses a length no pcapng block can have with a reason of its
// own (RFC draft-ietf-opsawg-pcapng, section 3.1).

// pcapng block types whose minimum length is more than the bare 12 bytes.
const (
	ngSectionHeader = 0x0a0d0d0a
	ngInterface     = 0x00000001
	ngOldPacket     = 0x00000002
	ngSimplePacket  = 0x00000003
	ngStatistics    = 0x00000005
	ngEnhanced      = 0x00000006
	ngByteOrder     = 0x1a2b3c4d
)

// maxBlock is the largest block length read: Wireshark's limit (128 MiB of
// packet data plus room for the block's header and options), so tcpflow
// refuses no file tshark reads.
const maxBlock = 128<<20 + 128<<10 + 32

// ngBlockName names a block type for messages.
func ngBlockName(typ uint32) string {
	switch typ {
	case ngSectionHeader:
		return "section header block"
	case ngInterface:
		return "interface description block"
	case ngOldPacket:
		return "packet block"
	case ngSimplePacket:
		return "simple packet block"
	case ngStatistics:
		return "interface statistics block"
	case ngEnhanced:
		return "enhanced packet block"
	}
	return fmt.Sprintf("block of type %#x", typ)
}

// ngMinBlock is the smallest length a block of the type can have: its
// header and trailer (12 bytes) and its fixed fields.
func ngMinBlock(typ uint32) uint32 {
	switch typ {
	case ngSectionHeader:
		return 28
	case ngInterface:
		return 20
	case ngOldPacket, ngEnhanced:
		return 32
	case ngSimplePacket:
		return 16
	case ngStatistics:
		return 24
	}
	return 12
}

// ngBlockError says what is wrong with a block's length, or nil.
func ngBlockError(typ, n uint32) error {
	switch {
	case n > maxBlock:
		return fmt.Errorf("pcapng %s: block length %d is too large (the most is %d)", ngBlockName(typ), n, maxBlock)
	case n < ngMinBlock(typ):
		return fmt.Errorf("pcapng %s: block length %d is below the minimum of %d", ngBlockName(typ), n, ngMinBlock(typ))
	case n%4 != 0:
		return fmt.Errorf("pcapng %s: block length %d is not a multiple of 4", ngBlockName(typ), n)
	}
	return nil
}

// checkBlocks looks at the blocks from the read position up to and
// including the next packet block, as far as the buffer holds them, and
// returns the offset (from the read position) and fault of the first whose
// length is bogus. Where the bytes run out, pcapgo's own reading decides.
// Section headers set the byte order of the blocks after them: ngBig is the
// order at the read position (ngKnown false when blocks pcapgo read
// unchecked may have changed it), and ngNext, ngNextKnown what they become
// once pcapgo has read up to the packet block.
func (f *file) checkBlocks() (int, error) {
	big, known, off := f.ngBig, f.ngKnown, 0
	for {
		h, err := f.br.Peek(off + 12)
		if len(h) < off+12 {
			// The end of the input (pcapgo says what is cut short), or
			// blocks beyond the buffer, which pcapgo reads unchecked.
			f.ngNext, f.ngNextKnown = big, known && err != bufio.ErrBufferFull
			return 0, nil
		}
		b := h[off:]
		// A section header's type reads the same in both byte orders, and
		// its byte-order magic says the order of its section.
		if binary.LittleEndian.Uint32(b) == ngSectionHeader {
			switch binary.BigEndian.Uint32(b[8:]) {
			case ngByteOrder:
				big, known = true, true
			case bits.ReverseBytes32(ngByteOrder):
				big, known = false, true
			default:
				known = false // pcapgo refuses it
			}
		}
		if !known {
			f.ngNext, f.ngNextKnown = big, false
			return 0, nil
		}
		order := binary.ByteOrder(binary.LittleEndian)
		if big {
			order = binary.BigEndian
		}
		typ, n := order.Uint32(b), order.Uint32(b[4:])
		if err := ngBlockError(typ, n); err != nil {
			return off, err
		}
		switch typ {
		case ngEnhanced, ngSimplePacket, ngOldPacket:
			f.ngNext, f.ngNextKnown = big, true
			return 0, nil
		}
		off += int(n)
	}
}
