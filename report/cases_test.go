package report

import (
	"path/filepath"
	"testing"

	"github.com/tcpflow/tcpflow/internal/corpus"
)

// corpusGolden are the shared-corpus captures whose reports are kept as golden
// files (named corpus.<capture>.<mode>.golden); each shows something the
// project's own captures do not.
var corpusGolden = []string{
	"chrissanders__tcp_handshake.pcapng",
	"pcapplusplus__one_http_stream_fin.pcap",
	"chrissanders__tcp_refuseconnection.pcapng",
	"chrissanders__tcp_teardown.pcapng",
	"zeek__missing-syn.pcap",
	"arkime__wireshark-retrans.pcap",
	"chrissanders__tcp_zerowindowrecovery.pcapng",
	"suricata__10.7.29.101_49898-178.63.41.150_25.pcap",
}

// GoldenCase is a capture with golden reports: Name is the golden files' prefix.
type GoldenCase struct{ Name, Path string }

func goldenCases(t *testing.T) []GoldenCase {
	var cases []GoldenCase
	own, _ := filepath.Glob("../testdata/pcaps/*.pcap*")
	for _, p := range own {
		cases = append(cases, GoldenCase{filepath.Base(p), p})
	}
	if dir := corpus.Optional(t, "the corpus golden files are not checked"); dir != "" {
		for _, f := range corpusGolden {
			cases = append(cases, GoldenCase{"corpus." + f, filepath.Join(dir, f)})
		}
	}
	return cases
}

// GoldenCases is goldenCases for the external tests.
var GoldenCases = goldenCases
