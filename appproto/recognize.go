package appproto

import (
	"bytes"
	"encoding/binary"
	"strings"
)

// Enough is how many bytes from the start of a stream Recognize needs at
// most: with that many it always decides.
const Enough = 4 << 10

// Recognize names the application protocol a stream starts with, from its
// first bytes, without parsing the protocol any further: an HTTP/1.x request
// or status line, a TLS ClientHello (with its server name) or ServerHello, an
// SSH banner, an SMTP or FTP greeting. decided is false while more bytes could
// still change the answer (a first line not yet complete). The text may hold
// any bytes of the stream: reports escape it.
func Recognize(b []byte) (proto string, decided bool) {
	if len(b) == 0 {
		return "", false
	}
	if b[0] == 0x16 {
		return recognizeTLS(b)
	}
	line, complete := firstLine(b)
	switch {
	case isHTTPRequest(b):
		if !complete {
			return "", false
		}
		if !strings.Contains(line, " HTTP/1.") {
			return "", true
		}
		return "HTTP request: " + line, true
	case bytes.HasPrefix(b, []byte("HTTP/1.")):
		if !complete {
			return "", false
		}
		return "HTTP response: " + line, true
	case bytes.HasPrefix(b, []byte("SSH-")):
		if !complete {
			return "", false
		}
		return "SSH banner: " + line, true
	case bytes.HasPrefix(b, []byte("220 ")) || bytes.HasPrefix(b, []byte("220-")):
		if !complete {
			return "", false
		}
		upper := strings.ToUpper(line)
		switch {
		case strings.Contains(upper, "SMTP"):
			return "SMTP greeting: " + line, true
		case strings.Contains(upper, "FTP"):
			return "FTP greeting: " + line, true
		}
		return "greeting (SMTP or FTP): " + line, true
	}
	if len(b) < 8 && prefixOfKnown(b) {
		return "", false
	}
	return "", true
}

var httpMethods = []string{"GET ", "POST ", "PUT ", "HEAD ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE "}

func isHTTPRequest(b []byte) bool {
	for _, m := range httpMethods {
		if bytes.HasPrefix(b, []byte(m)) {
			return true
		}
	}
	return false
}

// prefixOfKnown reports whether b could still grow into a known start.
func prefixOfKnown(b []byte) bool {
	for _, k := range append([]string{"HTTP/1.", "SSH-", "220 ", "220-"}, httpMethods...) {
		if len(b) < len(k) && strings.HasPrefix(k, string(b)) {
			return true
		}
	}
	return false
}

// firstLine returns the first line without its end, capped at 200 bytes, and
// whether its end was seen.
func firstLine(b []byte) (string, bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return string(b[:min(len(b), 200)]), len(b) >= 200
	}
	return string(bytes.TrimRight(b[:min(i, 200)], "\r")), true
}

// recognizeTLS reads a TLS record carrying a ClientHello or ServerHello
// (RFC 8446 section 4.1.2) far enough to find the server_name extension
// (RFC 6066 section 3).
func recognizeTLS(b []byte) (string, bool) {
	if len(b) < 6 {
		return "", false
	}
	if b[1] != 3 || b[2] > 4 {
		return "", true
	}
	switch b[5] {
	case 2:
		return "TLS ServerHello", true
	case 1:
	default:
		return "TLS handshake", true
	}
	recLen := int(binary.BigEndian.Uint16(b[3:5]))
	if len(b) < 5+min(recLen, 4+2+32+1) {
		return "", false
	}
	body := b[5:min(len(b), 5+recLen)]
	if len(body) < recLen && len(b) < Enough {
		return "", false // wait for the whole record
	}
	// handshake header (4), legacy_version (2), random (32)
	p := body[min(len(body), 4+2+32):]
	skip := func(lenBytes int) bool {
		if len(p) < lenBytes {
			return false
		}
		n := 0
		for _, c := range p[:lenBytes] {
			n = n<<8 | int(c)
		}
		if len(p) < lenBytes+n {
			return false
		}
		p = p[lenBytes+n:]
		return true
	}
	// session id, cipher suites, compression methods
	if !skip(1) || !skip(2) || !skip(1) || len(p) < 2 {
		return "TLS ClientHello", true
	}
	ext := p[2:min(len(p), 2+int(binary.BigEndian.Uint16(p)))]
	for len(ext) >= 4 {
		typ, n := binary.BigEndian.Uint16(ext), int(binary.BigEndian.Uint16(ext[2:]))
		if len(ext) < 4+n {
			break
		}
		if typ == 0 { // server_name: list length (2), name type (1), name length (2), name
			v := ext[4 : 4+n]
			if len(v) >= 5 && v[2] == 0 {
				l := int(binary.BigEndian.Uint16(v[3:]))
				if len(v) >= 5+l {
					return "TLS ClientHello, SNI " + string(v[5:5+l]), true
				}
			}
		}
		ext = ext[4+n:]
	}
	return "TLS ClientHello (no SNI)", true
}
