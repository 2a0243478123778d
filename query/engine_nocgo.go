//go:build !cgo

package query

import (
	"context"
	"errors"
)

// Engine is DuckDB, which this build lacks: it was built without cgo.
type Engine struct{}

// Available reports whether this build has the engine (it needs cgo).
const Available = false

var errNoCgo = errors.New("this tcpflow-query was built without cgo, so without DuckDB: build it with CGO_ENABLED=1 and a C compiler")

// Open fails: there is no engine.
func Open(dir string) (*Engine, error) {
	if _, err := found(dir); err != nil {
		return nil, err
	}
	return nil, errNoCgo
}

// Has reports whether the directory has table t.
func (e *Engine) Has(string) bool { return false }

// Query fails.
func (e *Engine) Query(context.Context, string) (*Result, error) { return nil, errNoCgo }

// Close does nothing.
func (e *Engine) Close() error { return nil }
