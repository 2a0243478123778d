package report

import (
	"io"

	"github.com/tcpflow/tcpflow/state"
)

// Explain writes a plain-language walk-through of each connection.
func Explain(w io.Writer, res *state.Result, opts Options) error {
	return Text(w, res, opts)
}
