// Command tcpflow-query runs SQL over the Parquet tables tcpflow writes
// (tcpflow --format parquet --out DIR), with DuckDB in process:
//
//	tcpflow-query DIR 'SELECT ...'
//	tcpflow-query DIR --preset resets
//
// `tcpflow query ...` runs it. It is a command of its own because DuckDB
// needs cgo and a C compiler, and the tcpflow command stays pure Go.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/tcpflow/tcpflow/query"
)

const usage = `usage: tcpflow query DIR 'SQL'
       tcpflow query DIR --preset NAME
       tcpflow query --list

Run SQL (DuckDB's dialect) over the Parquet tables that tcpflow --format
parquet --out DIR wrote: the views connections, segments and runs hold the
rows of every run written into DIR (docs/parquet.md).

Flags:
`

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("tcpflow query", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	preset := fs.String("preset", "", "a ready-made question instead of SQL (--list names them)")
	format := fs.String("format", query.FormatTable, "output: table, csv or jsonl")
	list := fs.Bool("list", false, "list the presets and their SQL")
	showSQL := fs.Bool("sql", false, "print the preset's SQL instead of running it")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *list {
		for _, p := range query.Presets {
			fmt.Fprintf(stdout, "-- %s: %s\n%s;\n\n", p.Name, p.Question, p.SQL)
		}
		return 0
	}
	if fs.NArg() < 1 || (*preset == "") == (fs.NArg() < 2) || fs.NArg() > 2 {
		fs.Usage()
		return 2
	}
	dir := fs.Arg(0)
	e, err := query.Open(dir)
	if err != nil {
		fmt.Fprintf(stderr, "tcpflow query: %v\n", err)
		return 1
	}
	defer e.Close()
	q := fs.Arg(1)
	if *preset != "" {
		var tables []string
		for _, t := range query.Tables {
			if e.Has(t) {
				tables = append(tables, t)
			}
		}
		if q, err = query.PresetSQL(*preset, tables); err != nil {
			fmt.Fprintf(stderr, "tcpflow query: %v\n", err)
			return 2
		}
		if *showSQL {
			fmt.Fprintln(stdout, q+";")
			return 0
		}
	}
	res, err := e.Query(context.Background(), q)
	if err != nil {
		fmt.Fprintf(stderr, "tcpflow query: %v\n", strings.TrimSpace(err.Error()))
		return 1
	}
	if err := query.Write(stdout, res, *format); err != nil {
		fmt.Fprintf(stderr, "tcpflow query: %v\n", err)
		return 2
	}
	return 0
}
