package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/capture/filter"
	"github.com/tcpflow/tcpflow/pipeline"
)

// liveFlags are the flags of live capture, named as tcpdump names them
// (-c and -f, which files take too, are in flags.go).
type liveFlags struct {
	iface     string
	snaplen   int
	noPromisc bool
	write     string
	duration  time.Duration
	bufferKiB int
}

func addLiveFlags(fs *pflag.FlagSet, l *liveFlags) {
	fs.StringVarP(&l.iface, "interface", "i", "", "capture live on `IFACE` (\"any\" for all; Linux, needs CAP_NET_RAW) until Ctrl-C, -c or --duration; arguments after the flags are a capture filter")
	fs.IntVarP(&l.snaplen, "snapshot-length", "s", filter.DefaultSnaplen, "with -i: keep at most `N` bytes of each frame")
	fs.BoolVarP(&l.noPromisc, "no-promiscuous-mode", "p", false, "with -i: do not put the interface into promiscuous mode")
	fs.StringVarP(&l.write, "write", "w", "", "with -i: also write every frame captured to `FILE` (pcapng if it ends in .pcapng, else pcap)")
	fs.DurationVar(&l.duration, "duration", 0, "with -i: stop after `D` (e.g. 30s, 5m)")
	fs.IntVarP(&l.bufferKiB, "buffer-size", "B", capture.DefaultBufferSize>>10, "with -i: the kernel's buffer for frames not yet read, in `KiB`; frames beyond it are dropped and counted")
}

// checkLive checks the live flags; with -i the arguments are the capture
// filter, as with tcpdump (or -f, not both), and the filter runs in the
// kernel.
func checkLive(fs *pflag.FlagSet, f *flags) error {
	l := &f.live
	if l.iface == "" {
		for _, name := range []string{"snapshot-length", "no-promiscuous-mode", "write", "duration", "buffer-size"} {
			if fs.Changed(name) {
				flag := "--" + name
				if sh := fs.Lookup(name).Shorthand; sh != "" {
					flag = "-" + sh + " (" + flag + ")"
				}
				return fmt.Errorf("%s is for live capture: give an interface with -i", flag)
			}
		}
		return nil
	}
	if fs.NArg() > 0 {
		if f.filter != "" {
			return errors.New("give the capture filter either with -f or after the flags, not both")
		}
		f.filter = strings.Join(fs.Args(), " ")
	}
	switch {
	case len(f.read) > 0:
		return errors.New("-i captures live and -r reads files: give one of them")
	case l.snaplen <= 0 || l.snaplen > filter.DefaultSnaplen:
		return fmt.Errorf("-s %d: the snapshot length is from 1 to %d bytes", l.snaplen, filter.DefaultSnaplen)
	case l.bufferKiB <= 0:
		return fmt.Errorf("-B %d: the buffer size is a positive number of KiB", l.bufferKiB)
	case l.duration < 0:
		return fmt.Errorf("--duration %v: not a duration", l.duration)
	}
	return nil
}

// liveRun is a live capture being analyzed: the reader over the interface,
// what stops it (a signal, -c, --duration), and the status line.
type liveRun struct {
	r      *capture.Reader
	stdout io.Writer // stdout, made to clear the status line before it writes
	stderr io.Writer
	stop   chan struct{}
	once   sync.Once
	timer  *time.Timer
	status *liveStatus
	prog   pipeline.Progress
	ended  bool
}

// openLive opens the interface of -i; it returns the live run, or the exit
// code when it could not open it. signals is closed on Ctrl-C or SIGTERM.
func (s *sys) openLive(f *flags, signals <-chan struct{}) (*liveRun, int) {
	var flt *filter.Filter
	if strings.TrimSpace(f.filter) != "" {
		var err error
		if flt, err = filter.Compile(f.filter); err != nil {
			s.say("tcpflow", "%v", err)
			return nil, exitUsage
		}
	}
	l := &f.live
	r, err := capture.OpenLive(l.iface, capture.LiveOptions{Snaplen: l.snaplen, NoPromisc: l.noPromisc,
		Filter: flt, BufferSize: l.bufferKiB << 10, Save: l.write})
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			s.say("tcpflow", "capturing on %s needs the CAP_NET_RAW capability: run tcpflow as root, or grant it once with: sudo setcap cap_net_raw+ep $(which tcpflow)", l.iface)
		} else {
			s.say("tcpflow", "%v", err)
		}
		return nil, exitUsage
	}
	r.Count = f.count
	lv := &liveRun{r: r, stdout: s.stdout, stderr: s.stderr, stop: make(chan struct{})}
	info := r.Live()
	where := ""
	if flt != nil {
		where = ", filter in the kernel"
		if !info.KernelFilter {
			where = ", filter run by tcpflow"
		}
	}
	s.say("tcpflow", "listening on %s, link-type %s, snapshot length %d bytes%s; Ctrl-C to stop",
		l.iface, capture.LinkName(info.Link), info.Snaplen, where)
	// Ctrl-C, SIGTERM and --duration end the capture and print the report.
	go func() {
		select {
		case <-signals:
			lv.halt()
		case <-lv.stop:
		}
	}()
	if l.duration > 0 {
		lv.timer = time.AfterFunc(l.duration, lv.halt)
	}
	lv.status, lv.stdout = newLiveStatus(r, &lv.prog, l.iface, s.stdout, s.stderr, f.quiet)
	return lv, exitOK
}

func (lv *liveRun) halt() { lv.once.Do(func() { close(lv.stop) }) }

// options sets what a live run needs: the stop, a shorter linger (a
// connection's story is printed this long after it closed) and the
// progress for the status line.
func (lv *liveRun) options(o *pipeline.Options) {
	if lv == nil {
		return
	}
	o.Stop, o.Linger, o.Progress = lv.stop, int64(liveLinger), &lv.prog
}

// liveLinger is how long a closed connection waits for late segments (a
// retransmitted FIN, the last ACK) before its story is printed, in a live
// capture. A segment later than that is reported as the connection's next
// part.
const liveLinger = 2 * time.Second

// done ends the status line and the signal handling and says on stderr what
// the capture saw, as tcpdump does.
func (lv *liveRun) done(sum *pipeline.Summary) {
	if lv == nil || lv.ended {
		return
	}
	lv.ended = true
	lv.status.done()
	lv.halt()
	if lv.timer != nil {
		lv.timer.Stop()
	}
	if sum != nil {
		fmt.Fprintf(lv.stderr, "tcpflow: %d packets captured, %d dropped by kernel\n", sum.Stats.Frames, sum.Stats.KernelDrops)
	}
}
