package wsdiff

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tcpflow/tcpflow/capture"
)

// ourJSON is a cut-down tcpflow JSON report with the fields Ours reads.
const ourJSON = `{"capture": {"file": "x.pcap"}, "connections": [
 {"id": 0, "icmp_errors": [{"frame": 4, "dir": "c2s"}], "segments": [
  {"frame": 1, "flags": "S", "seq": 0, "ack": 0, "len": 0, "win": 64240, "analysis": []},
  {"frame": 3, "flags": "PA", "seq": 1, "ack": 1, "len": 5, "win": 65536, "analysis": ["retransmission", "window_full"]}]},
 {"id": 1, "icmp_errors": [], "segments": [
  {"frame": 2, "flags": "A", "seq": 1, "ack": 9, "len": 0, "win": null, "analysis": ["duplicate_ack"], "dup_ack_num": 1}]}]}`

func TestDecodeOurs(t *testing.T) {
	got, err := decodeOurs(strings.NewReader(ourJSON))
	if err != nil {
		t.Fatal(err)
	}
	var none Set
	want := []Frame{
		{Number: 1, Stream: 0, TCPLayers: 1, Win: 64240},
		{Number: 2, Stream: 1, TCPLayers: 1, Seq: 1, AckFlag: true, Ack: 9, Win: WinUnknown, Analysis: none.Add(DuplicateAck)},
		{Number: 3, Stream: 0, TCPLayers: 1, Seq: 1, AckFlag: true, Ack: 1, Len: 5, Win: 65536,
			Analysis: none.Add(Retransmission).Add(WindowFull)},
		{Number: 4, Stream: 0, Quoted: true, TCPLayers: 1, Win: WinUnknown},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decodeOurs:\n%s", frameDiff(want, got))
	}
}

func TestDecodeOursErrors(t *testing.T) {
	for _, tt := range []struct{ json, err string }{
		{strings.Replace(ourJSON, `"window_full"`, `"tfo_syn"`, 1), `analysis name "tfo_syn" is not in the schema`},
		{strings.Replace(ourJSON, `"frame": 2,`, `"frame": 3,`, 1), "frame 3 appears twice"},
		{`{"connections": [`, "unexpected EOF"},
	} {
		if _, err := decodeOurs(strings.NewReader(tt.json)); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("error %v, want one containing %q", err, tt.err)
		}
	}
}

// handshake writes a three-way handshake with window scale 7 on both SYNs and
// returns the capture's bytes.
func handshake(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	client, server := net.IP{192, 0, 2, 1}, net.IP{192, 0, 2, 2}
	wscale := []layers.TCPOption{{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{7}}}
	segs := []struct {
		src, dst net.IP
		tcp      layers.TCP
	}{
		{client, server, layers.TCP{SrcPort: 40000, DstPort: 80, Seq: 1000, SYN: true, Window: 64240, Options: wscale}},
		{server, client, layers.TCP{SrcPort: 80, DstPort: 40000, Seq: 5000, Ack: 1001, SYN: true, ACK: true, Window: 65160, Options: wscale}},
		{client, server, layers.TCP{SrcPort: 40000, DstPort: 80, Seq: 1001, Ack: 5001, ACK: true, Window: 502}},
	}
	for i, s := range segs {
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{0, 1, 2, 3, 4, 5}, DstMAC: net.HardwareAddr{0, 1, 2, 3, 4, 6}, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: s.src, DstIP: s.dst}
		tcp := s.tcp
		tcp.SetNetworkLayerForChecksum(ip)
		sb := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(sb, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, &tcp); err != nil {
			t.Fatal(err)
		}
		data := sb.Bytes()
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, int64(i)*1e6).UTC(), CaptureLength: len(data), Length: len(data)}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestOurs(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "handshake.pcap")
	data := handshake(t)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Ours(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Frame{
		{Number: 1, TCPLayers: 1, Win: 64240},
		{Number: 2, TCPLayers: 1, AckFlag: true, Ack: 1, Win: 65160, AckFrame: 1, AckRTT: 1e6, HasRTT: true},
		{Number: 3, TCPLayers: 1, Seq: 1, AckFlag: true, Ack: 1, Win: 502 << 7, AckFrame: 2, AckRTT: 1e6, HasRTT: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Ours:\n%s", frameDiff(want, got))
	}

	// Cut inside the last record: the frames before the fault come with a ReadError.
	if err := os.WriteFile(path, data[:len(data)-5], 0o644); err != nil {
		t.Fatal(err)
	}
	got, err = Ours(path)
	if !errors.As(err, new(*capture.ReadError)) {
		t.Errorf("error %v, want a *capture.ReadError", err)
	}
	if len(got) != 2 {
		t.Errorf("%d frames before the fault, want 2", len(got))
	}
}

// TestAckRTTCrafted checks tcpflow's ack_frame and ack_rtt_s on every frame of
// testdata/pcaps/ack-rtt.pcap (tools/mkpcaps ackRTT) against the
// tcp.analysis.acks_frame and ack_rtt that TShark 4.0.17 gives, written
// here so that the test runs without tshark; with tshark, against it too.
func TestAckRTTCrafted(t *testing.T) {
	const path = ownCaptures + "/ack-rtt.pcap"
	// frame: {acks_frame, ack_rtt in µs}; frames not listed name nothing.
	want := map[uint64][2]int64{
		2: {1, 20000}, 3: {2, 100}, 5: {4, 20000},
		8:  {7, 20000},   // one ACK of 6 and 7 names 7
		11: {9, 21000},   // 10 ends inside 9 and names nothing
		16: {13, 240000}, // 15 resent 12; the ACK ends at 13's end
		19: {17, 320000}, // 18 resent 17: the first copy is named
		22: {21, 20000}, 24: {23, 20000},
	}
	got, err := Ours(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 24 {
		t.Fatalf("%d frames, want 24", len(got))
	}
	for _, f := range got {
		w := want[f.Number]
		rtt := w[1] * 1000
		if f.AckFrame != uint64(w[0]) || f.HasRTT != (w[0] != 0) || f.AckRTT != rtt {
			t.Errorf("frame %d: ack_frame %d, ack_rtt %s; want %d, %d µs", f.Number, f.AckFrame, rttText(&f), w[0], w[1])
		}
	}
	if _, err := exec.LookPath(Tshark); err != nil {
		t.Skip("tshark is not on PATH: compared with the values written here only")
	}
	theirs, err := Theirs(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	r := Compare(got, theirs)
	for _, fld := range []Field{FieldAckFrame, FieldAckRTT} {
		if tl := r.Fields[fld]; tl.Compared != 24 || tl.Agree != 24 {
			t.Errorf("%s against tshark: %+v", fld, tl)
		}
	}
}
