package state

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tcpflow/tcpflow/capture"
)

// benchCapture crafts a pcap of conns connections, each a handshake, n data
// segments of 1000 bytes from the server, one ACK per two segments, and a FIN
// close: the shape of a bulk download.
func benchCapture(b *testing.B, conns, n int) []byte {
	b.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	w.WriteFileHeader(65535, layers.LinkTypeEthernet)
	ts := time.Unix(1700000000, 0)
	payload := make([]byte, 1000)
	write := func(src, dst net.IP, sp, dp uint16, seq, ack uint32, syn, fin bool, data []byte) {
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{0, 1, 2, 3, 4, 5}, DstMAC: net.HardwareAddr{0, 1, 2, 3, 4, 6}, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: src, DstIP: dst}
		tcp := &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), Seq: seq, Ack: ack, ACK: !syn || ack != 0, SYN: syn, FIN: fin, Window: 1024}
		tcp.SetNetworkLayerForChecksum(ip)
		sb := gopacket.NewSerializeBuffer()
		gopacket.SerializeLayers(sb, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp, gopacket.Payload(data))
		ts = ts.Add(50 * time.Microsecond)
		w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(sb.Bytes()), Length: len(sb.Bytes())}, sb.Bytes())
	}
	cl, sv := net.IP{10, 0, 0, 1}, net.IP{10, 0, 0, 2}
	for c := 0; c < conns; c++ {
		cp := uint16(20000 + c)
		write(cl, sv, cp, 80, 100, 0, true, false, nil)
		write(sv, cl, 80, cp, 500, 101, true, false, nil)
		write(cl, sv, cp, 80, 101, 501, false, false, nil)
		seq := uint32(501)
		for i := 0; i < n; i++ {
			write(sv, cl, 80, cp, seq, 101, false, false, payload)
			seq += 1000
			if i%2 == 1 {
				write(cl, sv, cp, 80, 101, seq, false, false, nil)
			}
		}
		write(sv, cl, 80, cp, seq, 101, false, true, nil)
		write(cl, sv, cp, 80, 101, seq+1, false, true, nil)
		write(sv, cl, 80, cp, seq+1, 102, false, false, nil)
	}
	return buf.Bytes()
}

// BenchmarkPipeline measures read + decode + connection tracking + state and
// analysis per packet, without keeping per-segment records (summary mode).
func BenchmarkPipeline(b *testing.B) {
	data := benchCapture(b, 20, 500)
	var frames uint64
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := capture.NewReader("-")
		r.Stdin = bytes.NewReader(data)
		res := Run(r, Options{}, nil)
		frames = res.Stats.Frames
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(uint64(b.N)*frames), "ns/packet")
}
