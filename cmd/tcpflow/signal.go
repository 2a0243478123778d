package main

import (
	"errors"
	"io"
	"os"
	"sync"
	"syscall"
)

// stopper turns the first SIGINT or SIGTERM into a closed stop channel: the
// run stops reading and reports what it read. release, when set, gives the
// signals back to their default action after the first, so that a second
// Ctrl-C ends the process at once (main passes signal.Reset).
type stopper struct {
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	sig  os.Signal
}

func watchSignals(signals <-chan os.Signal, release func()) *stopper {
	s := &stopper{stop: make(chan struct{}), done: make(chan struct{})}
	if signals == nil {
		return s
	}
	go func() {
		select {
		case sig := <-signals:
			s.mu.Lock()
			s.sig = sig
			s.mu.Unlock()
			if release != nil {
				release()
			}
			close(s.stop)
		case <-s.done:
		}
	}()
	return s
}

// end stops watching; it returns the exit code of the signal received, or
// 0 when none came.
func (s *stopper) end() int {
	close(s.done)
	s.mu.Lock()
	defer s.mu.Unlock()
	if sig, ok := s.sig.(syscall.Signal); ok {
		return exitInterrupt + int(sig) // 130 for SIGINT, 143 for SIGTERM
	}
	return 0
}

// errStopped is what a read of standard input returns once a signal came.
var errStopped = errors.New("reading stopped by a signal")

// stopReader reads r in a goroutine, so that a read blocked on a quiet pipe
// (tcpdump -w - | tcpflow -) returns errStopped as soon as stop is closed,
// instead of waiting for data that may never come. Reads from files never
// block, so only standard input goes through it.
type stopReader struct {
	r    io.Reader
	stop <-chan struct{}
	buf  []byte
	res  chan readResult
}

type readResult struct {
	n   int
	err error
}

func newStopReader(r io.Reader, stop <-chan struct{}) *stopReader {
	return &stopReader{r: r, stop: stop, res: make(chan readResult, 1)}
}

func (s *stopReader) Read(p []byte) (int, error) {
	select {
	case <-s.stop:
		return 0, errStopped
	default:
	}
	// The goroutine reads into a buffer of its own: after a stop it may
	// still be blocked in r.Read, and p is the caller's again.
	if cap(s.buf) < len(p) {
		s.buf = make([]byte, len(p))
	}
	buf := s.buf[:len(p)]
	go func() {
		n, err := s.r.Read(buf)
		s.res <- readResult{n, err}
	}()
	select {
	case r := <-s.res:
		return copy(p, buf[:r.n]), r.err
	case <-s.stop:
		return 0, errStopped
	}
}
