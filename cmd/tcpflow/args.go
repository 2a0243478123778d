package main

import (
	"errors"
	"os"
	"strings"

	"github.com/tcpflow/tcpflow/capture/filter"
)

// splitArgs decides which arguments name captures and which make up the
// capture filter, as tcpdump users expect:
//
//   - with -r (read), every argument is the filter (tcpdump -r f.pcap tcp port 80);
//   - otherwise the leading arguments that are existing files, or "-", are
//     captures and the rest is the filter (tcpflow f.pcap tcp port 80). An
//     argument that is neither an existing file nor the start of a filter
//     (the filter fails on that very word) is a capture that is missing: it
//     stays a capture, for the reader to report as "no such capture file".
//
// flagExpr is -f's expression; a filter given both ways is an error.
func splitArgs(read, args []string, flagExpr string) (inputArgs, error) {
	var in inputArgs
	var words []string
	if len(read) > 0 {
		in.captures, words = read, args
	} else {
		for i := 0; i < len(args); i++ {
			a := args[i]
			if a == "-" || exists(a) {
				in.captures = append(in.captures, a)
				continue
			}
			rest := strings.Join(args[i:], " ")
			_, err := filter.Compile(rest)
			var ferr *filter.Error
			if err != nil && errors.As(err, &ferr) && ferr.Pos < len(a) {
				// Neither a file nor a filter.
				in.captures = append(in.captures, a)
				if in.notFilter == nil {
					in.notFilter = map[string]string{}
				}
				in.notFilter[a] = ferr.Msg
				continue
			}
			words = args[i:]
			break
		}
	}
	expr := strings.Join(words, " ")
	switch {
	case expr != "" && flagExpr != "":
		return in, errors.New("two capture filters: give it with -f or after the captures, not both")
	case expr == "":
		expr = flagExpr
	}
	if strings.TrimSpace(expr) != "" {
		var err error
		if in.filter, err = filter.Compile(expr); err != nil {
			return in, err
		}
	}
	return in, nil
}

// inputArgs are the captures and the capture filter of a command line.
type inputArgs struct {
	captures []string
	filter   *filter.Filter // nil: none
	// notFilter holds, for each capture that is there because it is neither
	// an existing file nor the start of a filter, why it starts no filter.
	notFilter map[string]string
}

// missing says that a capture does not exist; for a name that does not
// look like a file name (tpc port 80), also why it is not a filter.
func (in *inputArgs) missing(name string) string {
	why, ok := in.notFilter[name]
	if !ok || strings.ContainsAny(name, "./") {
		return name + ": no such capture file"
	}
	return name + ": no such capture file, nor the start of a capture filter: " + why
}

// allMissing returns the captures when none of them exists (so that a typo
// gets a line, not an empty report), else nil.
func (in *inputArgs) allMissing() []string {
	for _, c := range in.captures {
		if _, err := os.Stat(c); c == "-" || !errors.Is(err, os.ErrNotExist) {
			return nil
		}
	}
	return in.captures
}

// exists reports whether name is something to open: a file, a named pipe,
// /dev/fd/N of a shell's <(...).
func exists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}
