package appproto

import (
	"bytes"
	"testing"
)

func TestRecognize(t *testing.T) {
	hello := tlsClientHello("example.com")
	tests := []struct {
		in      []byte
		want    string
		decided bool
	}{
		{[]byte("GET /index.html HTTP/1.1\r\nHost: x\r\n"), "HTTP request: GET /index.html HTTP/1.1", true},
		{[]byte("GET /index.html HT"), "", false},
		{[]byte("HTTP/1.1 404 Not Found\r\n"), "HTTP response: HTTP/1.1 404 Not Found", true},
		{[]byte("SSH-2.0-OpenSSH_9.6\r\n"), "SSH banner: SSH-2.0-OpenSSH_9.6", true},
		{[]byte("220 mail.example.org ESMTP Postfix\r\n"), "SMTP greeting: 220 mail.example.org ESMTP Postfix", true},
		{[]byte("220 ProFTPD Server ready.\r\n"), "FTP greeting: 220 ProFTPD Server ready.", true},
		{hello, "TLS ClientHello, SNI example.com", true},
		{hello[:20], "", false},
		{[]byte{0, 1, 2, 3, 4, 5, 6, 7, 8}, "", true},
		{[]byte("GE"), "", false},
	}
	for _, tt := range tests {
		got, decided := Recognize(tt.in)
		if got != tt.want || decided != tt.decided {
			t.Errorf("Recognize(%q) = %q, %v; want %q, %v", tt.in, got, decided, tt.want, tt.decided)
		}
	}
}

// tlsClientHello builds a minimal TLS 1.2 ClientHello record with a
// server_name extension (RFC 8446 section 4.1.2, RFC 6066 section 3).
func tlsClientHello(name string) []byte {
	sni := []byte{0, 0} // extension type server_name
	entry := append([]byte{0, byte(len(name) >> 8), byte(len(name))}, name...)
	list := append([]byte{byte(len(entry) >> 8), byte(len(entry))}, entry...)
	sni = append(sni, byte(len(list)>>8), byte(len(list)))
	sni = append(sni, list...)
	var body bytes.Buffer
	body.Write([]byte{3, 3})             // legacy_version
	body.Write(make([]byte, 32))         // random
	body.WriteByte(0)                    // session id
	body.Write([]byte{0, 2, 0x13, 0x01}) // one cipher suite
	body.Write([]byte{1, 0})             // compression: null
	body.Write([]byte{byte(len(sni) >> 8), byte(len(sni))})
	body.Write(sni)
	hs := append([]byte{1, 0, byte(body.Len() >> 8), byte(body.Len())}, body.Bytes()...)
	return append([]byte{0x16, 3, 1, byte(len(hs) >> 8), byte(len(hs))}, hs...)
}
