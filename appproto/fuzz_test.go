package appproto

import (
	"testing"
)

// FuzzRecognize feeds any bytes (as an attacker's stream starts) and checks
// that Recognize is bounded and consistent: its text never grows beyond the
// bytes it read plus its own words, it always decides once it has Enough,
// and once it decides on a prefix, more bytes never change the answer.
func FuzzRecognize(f *testing.F) {
	for _, s := range [][]byte{
		[]byte("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n"),
		[]byte("HTTP/1.1 200 OK\r\n"),
		[]byte("SSH-2.0-OpenSSH_9.6\r\n"),
		[]byte("220 mail.example.org ESMTP\r\n"),
		tlsClientHello("example.com"),
		{0x16, 3, 3, 0, 4, 2, 0, 0, 0},
	} {
		f.Add(s, uint16(len(s)/2))
	}
	f.Fuzz(func(t *testing.T, b []byte, cut uint16) {
		b = b[:min(len(b), Enough)] // the stream hands it at most Enough bytes
		full, fullDecided := Recognize(b)
		if len(full) > len(b)+64 {
			t.Fatalf("%d bytes named in %d: %q", len(b), len(full), full)
		}
		if len(b) == Enough && !fullDecided {
			t.Fatalf("undecided on %d bytes", len(b))
		}
		k := int(cut) % (len(b) + 1)
		if part, decided := Recognize(b[:k]); decided && (part != full || !fullDecided) {
			t.Fatalf("decided %q on %d bytes, but %q (decided %v) on %d", part, k, full, fullDecided, len(b))
		}
	})
}
