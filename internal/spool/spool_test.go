package spool

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestSpool writes records of many sizes across the memory limit and the
// block and buffer boundaries, and reads each one back.
func TestSpool(t *testing.T) {
	for _, memMax := range []int64{0, 100, 3 * blockSize, 1 << 40} {
		dir := t.TempDir()
		s := New(dir, memMax)
		rng := rand.New(rand.NewPCG(1, 2))
		type rec struct {
			off  int64
			data []byte
		}
		var recs []rec
		for i := 0; i < 400; i++ {
			n := rng.IntN(40000)
			if i%97 == 0 {
				n = 3*blockSize + 17 // larger than the write buffer
			}
			b := make([]byte, n)
			for j := range b {
				b[j] = byte(rng.Uint32())
			}
			off, err := s.Write(b)
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, rec{off, b})
			if i%50 == 0 { // read back while writing
				r := recs[rng.IntN(len(recs))]
				got := make([]byte, len(r.data))
				if err := s.ReadAt(got, r.off); err != nil || !bytes.Equal(got, r.data) {
					t.Fatalf("memMax %d: early read at %d: %v", memMax, r.off, err)
				}
			}
		}
		for _, r := range recs {
			got := make([]byte, len(r.data))
			if err := s.ReadAt(got, r.off); err != nil || !bytes.Equal(got, r.data) {
				t.Fatalf("memMax %d: read at %d: %v", memMax, r.off, err)
			}
		}
		if want := memMax < 1<<40; s.OnDisk() != want {
			t.Errorf("memMax %d: on disk %v, want %v", memMax, s.OnDisk(), want)
		}
		if err := s.ReadAt(make([]byte, 2), s.Size()-1); err == nil {
			t.Errorf("memMax %d: read beyond the end gave no error", memMax)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
			t.Errorf("memMax %d: files left behind: %v", memMax, left)
		}
	}
}

// TestSpoolConcurrent reads finished records while another goroutine writes
// (run with -race).
func TestSpoolConcurrent(t *testing.T) {
	s := New(t.TempDir(), 1<<16)
	defer s.Close()
	offs := make(chan [2]int64, 1000)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for o := range offs {
			got := make([]byte, o[1])
			if err := s.ReadAt(got, o[0]); err != nil {
				t.Error(err)
				return
			}
			for _, c := range got {
				if c != byte(o[1]) {
					t.Errorf("read at %d: byte %d, want %d", o[0], c, byte(o[1]))
					return
				}
			}
		}
	}()
	for i := 1; i < 1000; i++ {
		off, err := s.Write(bytes.Repeat([]byte{byte(i)}, i))
		if err != nil {
			t.Fatal(err)
		}
		offs <- [2]int64{off, int64(i)}
	}
	close(offs)
	wg.Wait()
}

// TestSpoolUnwritableDir reports the directory's error on the write that
// needs the file.
func TestSpoolUnwritableDir(t *testing.T) {
	s := New(filepath.Join(t.TempDir(), "missing"), 10)
	if _, err := s.Write(make([]byte, 5)); err != nil {
		t.Fatalf("in-memory write: %v", err)
	}
	if _, err := s.Write(make([]byte, 10)); err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("write past memory into a missing directory: %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}
