package main

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// usageLines are what a usage error shows under its message.
var usageLines = map[string]string{
	"tcpflow": `usage: tcpflow [flags] CAPTURE... [FILTER]
       tcpflow [flags] -r CAPTURE [-r CAPTURE]... [FILTER]
       tcpflow [flags] -i INTERFACE [FILTER]
       tcpflow check --golden FILE [flags] CAPTURE...
       tcpflow query DIR 'SQL' | --preset NAME
Run 'tcpflow --help' for the flags, 'tcpflow help check' for check.
`,
	"tcpflow check": `usage: tcpflow check --golden FILE [--update] [--ignore CATEGORIES] [--tolerance CAT=TOL,...] CAPTURE... [FILTER]
Run 'tcpflow help check' for more.
`,
}

const helpIntro = `usage: tcpflow [flags] CAPTURE... [FILTER]
       tcpflow [flags] -r CAPTURE [-r CAPTURE]... [FILTER]
       tcpflow [flags] -i INTERFACE [FILTER]             (a live capture)
       tcpflow check --golden FILE [flags] CAPTURE...    (tcpflow help check)
       tcpflow query DIR 'SQL' | --preset NAME           (SQL over --format parquet tables)

tcpflow tells what happened to every TCP connection in pcap and pcapng
captures (gzip-compressed or not; "-" is standard input): a table of the
connections with how each ended, the findings of Wireshark's expert analysis,
and each connection's facts and annotated timeline. Several captures, or a
directory of rotated ones, are merged by timestamp into one capture, as
mergecap does (--files-in-order reads them one after another).

A capture filter in tcpdump's language may follow the captures
(tcpflow f.pcap tcp port 80), or be given with -f; with -r every argument is
the filter, as in tcpdump.
`

const helpExamples = `Examples:
  Post-mortem:
    tcpflow --summary big.pcap.gz          the table, the findings and each connection's
                                           facts: the place to start
    tcpflow big.pcap host 10.0.0.5         only the frames a capture filter keeps
    tcpflow --conn 12 big.pcap             one connection (Wireshark's tcp.stream eq 12),
                                           with its timeline
    tcpflow --follow 12 big.pcap           its conversation, like Follow TCP Stream
    tcpflow --format jsonl big.pcap | jq   one JSON object per connection and segment
  Teaching:
    tcpflow --explain --conn 0 web.pcap    the handshake and teardown in words, with
                                           the real numbers and a ladder diagram
  CI regression (tcpflow help check):
    tcpflow check --update --ignore capture,isn,ports,rtt,time --tolerance packets=20% \
        --golden login.golden login.pcap
    tcpflow check --golden login.golden new-login.pcap
`

const helpExit = `Exit status (tcpflow and tcpflow check):
  0    success
  1    check: the captures differ from the golden report
  2    usage error: a bad flag, filter or argument, or a --conn/--follow id the
       capture does not have
  3    an input could not be read to its end (missing, not a capture, corrupt,
       cut short); tcpflow still prints the report of everything read, check
       compares nothing
  4    the output could not be written (a closed pipe is not an error: tcpflow
       stops quietly with status 0, or 3 after an input fault)
  130  interrupted (Ctrl-C, SIGINT), 143 terminated (SIGTERM): the report of
       what was read is printed, marked interrupted; a second signal ends
       tcpflow at once
`

// helpSection is a titled group of flags in --help.
type helpSection struct {
	title string
	flags []*pflag.Flag
}

// helpSections groups flags into sections as they are defined: start opens
// a section that takes every flag defined until the next start.
type helpSections struct {
	list  []helpSection
	names []string // the flag names already in a section
}

func (h *helpSections) start(fs *pflag.FlagSet, title string) {
	h.take(fs)
	h.list = append(h.list, helpSection{title: title})
}

// take puts the flags defined since the last call into the open section.
func (h *helpSections) take(fs *pflag.FlagSet) {
	fs.VisitAll(func(fl *pflag.Flag) {
		if len(h.list) == 0 || contains(h.names, fl.Name) {
			return
		}
		h.names = append(h.names, fl.Name)
		last := &h.list[len(h.list)-1]
		last.flags = append(last.flags, fl)
	})
}

