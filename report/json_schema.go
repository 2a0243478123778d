package report

// The capture object and the expert summary of the JSON document and of the
// JSONL capture line, as encoding/json writes them (they are written once a
// run). The connection and segment objects are appended by hand
// (jsonconn.go, jsonappend.go), held to the structs of jsonref_test.go;
// docs/json-schema.md describes every field.

type jsonExpert struct {
	Name        string      `json:"name"`
	Total       int64       `json:"total"`
	Connections int         `json:"connections"`
	Worst       []jsonWorst `json:"worst"`
}

type jsonWorst struct {
	ID    int   `json:"id"`
	Count int64 `json:"count"`
}

// jsonChecksums counts checksums by status (capture.ChecksumStatus names).
type jsonChecksums struct {
	IP  map[string]uint64 `json:"ip"`
	TCP map[string]uint64 `json:"tcp"`
}

type jsonCapture struct {
	File      string            `json:"file"` // the first input, for the common one-file case
	Files     []jsonInput       `json:"files"`
	Format    string            `json:"format"`
	LinkTypes []jsonLink        `json:"link_types"`
	Frames    map[string]uint64 `json:"frames"` // encoding/json sorts map keys
	FirstTime string            `json:"first_time,omitempty"`
	// The first and the last frame's times, RFC 3339 in UTC to the ns.
	FirstTimeRFC string   `json:"first_time_rfc3339,omitempty"`
	LastTimeRFC  string   `json:"last_time_rfc3339,omitempty"`
	Errors       []string `json:"errors"`
	// What the run's bounds changed (docs/json-schema.md), always written.
	Interrupted      bool `json:"interrupted"`
	Evicted          int  `json:"evicted"`
	EvictedOpen      int  `json:"evicted_open"`
	MaxOpen          int  `json:"max_open"`
	Continued        int  `json:"continued"`
	ForgottenDropped int  `json:"forgotten_dropped"`
	// A live capture's frames lost in the kernel, its socket buffer full;
	// only for live captures.
	DroppedByKernel *uint64 `json:"dropped_by_kernel,omitempty"`
	// Damage over all TCP segments (report/damage.go), always written.
	MalformedOptions map[string]uint64 `json:"malformed_options"`
	Checksums        jsonChecksums     `json:"checksums"`
	ImpossibleJumps  jsonJumps         `json:"impossible_jumps"`
	// How the capture was taken (report/quality.go), always written.
	Quality jsonQuality `json:"quality"`
}

type jsonJumps struct {
	Seq int `json:"seq"`
	Ack int `json:"ack"`
}

type jsonInput struct {
	File   string `json:"file"`
	Format string `json:"format"`
	Gzip   bool   `json:"gzip"`
	Frames uint64 `json:"frames"`
	Error  string `json:"error,omitempty"`
}

type jsonLink struct {
	Name   string `json:"name"`
	Frames uint64 `json:"frames"`
}
