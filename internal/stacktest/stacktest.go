// Package stacktest runs the real `bkflow dev` process for end-to-end tests:
// embedded Temporal and its UI, PostgreSQL, migrations, the API and the
// workers, on free ports and a fresh database, exactly as a newcomer runs it.
// Tests talk to it over HTTP and gRPC like any client, and can stop, kill and
// restart it on the same data directory.
package stacktest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bkflow/bkflow/internal/pgtest"
)

// ReadyTimeout bounds a cold start of the stack.
const ReadyTimeout = 90 * time.Second

// Options configure a stack.
type Options struct {
	// DataDir is the --data-dir; empty means a new temporary directory.
	DataDir string
	// PrivatePostgres starts the stack without DATABASE_URL, so it runs its
	// own cluster under DataDir. Otherwise a fresh database is created on the
	// test server (pgtest).
	PrivatePostgres bool
	// Env adds environment variables (KEY=VALUE) to the process.
	Env []string
}

// Stack is one `bkflow dev` process and everything needed to reach it.
type Stack struct {
	t         testing.TB
	bin       string
	env       []string
	DataDir   string
	HTTPAddr  string
	Temporal  string
	UIAddr    string
	AppCode   string
	AppSecret string
	// DatabaseURL is the stack's database ("" with PrivatePostgres).
	DatabaseURL string
	// StartedIn is how long the last start took until /readyz answered 200.
	StartedIn time.Duration

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan error
	logs *lockedBuffer
}

// Start launches the stack and waits until /readyz answers 200.
func Start(t testing.TB, o Options) *Stack {
	t.Helper()
	dir := o.DataDir
	if dir == "" {
		var err error
		dir, err = os.MkdirTemp("", "bkflow-stack-")
		if err != nil {
			t.Fatal(err)
		}
		_ = os.Chmod(dir, 0o755)
		t.Cleanup(func() { _ = os.RemoveAll(dir) })
	}
	secret := randomHex(16)
	addrs := freeAddrs(t, 3)
	s := &Stack{
		t: t, bin: Binary(t), DataDir: dir,
		HTTPAddr: addrs[0], Temporal: addrs[1], UIAddr: addrs[2],
		AppCode: "bkflow-dev", AppSecret: secret,
		logs: &lockedBuffer{},
	}
	_, tport, _ := net.SplitHostPort(s.Temporal)
	_, uport, _ := net.SplitHostPort(s.UIAddr)
	env := []string{
		"BKFLOW_DATA_DIR=" + dir,
		"BKFLOW_HTTP_ADDR=" + s.HTTPAddr,
		"BKFLOW_TEMPORAL_PORT=" + tport,
		"BKFLOW_UI_PORT=" + uport,
		"BKFLOW_DEV_APP_SECRET=" + secret,
		"BKFLOW_LOG_LEVEL=info",
	}
	if o.PrivatePostgres {
		env = append(env, "DATABASE_URL=", "BKFLOW_DATABASE_URL=")
	} else {
		s.DatabaseURL = pgtest.NewDatabase(t)
		env = append(env, "DATABASE_URL="+s.DatabaseURL)
	}
	s.env = append(env, o.Env...)
	t.Cleanup(func() {
		if s.running() {
			s.Stop()
		}
		if t.Failed() {
			t.Logf("bkflow dev output:\n%s", s.logs.String())
		}
	})
	s.launch()
	return s
}

// Restart starts the process again on the same data dir and ports.
func (s *Stack) Restart() {
	s.t.Helper()
	if s.running() {
		s.t.Fatal("stacktest: Restart while the stack is running")
	}
	s.launch()
}

