package spool

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// TestBlocks writes, reads and frees blocks at random across the memory
// limit, checking every block reads back as written while others are freed
// and written over, and that the store holds what is live, not what was
// ever written.
func TestBlocks(t *testing.T) {
	const size = 100
	for _, memMax := range []int64{0, 5 * size, 1 << 20} {
		dir := t.TempDir()
		s := NewBlocks(dir, size, memMax)
		rng := rand.New(rand.NewPCG(3, 4))
		live := map[int64][]byte{}
		var offs []int64
		maxLive := 0
		for i := 0; i < 8000; i++ {
			// First more blocks than the write-back buffer holds, then
			// writes and frees mixed.
			if i >= 2*dirtyMax && len(offs) > 0 && rng.IntN(2) == 0 {
				j := rng.IntN(len(offs))
				off := offs[j]
				got := make([]byte, size)
				if err := s.ReadAt(got, off); err != nil || !bytes.Equal(got, live[off]) {
					t.Fatalf("memMax %d: block at %d reads %v (err %v), want what was written", memMax, off, got[:4], err)
				}
				s.Free(off)
				delete(live, off)
				offs[j] = offs[len(offs)-1]
				offs = offs[:len(offs)-1]
				continue
			}
			b := make([]byte, size)
			for k := range b {
				b[k] = byte(rng.Uint32())
			}
			off, err := s.Write(b)
			if err != nil {
				t.Fatal(err)
			}
			if _, dup := live[off]; dup {
				t.Fatalf("memMax %d: offset %d given out twice", memMax, off)
			}
			live[off] = b
			offs = append(offs, off)
			maxLive = max(maxLive, len(offs))
		}
		for off, b := range live {
			got := make([]byte, size)
			if err := s.ReadAt(got, off); err != nil || !bytes.Equal(got, b) {
				t.Fatalf("memMax %d: block at %d differs at the end (err %v)", memMax, off, err)
			}
		}
		if s.Live() != int64(len(live)) {
			t.Errorf("memMax %d: %d live, want %d", memMax, s.Live(), len(live))
		}
		// Freed blocks are reused: the store never grew past the most live at once.
		if s.next > int64(maxLive) {
			t.Errorf("memMax %d: %d blocks used for at most %d live", memMax, s.next, maxLive)
		}
		if want := memMax < 1<<20; s.OnDisk() != want {
			t.Errorf("memMax %d: on disk %v, want %v", memMax, s.OnDisk(), want)
		}
		if err := s.ReadAt(make([]byte, size), s.next*size); err == nil {
			t.Errorf("memMax %d: reading a block never written gave no error", memMax)
		}
		if _, err := s.Write(make([]byte, size-1)); err == nil {
			t.Errorf("memMax %d: a short block was taken", memMax)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
			t.Errorf("memMax %d: files left behind: %v", memMax, left)
		}
	}
}
