package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/pipeline"
)

// progress shows a progress bar on stderr while a long input is read: bytes of
// the total, frames per second and the time left. It appears only when stderr
// is a terminal, the inputs are files of known size and --quiet is off, and
// only after the first half second, so short runs print nothing.
type progress struct {
	stop chan struct{}
	exit chan struct{}
	once sync.Once
}

func newProgress(r *capture.Reader, inputs []string, stderr io.Writer, quiet bool) *progress {
	f, ok := stderr.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	var total int64
	for _, name := range inputs {
		st, err := os.Stat(name)
		if name == "-" || err != nil || !st.Mode().IsRegular() {
			return nil
		}
		total += st.Size()
	}
	p := &progress{stop: make(chan struct{}), exit: make(chan struct{})}
	go p.run(r, total, f)
	return p
}

func (p *progress) run(r *capture.Reader, total int64, w io.Writer) {
	defer close(p.exit)
	start := time.Now()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var bar *progressbar.ProgressBar
	for {
		select {
		case <-p.stop:
			if bar != nil {
				bar.Finish()
				fmt.Fprintln(w)
			}
			return
		case <-tick.C:
		}
		if bar == nil {
			if time.Since(start) < 500*time.Millisecond {
				continue
			}
			bar = progressbar.NewOptions64(total,
				progressbar.OptionSetWriter(w),
				progressbar.OptionShowBytes(true),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionSetWidth(30),
				progressbar.OptionThrottle(200*time.Millisecond),
				progressbar.OptionSetDescription("reading"))
		}
		frames := r.FramesRead()
		bar.Describe(fmt.Sprintf("reading, %.0f frames/s", float64(frames)/time.Since(start).Seconds()))
		bar.Set64(min(r.BytesRead(), total))
	}
}

// done removes the bar once the input has been read.
func (p *progress) done() {
	if p == nil {
		return
	}
	p.once.Do(func() {
		close(p.stop)
		<-p.exit
	})
}

// liveStatus is the status line of a live capture on stderr: packets
// captured, connections open, packets the kernel dropped. It appears when
// stderr is a terminal and --quiet is off. When stdout is the same terminal,
// what tcpflow prints there clears the line first (the next update draws
// it again), so the two never mix.
type liveStatus struct {
	mu    sync.Mutex
	w     io.Writer
	shown bool // the line is on the screen
	stop  chan struct{}
	exit  chan struct{}
	once  sync.Once
}

// newLiveStatus starts the status line; it returns stdout to write the
// report to.
func newLiveStatus(r *capture.Reader, p *pipeline.Progress, iface string, stdout, stderr io.Writer, quiet bool) (*liveStatus, io.Writer) {
	f, ok := stderr.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, stdout
	}
	s := &liveStatus{w: f, stop: make(chan struct{}), exit: make(chan struct{})}
	if o, ok := stdout.(*os.File); ok && term.IsTerminal(int(o.Fd())) {
		stdout = clearingWriter{s, stdout}
	}
	go s.run(r, p, iface)
	return s, stdout
}

func (s *liveStatus) run(r *capture.Reader, p *pipeline.Progress, iface string) {
	defer close(s.exit)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			s.mu.Lock()
			s.clear()
			s.mu.Unlock()
			return
		case <-tick.C:
		}
		line := fmt.Sprintf("capturing on %s: %d packets, %d open connections, %d dropped by kernel",
			escapeName(iface), r.FramesRead(), p.Open.Load(), r.KernelDrops())
		s.mu.Lock()
		fmt.Fprint(s.w, "\r\x1b[K"+line)
		s.shown = true
		s.mu.Unlock()
	}
}

// clear takes the line off the screen; the caller holds mu.
func (s *liveStatus) clear() {
	if s.shown {
		fmt.Fprint(s.w, "\r\x1b[K")
		s.shown = false
	}
}

// done removes the line for good.
func (s *liveStatus) done() {
	if s == nil {
		return
	}
	s.once.Do(func() {
		close(s.stop)
		<-s.exit
	})
}

// clearingWriter clears the status line before each write.
type clearingWriter struct {
	s *liveStatus
	w io.Writer
}

func (c clearingWriter) Write(p []byte) (int, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.s.clear()
	return c.w.Write(p)
}

// escapeName makes a name from the user printable on a terminal.
func escapeName(s string) string {
	q := strconv.Quote(s)
	if q[1:len(q)-1] == s {
		return s
	}
	return q
}
