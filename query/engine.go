//go:build cgo

package query

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver
)

// Engine is an in-memory DuckDB with views over the tables of a directory.
type Engine struct {
	db     *sql.DB
	tables []string
}

// Available reports whether this build has the engine (it needs cgo).
const Available = true

// Open starts DuckDB and makes a view for each table with files under dir.
func Open(dir string) (*Engine, error) {
	tables, err := found(dir)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	// One connection: views and settings live in it. Times are UTC
	// (date_trunc('hour', ts) means the same hour on every machine).
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("SET TimeZone = 'UTC'"); err != nil {
		db.Close()
		return nil, err
	}
	for _, t := range tables {
		if _, err := db.Exec(viewSQL(dir, t)); err != nil {
			db.Close()
			return nil, fmt.Errorf("reading the %s table: %w", t, err)
		}
	}
	return &Engine{db: db, tables: tables}, nil
}

// Has reports whether the directory has table t.
func (e *Engine) Has(t string) bool { return slices.Contains(e.tables, t) }

// Query runs one SQL statement and returns its rows.
func (e *Engine) Query(ctx context.Context, q string) (*Result, error) {
	rows, err := e.db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	res := &Result{Columns: cols}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, vals)
	}
	return res, rows.Err()
}

// Close ends the engine.
func (e *Engine) Close() error { return e.db.Close() }
