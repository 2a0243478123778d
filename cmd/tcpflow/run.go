package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/tcpflow/tcpflow/capture"
)

// run runs tcpflow with the arguments (without the program name) and returns
// the exit code; no signals reach it.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return (&sys{stdin: stdin, stdout: stdout, stderr: stderr}).run(args, nil)
}

// run dispatches to tcpflow's commands. release, when set, gives the
// signals back to their default action once the first has been received.
func (s *sys) run(args []string, release func()) int {
	if len(args) > 0 {
		switch args[0] {
		case "check":
			return s.check(args[1:], release)
		case "query":
			return runQuery(args[1:], s.stdin, s.stdout, s.stderr)
		case "help":
			return s.help(args[1:])
		}
	}
	return s.analyze(args, release)
}

// help is `tcpflow help [check]`.
func (s *sys) help(args []string) int {
	switch {
	case len(args) == 0:
		var f flags
		writeHelp(s.stdout, f.define(newFlagSet("tcpflow")))
	case len(args) == 1 && args[0] == "check":
		var c checkOptions
		writeCheckHelp(s.stdout, c.define(newFlagSet("tcpflow check")))
	default:
		return s.usageError("tcpflow", "no help on %q (try tcpflow help, tcpflow help check)", args[0])
	}
	return exitOK
}

// newFlagSet returns an empty flag set that leaves every message to us:
// pflag with ContinueOnError prints nothing itself, and --help is ours.
func newFlagSet(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args into fs; it returns -1 to go on, or the exit code:
// exitOK after --help (written to stdout), exitUsage after a bad flag.
func (s *sys) parseFlags(prog string, fs *pflag.FlagSet, args []string, help func(io.Writer)) int {
	if err := fs.Parse(args); err != nil {
		return s.usageError(prog, "%s", flagError(err))
	}
	if h, _ := fs.GetBool("help"); h {
		help(s.stdout)
		return exitOK
	}
	return -1
}

// analyze is tcpflow without a command: it analyzes the captures and
// prints the report.
func (s *sys) analyze(args []string, release func()) int {
	var f flags
	fs := newFlagSet("tcpflow")
	sections := f.define(fs)
	if code := s.parseFlags("tcpflow", fs, args, func(w io.Writer) { writeHelp(w, sections) }); code >= 0 {
		return code
	}
	if f.version {
		fmt.Fprintln(s.stdout, version())
		return exitOK
	}
	if !fs.Changed("follow") {
		f.follow = -1
	} else if f.follow < 0 {
		return s.usageError("tcpflow", "--follow %d: not a connection id", f.follow)
	}
	if fs.Changed("count") && f.count == 0 {
		return s.usageError("tcpflow", "-c 0: want the number of frames to read, above 0")
	}
	if err := f.validate(); err != nil {
		return s.usageError("tcpflow", "%v", err)
	}
	if err := checkLive(fs, &f); err != nil {
		return s.usageError("tcpflow", "%v", err)
	}
	if f.explain && os.Getenv("GOGC") == "" {
		debug.SetGCPercent(explainGCPercent)
	}
	var in inputArgs
	if f.live.iface == "" {
		var err error
		if in, err = splitArgs(f.read, fs.Args(), f.filter); err != nil {
			return s.usageError("tcpflow", "%v", err)
		}
		if len(in.captures) == 0 {
			return s.usageError("tcpflow", "no capture to read: name one or more files, or - for standard input, or an interface with -i")
		}
	}
	if f.follow >= 0 {
		f.conns = []string{strconv.Itoa(f.follow)}
	}
	sel, err := selector(&f)
	if err != nil {
		return s.usageError("tcpflow", "%v", err)
	}
	if missing := in.allMissing(); missing != nil {
		for _, name := range missing {
			s.say("tcpflow", "%s", in.missing(name))
		}
		return exitInput
	}
	// A directory stands for the capture files in it (a rotated set).
	if in.captures, err = capture.ExpandDirs(in.captures); err != nil {
		s.say("tcpflow", "%v", err)
		return exitInput
	}
	stopProfile, err := startProfile(f.cpuProfile)
	if err != nil {
		s.say("tcpflow", "%v", err)
		return exitOutput
	}
	stop := watchSignals(s.signals, release)
	code := s.report(&f, &in, sel, stop.stop)
	if sig := stop.end(); sig != 0 && f.live.iface == "" {
		// A live capture ends with a signal as tcpdump's does: that is how
		// it is stopped, not a failure.
		code = sig
	}
	stopProfile()
	if f.memProfile != "" {
		if err := writeHeapProfile(f.memProfile); err != nil {
			s.say("tcpflow", "%v", err)
			return exitOutput
		}
	}
	return code
}
