package main

import (
	"os"
	"testing"
)

// TestMain lets the test binary be tcpflow itself when TCPFLOW_AS_MAIN is
// set: tests that need a process of its own (signals, another network
// namespace) run it that way.
func TestMain(m *testing.M) {
	if os.Getenv("TCPFLOW_AS_MAIN") == "1" {
		os.Exit(process())
	}
	os.Exit(m.Run())
}
