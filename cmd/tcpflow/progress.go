package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/tcpflow/tcpflow/capture"
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
