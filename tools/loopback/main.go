// Command loopback plays TCP scenarios between a server and a client on
// 127.0.0.1, for testdata/pcaps/loopback.sh to capture with tcpdump.
//
//	go run ./tools/loopback [-timeout 30s]
//
// Each scenario listens on its own fixed port (portEcho and on) and runs one
// connection to completion before the next starts, 100 ms apart:
//
//	47001 echo: two lines echoed back, then the client closes first
//	47005 refused: a connection to a port nobody listens on
//	47002 server close: the server sends a line and closes first
//	47003 half-close: the client sends a job and shuts down writing; the
//	      server reads to EOF, sends five chunks 20 ms apart, then closes
//	47004 bulk: the server sends 4 MiB, then closes
//
// It only ever talks to 127.0.0.1, and gives up after -timeout.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

const (
	portEcho     = 47001
	portServerFS = 47002
	portHalf     = 47003
	portBulk     = 47004
	portRefused  = 47005 // nothing listens here

	bulkBytes = 4 << 20
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loopback", flag.ContinueOnError)
	fs.SetOutput(stderr)
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	scenarios := []struct {
		name string
		run  func(context.Context) error
	}{
		{"echo", echo},
		{"refused", refused},
		{"server-close", serverClose},
		{"half-close", halfClose},
		{"bulk", bulk},
	}
	for i, s := range scenarios {
		if i > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		if err := s.run(ctx); err != nil {
			fmt.Fprintf(stderr, "loopback: %s: %v\n", s.name, err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: ok\n", s.name)
	}
	return 0
}

func addr(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }

// pair listens on port, runs server on the one connection it accepts and
// client on a connection dialed to it, and returns the first error of
// either. Both connections get the context's deadline.
func pair(ctx context.Context, port int, server, client func(*net.TCPConn) error) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp4", addr(port))
	if err != nil {
		return err
	}
	defer ln.Close()
	deadline, _ := ctx.Deadline()

	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		_ = c.SetDeadline(deadline)
		done <- server(c.(*net.TCPConn))
	}()

	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp4", addr(port))
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(deadline)
	cerr := client(c.(*net.TCPConn))
	serr := <-done
	return errors.Join(cerr, serr)
}

// echo: the server echoes what it reads until EOF, then closes; the client
// sends two lines, checks each echo, and closes first.
func echo(ctx context.Context) error {
	return pair(ctx, portEcho,
		func(c *net.TCPConn) error {
			_, err := io.Copy(c, c)
			return err
		},
		func(c *net.TCPConn) error {
			buf := make([]byte, 64)
			for _, line := range []string{"hello\n", "how are you?\n"} {
				if _, err := io.WriteString(c, line); err != nil {
					return err
				}
				if _, err := io.ReadFull(c, buf[:len(line)]); err != nil {
					return err
				}
				if got := string(buf[:len(line)]); got != line {
					return fmt.Errorf("echo %q, want %q", got, line)
				}
				time.Sleep(10 * time.Millisecond)
			}
			if err := c.Close(); err != nil {
				return err
			}
			time.Sleep(20 * time.Millisecond) // let the server's FIN go by before the next scenario
			return nil
		})
}

// refused dials a port nobody listens on and expects the kernel's RST.
func refused(ctx context.Context) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp4", addr(portRefused))
	if err == nil {
		c.Close()
		return fmt.Errorf("connected to %s; want connection refused", addr(portRefused))
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return err
	}
	return nil
}

// serverClose: the server sends a line and closes; the client reads to EOF,
// then closes.
func serverClose(ctx context.Context) error {
	const msg = "221 closing connection\r\n"
	return pair(ctx, portServerFS,
		func(c *net.TCPConn) error {
			_, err := io.WriteString(c, msg)
			if err != nil {
				return err
			}
			return c.Close()
		},
		func(c *net.TCPConn) error {
			got, err := io.ReadAll(c)
			if err != nil {
				return err
			}
			if string(got) != msg {
				return fmt.Errorf("read %q, want %q", got, msg)
			}
			time.Sleep(10 * time.Millisecond)
			return c.Close()
		})
}

// halfClose: the client sends a job and shuts down its sending side; the
// server reads to EOF, answers in five chunks 20 ms apart, and closes.
func halfClose(ctx context.Context) error {
	const job = "sort -n\n3\n1\n2\n"
	return pair(ctx, portHalf,
		func(c *net.TCPConn) error {
			got, err := io.ReadAll(c)
			if err != nil {
				return err
			}
			if string(got) != job {
				return fmt.Errorf("server read %q, want %q", got, job)
			}
			for i := 1; i <= 5; i++ {
				time.Sleep(20 * time.Millisecond)
				if _, err := fmt.Fprintf(c, "result %d of 5\n", i); err != nil {
					return err
				}
			}
			return c.Close()
		},
		func(c *net.TCPConn) error {
			if _, err := io.WriteString(c, job); err != nil {
				return err
			}
			if err := c.CloseWrite(); err != nil {
				return err
			}
			got, err := io.ReadAll(c)
			if err != nil {
				return err
			}
			if n := strings.Count(string(got), "\n"); n != 5 {
				return fmt.Errorf("client read %d lines, want 5", n)
			}
			return c.Close()
		})
}

// bulk: the server sends bulkBytes and closes; the client reads them all.
func bulk(ctx context.Context) error {
	return pair(ctx, portBulk,
		func(c *net.TCPConn) error {
			chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
			for sent := 0; sent < bulkBytes; sent += len(chunk) {
				if _, err := c.Write(chunk); err != nil {
					return err
				}
			}
			return c.Close()
		},
		func(c *net.TCPConn) error {
			n, err := io.Copy(io.Discard, c)
			if err != nil {
				return err
			}
			if n != bulkBytes {
				return fmt.Errorf("read %d bytes, want %d", n, bulkBytes)
			}
			return c.Close()
		})
}
