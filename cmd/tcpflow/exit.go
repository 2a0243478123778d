package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/report"
)

// Exit codes, the same for tcpflow and tcpflow check (helpExit says them to
// users, README.md too).
const (
	exitOK        = 0
	exitDiffer    = 1 // check: the captures differ from the golden report
	exitUsage     = 2 // a bad flag, filter or argument
	exitInput     = 3 // an input could not be read to its end; the report covers what was read
	exitOutput    = 4 // the output could not be written
	exitInterrupt = 128
)

// sys is what a run takes from its process: the standard streams and the
// signals that stop it (nil: none, as in most tests).
type sys struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	signals        <-chan os.Signal
}

// say writes a message to stderr, prefixed with the command's name; names
// and values the user or a capture gave are escaped as payload bytes are, so
// that none can move the cursor or change the terminal.
func (s *sys) say(prog, format string, args ...any) {
	fmt.Fprintf(s.stderr, "%s: %s\n", prog, report.Escape(fmt.Sprintf(format, args...)))
}

// usageError says what is wrong with the command line, shows the usage
// lines and returns exitUsage.
func (s *sys) usageError(prog, format string, args ...any) int {
	s.say(prog, format, args...)
	fmt.Fprint(s.stderr, usageLines[prog])
	return exitUsage
}

// closedPipe reports whether err is the reader of standard output going
// away (tcpflow big.pcap | head): not a failure, the run just ends.
func closedPipe(err error) bool {
	return errors.Is(err, syscall.EPIPE)
}

// inputFault says an input fault: missing files as "no such capture file",
// everything else as the reader words it (file, frame, byte offset).
func (s *sys) inputFault(prog string, err error, in *inputArgs) {
	var re *capture.ReadError
	if errors.As(err, &re) && re.Frame == 0 && errors.Is(err, fs.ErrNotExist) {
		s.say(prog, "%s", in.missing(re.File))
		return
	}
	s.say(prog, "%v", err)
}
