// Package appproto names the application protocol a TCP stream starts with,
// from its first bytes: HTTP/1.x requests and responses, TLS handshakes (with
// the server name of a ClientHello), SSH banners, SMTP and FTP greetings.
//
// It only recognizes; it does not parse the protocols further. Its input is
// attacker-controlled bytes, so it reads within bounds and never allocates
// more than the text it returns.
package appproto
