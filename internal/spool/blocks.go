package spool

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
)

// Blocks is a store of fixed-size blocks that are written once, read back,
// then freed for reuse: the segment records a run keeps for each open
// connection, which are read when the connection is finished and then no
// longer needed. Freed blocks are written over, so it holds what is live at
// once, not everything ever written: in memory up to a limit, then in an
// unlinked temporary file. Its methods may be called from several
// goroutines.
type Blocks struct {
	mu        sync.Mutex
	dir       string
	size      int
	memBlocks int64    // blocks kept in memory: numbers [0, memBlocks)
	mem       [][]byte // chunks of chunkBlocks blocks, allocated as needed
	f         *os.File
	next      int64   // blocks ever used: the next fresh number
	memFree   []int64 // freed numbers in memory, used first
	fileFree  []int64 // freed numbers in the file
	err       error
	closed    bool

	// Blocks bound for the file wait in a write-back buffer, to go out
	// sorted and joined into runs: one system call for many blocks (and none
	// for a block freed before its turn).
	dirty map[int64]int // block number -> slot of wbuf
	wbuf  []byte        // dirtyMax slots of a block each
	wfree []int         // free slots of wbuf
	run   []byte        // a run of adjacent blocks being written
}

const (
	chunkBlocks = 64
	dirtyMax    = 1024
)

// NewBlocks returns a store of blocks of size bytes that keeps up to memMax
// bytes of them in memory and the rest in a temporary file in dir ("" for
// the system's).
func NewBlocks(dir string, size int, memMax int64) *Blocks {
	return &Blocks{dir: dir, size: size, memBlocks: memMax / int64(size)}
}

// Write stores a block (len(b) must be the block size) and returns its
// offset, for ReadAt and Free.
func (s *Blocks) Write(b []byte) (int64, error) {
	if len(b) != s.size {
		return 0, fmt.Errorf("spool: block of %d bytes, want %d", len(b), s.size)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return 0, s.err
	}
	if s.closed {
		return 0, errors.New("spool: write after close")
	}
	var n int64
	switch {
	case len(s.memFree) > 0:
		n, s.memFree = s.memFree[len(s.memFree)-1], s.memFree[:len(s.memFree)-1]
	case s.next < s.memBlocks:
		n = s.next
		s.next++
	case len(s.fileFree) > 0:
		n, s.fileFree = s.fileFree[len(s.fileFree)-1], s.fileFree[:len(s.fileFree)-1]
	default:
		n = s.next
		s.next++
	}
	off := n * int64(s.size)
	if n < s.memBlocks {
		copy(s.memBlock(n), b)
		return off, nil
	}
	if s.f == nil {
		f, err := os.CreateTemp(s.dir, "tcpflow-blocks-*")
		if err != nil {
			s.err = fmt.Errorf("spool: %w", err)
			return off, s.err
		}
		os.Remove(f.Name()) // open files stay readable; nothing is left behind
		s.f = f
		s.dirty = make(map[int64]int, dirtyMax)
		s.wbuf = make([]byte, dirtyMax*s.size)
		for i := dirtyMax - 1; i >= 0; i-- {
			s.wfree = append(s.wfree, i)
		}
	}
	if len(s.wfree) == 0 {
		s.flush()
	}
	i := s.wfree[len(s.wfree)-1]
	s.wfree = s.wfree[:len(s.wfree)-1]
	s.dirty[n] = i
	copy(s.wbuf[i*s.size:(i+1)*s.size], b)
	return off, s.err
}

// flush writes the write-back buffer to the file, adjacent blocks in one
// write.
func (s *Blocks) flush() {
	nums := make([]int64, 0, len(s.dirty))
	for n := range s.dirty {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	for len(nums) > 0 {
		k := 1
		for k < len(nums) && nums[k] == nums[0]+int64(k) {
			k++
		}
		s.run = s.run[:0]
		for _, n := range nums[:k] {
			i := s.dirty[n]
			s.run = append(s.run, s.wbuf[i*s.size:(i+1)*s.size]...)
			s.wfree = append(s.wfree, i)
			delete(s.dirty, n)
		}
		if _, err := s.f.WriteAt(s.run, (nums[0]-s.memBlocks)*int64(s.size)); err != nil && s.err == nil {
			s.err = fmt.Errorf("spool file: %w", err)
		}
		nums = nums[k:]
	}
}

// memBlock is block n's memory (n < memBlocks).
func (s *Blocks) memBlock(n int64) []byte {
	c := n / chunkBlocks
	for int64(len(s.mem)) <= c {
		s.mem = append(s.mem, nil)
	}
	if s.mem[c] == nil {
		s.mem[c] = make([]byte, chunkBlocks*s.size)
	}
	i := int(n%chunkBlocks) * s.size
	return s.mem[c][i : i+s.size]
}

// ReadAt fills p (a block) with the block written at off.
func (s *Blocks) ReadAt(p []byte, off int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	n := off / int64(s.size)
	if len(p) != s.size || off%int64(s.size) != 0 || n < 0 || n >= s.next {
		return fmt.Errorf("spool: read of %d bytes at %d: not a block written", len(p), off)
	}
	if n < s.memBlocks {
		copy(p, s.memBlock(n))
		return nil
	}
	if i, ok := s.dirty[n]; ok {
		copy(p, s.wbuf[i*s.size:(i+1)*s.size])
		return nil
	}
	if _, err := s.f.ReadAt(p, (n-s.memBlocks)*int64(s.size)); err != nil {
		s.err = fmt.Errorf("spool file: %w", err)
	}
	return s.err
}

// Free gives the block at off back, to be written over.
func (s *Blocks) Free(off int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := off / int64(s.size); n < s.memBlocks {
		s.memFree = append(s.memFree, n)
	} else {
		if i, ok := s.dirty[n]; ok { // never written: no need to
			delete(s.dirty, n)
			s.wfree = append(s.wfree, i)
		}
		s.fileFree = append(s.fileFree, n)
	}
}

// Live is the number of blocks written and not freed.
func (s *Blocks) Live() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.next - int64(len(s.memFree)+len(s.fileFree))
}

// OnDisk reports whether some block went to the file.
func (s *Blocks) OnDisk() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f != nil
}

// Close frees the memory and the file. It is safe to call more than once.
func (s *Blocks) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.mem, s.memFree, s.fileFree, s.dirty, s.wbuf = nil, nil, nil, nil, nil
	if s.f != nil {
		err := s.f.Close()
		s.f = nil
		return err
	}
	return nil
}
