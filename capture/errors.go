package capture

import (
	"errors"
	"fmt"
	"io"
)

// ReadError is a fault in an input file. Everything read before it is valid and has
// been delivered; the file is abandoned at the fault.
type ReadError struct {
	File   string // the name the user gave ("-" for stdin)
	Frame  uint64 // 1-based number within File of the frame whose record is faulty
	Offset int64  // byte offset of that record (of its first block, for pcapng); -1 on a live capture
	// Decompressed is set when Offset counts bytes of the decompressed stream of
	// a gzip file rather than bytes of the file itself.
	Decompressed bool
	Err          error
}

func (e *ReadError) Error() string {
	where := "byte offset"
	if e.Decompressed {
		where = "decompressed byte offset"
	}
	if e.Frame == 0 {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	if e.Offset < 0 {
		return fmt.Sprintf("%s: frame %d: %v", e.File, e.Frame, e.Err)
	}
	return fmt.Sprintf("%s: frame %d at %s %d: %v", e.File, e.Frame, where, e.Offset, e.Err)
}

func (e *ReadError) Unwrap() error { return e.Err }

// ErrCutShort reports a file that ends in the middle of a record.
var ErrCutShort = errors.New("file cut short in the middle of a record")

// describe replaces the bare errors of the pcap readers by ones a user can act on.
func describe(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return ErrCutShort
	}
	return fmt.Errorf("corrupt record: %w", err)
}
