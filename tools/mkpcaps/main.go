// Command mkpcaps writes the project's crafted test captures.
//
//	go run ./tools/mkpcaps [-dir DIR]
//
// It writes every case in cases (cases.go) into DIR, by default testdata/pcaps
// under the module root, and the same bytes on every run; TestCommitted in
// main_test.go fails when the committed captures and the generator drift
// apart. testdata/pcaps/README.md says what each capture shows.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is main without the exit, so tests can call it.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mkpcaps", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "output directory (default: testdata/pcaps under the module root)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mkpcaps: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if *dir == "" {
		root, err := moduleRoot()
		if err != nil {
			fmt.Fprintf(stderr, "mkpcaps: %v\n", err)
			return 1
		}
		*dir = filepath.Join(root, "testdata", "pcaps")
	}
	if err := writeAll(*dir, stdout); err != nil {
		fmt.Fprintf(stderr, "mkpcaps: %v\n", err)
		return 1
	}
	return 0
}

// writeAll generates every case into dir.
func writeAll(dir string, stdout io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, c := range cases {
		data, err := c.gen()
		if err != nil {
			return fmt.Errorf("%s: %w", c.file, err)
		}
		path := filepath.Join(dir, c.file)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\t%d bytes\n", path, len(data))
	}
	return nil
}

// moduleRoot returns the nearest directory at or above the working directory
// that holds a go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod at or above the working directory; use -dir")
		}
		dir = parent
	}
}
