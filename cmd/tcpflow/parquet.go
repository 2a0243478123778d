package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/tcpflow/tcpflow/capture"
	"github.com/tcpflow/tcpflow/pipeline"
	"github.com/tcpflow/tcpflow/sink"
)

// The flags of capture sets (several files or a directory of rotated files
// analyzed as one capture) and of the Parquet output, and their wiring.

// setFlags holds them.
type setFlags struct {
	filesInOrder bool
	out          string
	partition    string
}

// registerInput declares the flag of capture sets, in --help's Input section.
func (s *setFlags) registerInput(fs *pflag.FlagSet) {
	fs.BoolVar(&s.filesInOrder, "files-in-order", false, "read several captures one after another, frame numbers continuing, instead of merging them by timestamp (a directory stands for the captures in it)")
}

// registerOutput declares the Parquet flags, in --help's Output section.
func (s *setFlags) registerOutput(fs *pflag.FlagSet) {
	fs.StringVar(&s.out, "out", "", "with --format parquet: write the tables under `DIR` (DIR/connections/..., DIR/segments/...)")
	fs.StringVar(&s.partition, "partition", "file", "with --format parquet: Hive-style partitions by capture `file`, by `hour` of the time, or `none`")
}

// checkSetFlags validates them together with the format.
func checkSetFlags(f *flags) error {
	s := &f.set
	switch {
	case f.format == "parquet" && s.out == "":
		return errors.New("--format parquet needs --out DIR")
	case f.format != "parquet" && s.out != "":
		return errors.New("--out is for --format parquet")
	case s.partition != "file" && s.partition != "hour" && s.partition != "none":
		return fmt.Errorf("unknown --partition %q (want file, hour or none)", s.partition)
	case f.format == "parquet" && (f.follow >= 0 || f.explain || f.live.iface != ""):
		return errors.New("--format parquet writes tables: not with --follow, --explain or -i")
	}
	return nil
}

// openCapture opens the inputs as one capture: directories stand for the
// files in them, and several files are merged by timestamp unless
// --files-in-order. It returns the reader and the files it reads.
func openCapture(f *flags, args []string) (*capture.Reader, []string, error) {
	inputs, err := capture.ExpandDirs(args)
	if err != nil {
		return nil, nil, err
	}
	r := capture.NewReader(inputs...)
	r.InOrder = f.set.filesInOrder
	return r, inputs, nil
}

// parquetSink is the --format parquet output; args are the inputs as given
// (they name the run), inputs the files read.
func parquetSink(f *flags, args, inputs []string, r *capture.Reader) (pipeline.Sink, error) {
	part := sink.PartitionFile
	switch f.set.partition {
	case "hour":
		part = sink.PartitionHour
	case "none":
		part = sink.PartitionNone
	}
	triage, _ := f.tri.triage(f) // checked by validate
	return sink.NewParquet(sink.ParquetOptions{Dir: f.set.out, Partition: part, Force: f.force, Run: args,
		Inputs: inputs, Stats: &r.Stats, Summary: f.summary, Triage: triage})
}

// queryCommand is the command `tcpflow query` runs: DuckDB needs cgo, so it
// is a command of its own (cmd/tcpflow-query), looked for next to this
// executable, then on the PATH.
const queryCommand = "tcpflow-query"

// runQuery runs `tcpflow query ARGS` as tcpflow-query ARGS.
func runQuery(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	path := ""
	if self, err := os.Executable(); err == nil {
		if p := filepath.Join(filepath.Dir(self), queryCommand); isExecutable(p) {
			path = p
		}
	}
	if path == "" {
		p, err := exec.LookPath(queryCommand)
		if err != nil {
			fmt.Fprintf(stderr, "tcpflow: query runs %s, which is not installed: it embeds DuckDB, so it needs cgo and a C compiler:\n"+
				"  go install github.com/tcpflow/tcpflow/cmd/tcpflow-query@latest\n", queryCommand)
			return exitUsage
		}
		path = p
	}
	cmd := exec.Command(path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		fmt.Fprintf(stderr, "tcpflow: %v\n", err)
		return exitUsage
	}
	return exitOK
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}
