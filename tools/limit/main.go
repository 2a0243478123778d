// Command limit is the "read limit" of docs/PERFORMANCE.md: it reads a capture
// and decodes Ethernet, IPv4/IPv6 and TCP of every frame with gopacket's
// DecodingLayerParser, and does nothing else. tcpflow's speed is measured
// against it: no analysis can be faster than reading and decoding.
//
//	go run ./tools/limit FILE
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: limit FILE")
		os.Exit(2)
	}
	frames, tcp, bytes, err := run(os.Args[1])
	fmt.Printf("%d frames, %d TCP, %d payload bytes\n", frames, tcp, bytes)
	if err != nil {
		fmt.Fprintln(os.Stderr, "limit:", err)
		os.Exit(1)
	}
}

func run(name string) (frames, tcpSegs, payload int64, err error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, 0, 0, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	var r interface {
		ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	}
	if magic, _ := br.Peek(4); string(magic) == "\x0a\x0d\x0d\x0a" {
		r, err = pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
	} else {
		r, err = pcapgo.NewReader(br)
	}
	if err != nil {
		return 0, 0, 0, err
	}
	var (
		eth  layers.Ethernet
		ip4  layers.IPv4
		ip6  layers.IPv6
		tcp  layers.TCP
		body gopacket.Payload
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &ip6, &tcp, &body)
	parser.IgnoreUnsupported = true
	decoded := make([]gopacket.LayerType, 0, 8)
	for {
		data, _, err := r.ZeroCopyReadPacketData()
		if errors.Is(err, io.EOF) {
			return frames, tcpSegs, payload, nil
		}
		if err != nil {
			return frames, tcpSegs, payload, err
		}
		frames++
		// Errors (unsupported layers, cut frames) leave what was decoded in
		// decoded; the limit loop counts what it got, like tcpflow.
		_ = parser.DecodeLayers(data, &decoded)
		for _, t := range decoded {
			if t == layers.LayerTypeTCP {
				tcpSegs++
				payload += int64(len(tcp.Payload))
			}
		}
	}
}
