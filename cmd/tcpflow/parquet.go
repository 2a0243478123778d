package main

import (
	"errors"
	"fmt"

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

func (s *setFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&s.filesInOrder, "files-in-order", false, "read several captures one after another, frame numbers continuing, instead of merging them by timestamp")
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
	case f.format == "parquet" && (f.follow >= 0 || f.explain):
		return errors.New("--format parquet writes tables: not with --follow or --explain")
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
	return sink.NewParquet(sink.ParquetOptions{Dir: f.set.out, Partition: part, Force: f.force, Run: args,
		Inputs: inputs, Stats: &r.Stats, Summary: f.summary})
}
