package sink

import (
	"sync"

	kzstd "github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// pqZstd is the Parquet files' zstd codec: parquet-go's (its name and its
// decoder) with an encoder of its own. parquet-go's codec keeps its encoders
// in a sync.Pool, which garbage collections empty, so new encoders were made
// again, each with a history buffer of 16 MB for zstd's default 8 MB window:
// a sixth of the live heap of a run writing Parquet. Every
// page is compressed on its own, as one zstd frame, so a window as large as
// the largest page compresses it as well as any larger one: pqWindow covers
// pageBuffer with room to spare (a page of byte arrays may pass the buffer
// size by its last row's values), and the one encoder is made once per run.
type pqZstd struct {
	zstd.Codec
	mu  sync.Mutex // parquet-go may compress from several goroutines
	enc *kzstd.Encoder
}

// pqWindow is the zstd window: a power of two, at least the page buffer.
const pqWindow = 4 * pageBuffer

func newPQZstd() (*pqZstd, error) {
	enc, err := kzstd.NewWriter(nil,
		kzstd.WithEncoderLevel(kzstd.SpeedFastest),
		kzstd.WithEncoderConcurrency(1),
		kzstd.WithWindowSize(pqWindow),
		kzstd.WithLowerEncoderMem(true),
		kzstd.WithZeroFrames(true),
		kzstd.WithEncoderCRC(false))
	if err != nil {
		return nil, err
	}
	return &pqZstd{Codec: zstd.Codec{Level: zstd.SpeedFastest}, enc: enc}, nil
}

// Encode implements compress.Codec.
func (c *pqZstd) Encode(dst, src []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.enc.EncodeAll(src, dst[:0]), nil
}
