package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// packBinary is the executable under test, built once from this package by TestMain so the protocol tests
// exercise exactly the code in the tree (not a stale bin/platform-policy).
var packBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "platform-policy-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	packBinary = filepath.Join(dir, "platform-policy")
	build := exec.Command("go", "build", "-o", packBinary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "building the policy pack executable: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// startPack launches the executable the way the engine's plugin host does (engine address as the last argument,
// logging flags first) and returns the port it announced on stdout.
func startPack(t *testing.T, env ...string) int {
	t.Helper()
	cmd := exec.Command(packBinary, "--logtostderr", "-v=9", "127.0.0.1:1")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
	}()
	select {
	case line := <-lines:
		port, err := strconv.Atoi(strings.TrimSpace(line))
		if err != nil {
			t.Fatalf("first stdout line %q is not a port: %v", line, err)
		}
		return port
	case <-time.After(30 * time.Second):
		t.Fatal("the policy pack printed no port within 30s")
	}
	return 0
}

func TestRejectsBadEnvironmentVariable(t *testing.T) {
	cmd := exec.Command(packBinary, "127.0.0.1:1")
	cmd.Env = append(os.Environ(), "PLATFORM_POLICY_ENVIRONMENT=production-ish")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("expected a failure, got success: %s", out)
	}
	if !strings.Contains(string(out), `PLATFORM_POLICY_ENVIRONMENT="production-ish": must be dev, staging or prod`) {
		t.Fatalf("unexpected output: %s", out)
	}
}
