// Package spool keeps bytes written once and read back later, in memory up to
// a limit and in an unlinked temporary file beyond it, so that reports which
// need another order than the one things are produced in (connections in id
// order, a table before the sections it summarizes) cost disk, not memory.
// Blocks is its counterpart for data that dies: fixed-size blocks written,
// read back and freed, whose room is reused, so it holds what is live.
//
// The file is removed from its directory as soon as it is created: it lives
// only as long as it is open, so nothing is left behind when the process ends,
// however it ends.
package spool

import (
	"errors"
	"fmt"
	"os"
	"sync"
)

// Spool is an append-only store of bytes addressed by offset. Its methods may
// be called from several goroutines; a read must only ask for bytes whose
// Write has returned.
type Spool struct {
	mu      sync.Mutex
	dir     string
	memMax  int64
	mem     [][]byte // in-memory blocks of blockSize, until the file exists
	size    int64    // bytes written
	f       *os.File
	buf     []byte // written bytes not yet in the file: [flushed, size)
	flushed int64
	err     error
	closed  bool
}

const blockSize = 1 << 20

// New returns a spool that keeps up to memMax bytes in memory and puts the
// rest in a temporary file in dir ("" for the system's temporary directory).
func New(dir string, memMax int64) *Spool { return &Spool{dir: dir, memMax: memMax} }

// Write appends b and returns the offset of its first byte.
func (s *Spool) Write(b []byte) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	off := s.size
	if s.err != nil {
		return off, s.err
	}
	if s.closed {
		return off, errors.New("spool: write after close")
	}
	if s.f == nil && s.size+int64(len(b)) > s.memMax {
		if err := s.toFile(); err != nil {
			s.err = err
			return off, err
		}
	}
	s.size += int64(len(b))
	if s.f == nil {
		for len(b) > 0 {
			if len(s.mem) == 0 || len(s.mem[len(s.mem)-1]) == blockSize {
				s.mem = append(s.mem, make([]byte, 0, blockSize))
			}
			last := &s.mem[len(s.mem)-1]
			n := min(len(b), blockSize-len(*last))
			*last = append(*last, b[:n]...)
			b = b[n:]
		}
		return off, nil
	}
	if len(s.buf)+len(b) > cap(s.buf) {
		if err := s.flush(); err != nil {
			return off, err
		}
	}
	if len(b) > cap(s.buf) {
		_, err := s.f.WriteAt(b, s.flushed)
		s.flushed += int64(len(b))
		s.setErr(err)
		return off, s.err
	}
	s.buf = append(s.buf, b...)
	return off, nil
}

func (s *Spool) setErr(err error) {
	if err != nil && s.err == nil {
		s.err = fmt.Errorf("spool file: %w", err)
	}
}

// toFile moves what is in memory to a new, unlinked temporary file.
func (s *Spool) toFile() error {
	f, err := os.CreateTemp(s.dir, "tcpflow-spool-*")
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	os.Remove(f.Name()) // open files stay readable; nothing is left behind
	s.f = f
	s.buf = make([]byte, 0, blockSize)
	for _, blk := range s.mem {
		if _, err := f.Write(blk); err != nil {
			return fmt.Errorf("spool file: %w", err)
		}
		s.flushed += int64(len(blk))
	}
	s.mem = nil
	return nil
}

func (s *Spool) flush() error {
	if len(s.buf) == 0 {
		return s.err
	}
	_, err := s.f.WriteAt(s.buf, s.flushed)
	s.flushed += int64(len(s.buf))
	s.buf = s.buf[:0]
	s.setErr(err)
	return s.err
}

// ReadAt fills p with the bytes at off.
func (s *Spool) ReadAt(p []byte, off int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if off < 0 || off+int64(len(p)) > s.size {
		return fmt.Errorf("spool: read of %d bytes at %d beyond the %d written", len(p), off, s.size)
	}
	if s.f == nil {
		for len(p) > 0 {
			blk := s.mem[off/blockSize]
			n := copy(p, blk[off%blockSize:])
			p, off = p[n:], off+int64(n)
		}
		return nil
	}
	if off+int64(len(p)) > s.flushed {
		if err := s.flush(); err != nil {
			return err
		}
	}
	_, err := s.f.ReadAt(p, off)
	s.setErr(err)
	return s.err
}

// Size is the number of bytes written.
func (s *Spool) Size() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.size
}

// OnDisk reports whether the spool has moved to a file.
func (s *Spool) OnDisk() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f != nil
}

// Close frees the memory and the file. It is safe to call more than once.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.mem, s.buf = nil, nil
	if s.f != nil {
		err := s.f.Close()
		s.f = nil
		return err
	}
	return nil
}