func (s *Stack) launch() {
	s.t.Helper()
	cmd := exec.Command(s.bin, "dev")
	cmd.Env = append(filteredEnv(), s.env...)
	fmt.Fprintf(s.logs, "\n===== start %s =====\n", time.Now().Format(time.RFC3339Nano))
	cmd.Stdout = s.logs
	cmd.Stderr = s.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start bkflow dev: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()

	deadline := time.Now().Add(ReadyTimeout)
	for {
		select {
		case err := <-done:
			s.mu.Lock()
			s.cmd = nil
			s.mu.Unlock()
			s.t.Fatalf("bkflow dev exited before it was ready (%v):\n%s", err, s.logs.String())
		default:
		}
		resp, err := http.Get(s.URL("/readyz"))
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.StartedIn = time.Since(begin)
				return
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("bkflow dev not ready within %s:\n%s", ReadyTimeout, s.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop sends SIGTERM and waits for the process to exit; it returns how long
// the stop took and fails the test if the exit was not clean.
func (s *Stack) Stop() time.Duration {
	s.t.Helper()
	return s.signal(syscall.SIGTERM, true)
}

// Kill sends SIGKILL to the process (not its children: they must notice on
// their own) and waits for it to exit.
func (s *Stack) Kill() {
	s.t.Helper()
	s.signal(syscall.SIGKILL, false)
}

func (s *Stack) signal(sig syscall.Signal, wantClean bool) time.Duration {
	s.t.Helper()
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return 0
	}
	begin := time.Now()
	_ = cmd.Process.Signal(sig)
	select {
	case err := <-done:
		if wantClean && err != nil {
			s.t.Errorf("bkflow dev exited with %v after %s", err, sig)
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		s.t.Errorf("bkflow dev did not exit within 30 s of %s", sig)
	}
	return time.Since(begin)
}

func (s *Stack) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd != nil
}

// PID is the process id of the running stack.
func (s *Stack) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Logs returns everything the process printed so far.
func (s *Stack) Logs() string { return s.logs.String() }

// URL returns the API URL of path.
func (s *Stack) URL(path string) string { return "http://" + s.HTTPAddr + path }

// AuthHeader is the X-Bkapi-Authorization value for the dev app acting as user.
func (s *Stack) AuthHeader(user string) string {
	return AuthHeader(s.AppCode, s.AppSecret, user)
}

// AuthHeader builds an X-Bkapi-Authorization value.
func AuthHeader(code, secret, user string) string {
	b, _ := json.Marshal(map[string]string{"bk_app_code": code, "bk_app_secret": secret, "bk_username": user})
	return string(b)
}

// Response is a decoded API answer.
type Response struct {
	Status int
	Body   []byte
	Header http.Header
}

// JSON decodes the body into a generic value.
func (r Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("response is not a JSON object (%v): %s", err, r.Body)
	}
	return v
}

// Do sends a request with the dev app's credentials (auth "" means none;
// use AuthHeader for others) and returns the answer. body may be nil, a
// string/[]byte sent as is, or a value encoded as JSON.
func (s *Stack) Do(method, path, auth string, body any) Response {
	s.t.Helper()
	return Do(s.t, method, s.URL(path), auth, body)
}

// Do is Stack.Do for any URL.
func Do(t testing.TB, method, url, auth string, body any) Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("X-Bkapi-Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return Response{Status: resp.StatusCode, Body: raw, Header: resp.Header}
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// Binary returns the bkflow binary under test: $BKFLOW_BIN (set by
// `make test`), else one built once per test process.
func Binary(t testing.TB) string {
	t.Helper()
	if b := os.Getenv("BKFLOW_BIN"); b != "" {
		return b
	}
	buildOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			buildErr = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		root := filepath.Dir(strings.TrimSpace(string(out)))
		dir, err := os.MkdirTemp("", "bkflow-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "bkflow")
		cmd := exec.Command("go", "build", "-o", buildPath, "./cmd/bkflow")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// freeAddrs returns n distinct free loopback addresses: the listeners stay
// open until all are chosen, so the kernel cannot hand out one port twice
// (it did: "port and ui port are both …").
func freeAddrs(t testing.TB, n int) []string {
	t.Helper()
	out := make([]string, n)
	for i := range out {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		out[i] = l.Addr().String()
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// filteredEnv is the test's environment without bkflow settings, so the
// stack sees only what the test sets.
func filteredEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "BKFLOW_") || strings.HasPrefix(kv, "DATABASE_URL=") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
