//go:build !linux

package capture

import (
	"errors"
	"sync/atomic"

	"github.com/gopacket/gopacket"
)

// liveSource is Linux only (AF_PACKET); elsewhere OpenLive fails.
type liveSource struct {
	info   LiveInfo
	drops  atomic.Uint64
	halt   int64
	tickAt int64
}

func openLive(string, LiveOptions) (*liveSource, error) {
	return nil, errors.New("live capture is supported on Linux only")
}

func (s *liveSource) ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error) {
	return nil, gopacket.CaptureInfo{}, errors.New("live capture is supported on Linux only")
}

func (s *liveSource) Close() error { return nil }