func (h *helpSections) done(fs *pflag.FlagSet) []helpSection {
	h.take(fs)
	return h.list
}

// helpWidth is the width --help wraps its flag descriptions to.
const helpWidth = 80

// writeFlags writes the sections' flags: the names and value on the left,
// the description wrapped on the right, and the default when it is not the
// zero value.
func writeFlags(w io.Writer, sections []helpSection) {
	const col = 26
	for _, s := range sections {
		if s.title != "" {
			fmt.Fprintf(w, "%s:\n", s.title)
		}
		for _, fl := range s.flags {
			if fl.Hidden {
				continue
			}
			name, usage := pflag.UnquoteUsage(fl)
			left := "      --" + fl.Name
			if fl.Shorthand != "" {
				left = "  -" + fl.Shorthand + ", --" + fl.Name
			}
			if fl.Value.Type() != "bool" {
				if name == "" || name == "string" {
					name = "VALUE"
				}
				left += " " + strings.ToUpper(name)
			}
			if d := defaultText(fl); d != "" {
				usage += " (default " + d + ")"
			}
			lines := wrapWords(usage, helpWidth-col)
			if len(left) >= col-1 {
				fmt.Fprintln(w, left)
			} else {
				fmt.Fprintf(w, "%-*s%s\n", col, left, lines[0])
				lines = lines[1:]
			}
			for _, l := range lines {
				fmt.Fprintf(w, "%*s%s\n", col, "", l)
			}
		}
		fmt.Fprintln(w)
	}
}

// defaultText is a flag's default as --help shows it: nothing when it is
// the zero value, unset or already said in the description.
func defaultText(fl *pflag.Flag) string {
	switch d := fl.DefValue; {
	case d == "" || d == "0" || d == "-1" || d == "false" || d == "[]":
		return ""
	case strings.Contains(fl.Usage, "(default"):
		return ""
	default:
		return d
	}
}

// wrapWords breaks text into lines of at most width bytes at spaces; a word
// longer than width gets a line of its own.
func wrapWords(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case len(line)+1+len(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	return append(lines, line)
}

// writeHelp writes tcpflow's --help.
func writeHelp(w io.Writer, sections []helpSection) {
	fmt.Fprint(w, helpIntro, "\n")
	writeFlags(w, sections)
	fmt.Fprint(w, helpExamples, "\n")
	fmt.Fprint(w, helpExit)
}

// version says which tcpflow this is, from the build information: the
// module version when installed with go install, else the VCS revision the
// binary was built from.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "tcpflow (no build information)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, at string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	out := "tcpflow " + v
	if rev != "" {
		out += ", commit " + rev[:min(12, len(rev))]
		if dirty {
			out += " (modified)"
		}
		if at != "" {
			out += " of " + at
		}
	}
	return out + ", " + bi.GoVersion
}

// flagError rewrites pflag's parse errors as tcpflow's messages say things.
func flagError(err error) string {
	var notExist *pflag.NotExistError
	var needs *pflag.ValueRequiredError
	var invalid *pflag.InvalidValueError
	switch {
	case errors.As(err, &notExist):
		if s := notExist.GetSpecifiedShortnames(); s != "" {
			return fmt.Sprintf("unknown flag -%s", notExist.GetSpecifiedName())
		}
		return fmt.Sprintf("unknown flag --%s", notExist.GetSpecifiedName())
	case errors.As(err, &needs):
		fl := needs.GetFlag()
		name, _ := pflag.UnquoteUsage(fl)
		return fmt.Sprintf("%s needs a value (%s)", flagName(fl), strings.ToUpper(name))
	case errors.As(err, &invalid):
		cause := errors.Unwrap(invalid)
		why := cause.Error()
		switch {
		case errors.Is(cause, strconv.ErrSyntax):
			why = "not a number"
		case errors.Is(cause, strconv.ErrRange):
			why = "out of range"
		}
		return fmt.Sprintf("%s %q: %s", flagName(invalid.GetFlag()), invalid.GetValue(), why)
	}
	return err.Error()
}

func flagName(fl *pflag.Flag) string {
	if fl.Shorthand != "" {
		return "-" + fl.Shorthand + "/--" + fl.Name
	}
	return "--" + fl.Name
}
