// The server's process: where the command is, a free port, the log, readiness and the stop.

package ocstest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// stopTimeout bounds the wait for the server to exit after SIGTERM, before SIGKILL.
const stopTimeout = 10 * time.Second

// serverCommand finds the server: OCS_BIN, this package's checkout, or `ocs` on PATH.
func serverCommand() ([]string, error) {
	if bin := os.Getenv("OCS_BIN"); bin != "" {
		return commandFor(bin)
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		bin := filepath.Join(filepath.Dir(file), "..", "..", "packages", "cli", "bin", "ocs.js")
		if _, err := os.Stat(bin); err == nil {
			if _, err := os.Stat(filepath.Join(filepath.Dir(bin), "..", "dist")); err != nil {
				return nil, fmt.Errorf("%s is not built: run `npm ci` (or `npm run build`) in the checkout", bin)
			}
			return commandFor(bin)
		}
	}
	if bin, err := exec.LookPath("ocs"); err == nil {
		return []string{bin, "serve"}, nil
	}
	return nil, fmt.Errorf("no server: set OCS_BIN to ocs.js or an ocs executable, or put ocs on PATH")
}

func commandFor(bin string) ([]string, error) {
	if !strings.HasSuffix(bin, ".js") {
		return []string{bin, "serve"}, nil
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("%s needs node on PATH: %v", bin, err)
	}
	return []string{node, bin, "serve"}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type process struct {
	cmd  *exec.Cmd
	log  *logBuffer
	done chan struct{} // closed when the process has exited
	err  error         // its exit, once done is closed
	once sync.Once
}

// startProcess starts the command in dir with the environment without the caller's OCS_*
// settings (a database URL, a catalog…), plus env.
func startProcess(command []string, dir string, env map[string]string) (*process, error) {
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OCS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &process{cmd: cmd, log: &logBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitReady polls GET /readyz until it answers 200, the process exits, or the timeout passes.
func (p *process) waitReady(baseURL string, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	last := "no answer yet"
	for {
		resp, err := client.Get(baseURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = "GET /readyz answered " + resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-p.done:
			return fmt.Errorf("the server exited before it was ready: %v", p.err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s (%s)", timeout, last)
		}
	}
}

// stop ends the process: SIGTERM, then SIGKILL after stopTimeout. It returns how it ended.
func (p *process) stop() error {
	var result error
	p.once.Do(func() {
		if p.exited() {
			result = p.err
			return
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
			result = p.err
		case <-time.After(stopTimeout):
			_ = p.cmd.Process.Kill()
			<-p.done
			result = fmt.Errorf("killed: it did not exit within %s of SIGTERM", stopTimeout)
		}
	})
	return result
}

// stopFor stops the process at the end of a test, with the server's log when the test failed.
func (p *process) stopFor(t testing.TB) {
	if err := p.stop(); err != nil {
		t.Logf("ocstest: the server's exit: %v", err)
	}
	if t.Failed() {
		t.Logf("ocstest: the server's log:\n%s", p.log.tail(8000))
	}
}

// logBuffer keeps what the server writes, safe for its two pipes and the test's reads.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tail is the last n bytes of the log.
func (b *logBuffer) tail(n int) string {
	s := b.String()
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
