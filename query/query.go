// Package query runs SQL over the Parquet tables tcpflow writes
// (--format parquet --out DIR, docs/parquet.md) with DuckDB, in process.
//
// It provides:
//   - Open, which starts an in-memory DuckDB with a view per table found
//     under a directory (connections, segments, runs), reading every run's
//     files in it with their Hive partitions;
//   - Presets, the ready-made questions (which servers reset the most
//     connections, the worst retransmission rates per hour, RTT percentiles
//     per server, connections stitched across separately analyzed files,
//     Zeek conn.log records);
//   - Write, which prints a result as an aligned table, CSV or JSON lines.
//
// DuckDB comes through cgo (github.com/duckdb/duckdb-go/v2): the engine is
// built only with cgo (engine.go), so that the tcpflow command, which does
// not import this package, stays pure Go; cmd/tcpflow-query is the command.
package query

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Tables are the tables tcpflow writes, in the order views are made.
var Tables = []string{"connections", "segments", "runs"}

// Result is what a query returned: column names and rows of values as the
// driver gives them (strings, integers, floats, times, lists, maps, structs).
type Result struct {
	Columns []string
	Rows    [][]any
}

// found lists the tables with at least one Parquet file under dir.
func found(dir string) ([]string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	var tables []string
	for _, t := range Tables {
		seen := errors.New("seen")
		err := filepath.WalkDir(filepath.Join(dir, t), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // a missing table
			}
			if !d.IsDir() && strings.HasSuffix(d.Name(), ".parquet") {
				return seen
			}
			return nil
		})
		if err == seen {
			tables = append(tables, t)
		}
	}
	if len(tables) == 0 {
		return nil, fmt.Errorf("%s holds no tcpflow tables (write them with tcpflow --format parquet --out %s CAPTURE...)", dir, dir)
	}
	return tables, nil
}

// viewSQL is the statement that makes the view of table t under dir: every
// Parquet file below DIR/t, with the columns of the Hive partitions
// (capture, or date and hour), columns matched by name.
func viewSQL(dir, t string) string {
	glob := filepath.ToSlash(filepath.Join(dir, t)) + "/**/*.parquet"
	return fmt.Sprintf("CREATE VIEW %s AS SELECT * FROM read_parquet('%s', hive_partitioning = true, union_by_name = true)",
		t, strings.ReplaceAll(glob, "'", "''"))
}
