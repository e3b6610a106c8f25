// Package ocstest starts an OpenCompShare server in testing mode for a Go test, and drives its
// test controls (faults, time travel, snapshots, reset) through the official Go SDK,
// github.com/ucloud/ucloud-sdk-go.
//
//	func TestReclaim(t *testing.T) {
//		srv := ocstest.Start(t) // a fresh server, stopped when the test ends
//		cs := srv.CompShare()   // the SDK's typed CompShare client, with the operator's keys
//		// … create an instance with cs, stop it …
//		if _, err := srv.Advance(8 * 24 * 3600); err != nil { // 8 days later, at once
//			t.Fatal(err)
//		}
//		// … the instance is gone: srv.State(id) == ocstest.Gone
//	}
//
// The test controls answer errors that carry the RetCode (Code(err); 226610 is
// InstanceOperationInProgress), and Invoke calls any action, ours or CompShare's, by name.
//
// Each server has a free port and a data directory of its own (t.TempDir), and is stopped by
// t.Cleanup even when the test fails. The server is found in this order: OCS_BIN (ocs.js or an
// executable), the checkout this package lives in (node packages/cli/bin/ocs.js, after
// `npm run build`), then an `ocs` on PATH.
package ocstest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
	"github.com/ucloud/ucloud-sdk-go/ucloud/auth"
	"github.com/ucloud/ucloud-sdk-go/ucloud/log"
)

// Region and Zone of the server's catalog.
const (
	Region = "cn-wlcb"
	Zone   = "cn-wlcb-01"
)

// Server is a running server in testing mode, with the operator's keys.
type Server struct {
	// BaseURL is the API's address, the SDK's BaseUrl: http://127.0.0.1:PORT.
	BaseURL string
	// The operator's account and keys, from default-credentials.json.
	PublicKey, PrivateKey string
	ProjectID, AccountID  string
	// DataDir is the server's data directory (removed after the test).
	DataDir string

	proc   *process
	client *ucloud.Client
}

// Option changes how Start starts the server.
type Option func(*settings)

type settings struct {
	env          map[string]string
	startTimeout time.Duration
}

// WithEnv sets an environment variable of the server, over Start's own (OCS_SOFT_TIMEOUT_MS,
// OCS_SIM_BOOT_MS, OCS_DATABASE_URL, …; OCS_TESTING=0 starts it without testing mode).
func WithEnv(key, value string) Option {
	return func(s *settings) { s.env[key] = value }
}

// WithStartTimeout bounds the wait for the server to be ready (default 60 s).
func WithStartTimeout(d time.Duration) Option {
	return func(s *settings) { s.startTimeout = d }
}

// Start starts a server in testing mode and waits until it is ready. It fails the test if the
// server does not start; the server is stopped when the test and its subtests end.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	cfg := settings{env: map[string]string{}, startTimeout: 60 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	command, err := serverCommand()
	if err != nil {
		t.Fatalf("ocstest: %v", err)
	}
	var proc *process
	var dataDir string
	// A free port can be taken between our look and the server's listen: try another then.
	for attempt := 1; ; attempt++ {
		dataDir = t.TempDir()
		port, err := freePort()
		if err != nil {
			t.Fatalf("ocstest: no free port: %v", err)
		}
		env := map[string]string{
			"OCS_TESTING":          "1",
			"OCS_HOST":             "127.0.0.1",
			"OCS_PORT":             fmt.Sprint(port),
			"OCS_DATA_DIR":         dataDir,
			"OCS_INITIAL_BALANCE":  "1000000",
			"OCS_SIM_BOOT_MS":      "300",
			"OCS_SIM_IMAGE_MS":     "1000",
			"OCS_LOG_LEVEL":        "warn",
			"OCS_SHUTDOWN_GRACE_S": "2",
		}
		for k, v := range cfg.env {
			env[k] = v
		}
		proc, err = startProcess(command, dataDir, env)
		if err != nil {
			t.Fatalf("ocstest: cannot start %s: %v", strings.Join(command, " "), err)
		}
		t.Cleanup(func() { proc.stopFor(t) })
		url := fmt.Sprintf("http://127.0.0.1:%d", port)
		err = proc.waitReady(url, cfg.startTimeout)
		if err == nil {
			s := &Server{BaseURL: url, DataDir: dataDir, proc: proc}
			if err := s.readCredentials(time.Now().Add(5 * time.Second)); err != nil {
				t.Fatalf("ocstest: %v\nserver log:\n%s", err, proc.log.tail(4000))
			}
			s.client = ucloud.NewClient(s.Config(), s.Credential())
			return s
		}
		if attempt < 3 && proc.exited() && strings.Contains(proc.log.String(), "EADDRINUSE") {
			continue
		}
		t.Fatalf("ocstest: %s (%s): %v\nserver log:\n%s", strings.Join(command, " "), url, err, proc.log.tail(4000))
	}
}

func (s *Server) readCredentials(deadline time.Time) error {
	file := filepath.Join(s.DataDir, "default-credentials.json")
	for {
		var creds struct{ AccountId, ProjectId, PublicKey, PrivateKey string }
		data, err := os.ReadFile(file)
		if err == nil {
			if err = json.Unmarshal(data, &creds); err == nil && creds.PublicKey == "" {
				err = fmt.Errorf("no PublicKey in it")
			}
		}
		if err == nil {
			s.PublicKey, s.PrivateKey = creds.PublicKey, creds.PrivateKey
			s.ProjectID, s.AccountID = creds.ProjectId, creds.AccountId
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cannot read the operator's keys from %s: %v", file, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Config is a new SDK configuration for this server: its BaseUrl, Region and Zone, the SDK's
// logging off (set LogLevel to see it). Change it freely: each call makes a new one.
func (s *Server) Config() *ucloud.Config {
	cfg := ucloud.NewConfig()
	cfg.BaseUrl = s.BaseURL
	cfg.Region = Region
	cfg.Zone = Zone
	cfg.LogLevel = log.PanicLevel
	return &cfg
}

// Credential is a new SDK credential with the operator's keys.
func (s *Server) Credential() *auth.Credential {
	cred := auth.NewCredential()
	cred.PublicKey = s.PublicKey
	cred.PrivateKey = s.PrivateKey
	return &cred
}

// Client is the SDK's generic client for this server (NewGenericRequest, GenericInvoke,
// InvokeAction), with the operator's keys.
func (s *Server) Client() *ucloud.Client { return s.client }

// CompShare is a new typed CompShare client of the SDK with the operator's keys.
func (s *Server) CompShare() *ucompshare.UCompShareClient {
	return ucompshare.NewClient(s.Config(), s.Credential())
}

// Log is what the server has written so far (stdout and stderr).
func (s *Server) Log() string { return s.proc.log.String() }
