package sink

import "github.com/tcpflow/tcpflow/pipeline"

// Every output here renders what it needs of a connection in Finished and
// keeps nothing of it after (rows, sections and entries are rendered bytes
// or ids), so the run may reuse a finished connection's analysis state
// (pipeline.Forgetter). Facts, which keeps every fact for check, is left out.

// ForgetsConnections implements pipeline.Forgetter.
func (*Text) ForgetsConnections() {}

// ForgetsConnections implements pipeline.Forgetter.
func (*JSON) ForgetsConnections() {}

// ForgetsConnections implements pipeline.Forgetter.
func (*JSONL) ForgetsConnections() {}

// ForgetsConnections implements pipeline.Forgetter.
func (jsonlSummary) ForgetsConnections() {}

// ForgetsConnections implements pipeline.Forgetter.
func (*Parquet) ForgetsConnections() {}

// ForgetsConnections implements pipeline.Forgetter.
func (parquetSummary) ForgetsConnections() {}

// ForgetsConnections implements pipeline.Forgetter.
func (*HTML) ForgetsConnections() {}

// ForgetsConnections implements pipeline.Forgetter.
func (*StreamFiles) ForgetsConnections() {}

// ForgetsConnections implements pipeline.Forgetter.
func (*Follow) ForgetsConnections() {}

// ForgetsConnections implements pipeline.Forgetter.
func (*Raw) ForgetsConnections() {}

// ForgetsConnections implements pipeline.Forgetter.
func (*Packets) ForgetsConnections() {}

var (
	_ pipeline.Forgetter = (*Text)(nil)
	_ pipeline.Forgetter = (*JSON)(nil)
	_ pipeline.Forgetter = (*JSONL)(nil)
	_ pipeline.Forgetter = jsonlSummary{}
	_ pipeline.Forgetter = (*Parquet)(nil)
	_ pipeline.Forgetter = parquetSummary{}
	_ pipeline.Forgetter = (*HTML)(nil)
	_ pipeline.Forgetter = (*StreamFiles)(nil)
	_ pipeline.Forgetter = (*Follow)(nil)
	_ pipeline.Forgetter = (*Raw)(nil)
	_ pipeline.Forgetter = (*Packets)(nil)
)
