package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// server is a `fieldops serve` (or raw server) child process on a loopback port.
type server struct {
	cmd  *exec.Cmd
	base string // http://127.0.0.1:port
	done chan error
	log  string
}

// startServer runs `fieldops serve` against dbURL on 127.0.0.1 (a free
// port, read back from what the server prints) and waits until /healthz
// answers. Its log goes to a file in the temporary directory.
func startServer(ctx context.Context, bin, dbURL, secret, name string, logf func(string, ...any)) (*server, error) {
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(),
		"DATABASE_URL="+dbURL,
		"FIELDOPS_JWT_SECRET="+secret,
		"FIELDOPS_DEV=false",
		"FIELDOPS_HTTP_ADDR=127.0.0.1:0",
		"FIELDOPS_METRICS_ADDR=localhost:0", // loopback too; the config refuses the API's own address string
		"FIELDOPS_RATE_LIMIT_RPS=0",         // the load comes from a few accounts: measure the API, not the limiter
	)
	return launch(ctx, cmd, "fieldops serve", "FieldOps API", name, logf)
}

// launch starts cmd (what, for messages), reads its base URL from the stdout
// line starting with banner and waits until /healthz answers.
func launch(ctx context.Context, cmd *exec.Cmd, what, banner, name string, logf func(string, ...any)) (*server, error) {
	logPath := filepath.Join(os.TempDir(), "fieldops-bench-"+name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logFile
	out, err := cmd.StdoutPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	s := &server{cmd: cmd, done: make(chan error, 1), log: logPath}
	baseCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logFile, line)
			if rest, ok := strings.CutPrefix(line, banner); ok && !sent {
				baseCh <- strings.TrimSuffix(strings.TrimSpace(rest), "/v1")
				sent = true
			}
		}
	}()
	go func() { s.done <- cmd.Wait(); logFile.Close() }()

	deadline := time.NewTimer(2 * time.Minute) // migrations on a large copy may take a while
	defer deadline.Stop()
	select {
	case s.base = <-baseCh:
	case err := <-s.done:
		return nil, fmt.Errorf("%s exited (%v); see %s", what, err, logPath)
	case <-deadline.C:
		s.stop()
		return nil, fmt.Errorf("%s did not start listening; see %s", what, logPath)
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := http.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				logf("%s: %s (pid %d) ready on %s, log %s", name, what, cmd.Process.Pid, s.base, logPath)
				return s, nil
			}
		}
		select {
		case <-tick.C:
		case err := <-s.done:
			return nil, fmt.Errorf("%s exited (%v); see %s", what, err, logPath)
		case <-deadline.C:
			s.stop()
			return nil, errors.New(what + ": /healthz never answered 200; see " + logPath)
		}
	}
}

// stop asks the server to shut down (SIGTERM) and kills it if it is still
// running after 15 s.
func (s *server) stop() {
	if s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}
