//go:build !nodev

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/bkflow/bkflow/internal/stacktest"
)

const restartQueue = "restart-test"

// waitForGo is a workflow that blocks until it is signalled "go".
func waitForGo(ctx workflow.Context) (string, error) {
	var payload string
	workflow.GetSignalChannel(ctx, "go").Receive(ctx, &payload)
	return "done: " + payload, nil
}

// testWorker connects to the stack's Temporal and runs waitForGo until the
// test (or Stop) ends it.
func testWorker(t *testing.T, s *stacktest.Stack) (client.Client, func()) {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: s.Temporal, Namespace: "default"})
	require.NoError(t, err)
	w := worker.New(c, restartQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(waitForGo, workflow.RegisterOptions{Name: "waitForGo"})
	require.NoError(t, w.Start())
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			w.Stop()
			c.Close()
		}
	}
	t.Cleanup(stop)
	return c, stop
}

// TestDevRestartKeepsEverything starts the stack, leaves a workflow waiting
// and a space behind, stops the stack (cleanly, or with SIGKILL), starts it
// again on the same data dir and checks both survived.
func TestDevRestartKeepsEverything(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"clean stop", "SIGKILL"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			s := stacktest.Start(t, stacktest.Options{})
			c, stopWorker := testWorker(t, s)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "restart-" + strings.ReplaceAll(mode, " ", "-"),
				TaskQueue: restartQueue}, "waitForGo")
			require.NoError(t, err)
			r := s.Do(http.MethodPost, "/create_space", s.AuthHeader("admin"),
				map[string]any{"name": "survivor", "platform_url": "http://example.com"})
			require.Contains(t, string(r.Body), `"result":true`)
			spaceID := int(r.JSON(t)["data"].(map[string]any)["space"].(map[string]any)["id"].(float64))
			stopWorker()

			if mode == "SIGKILL" {
				s.Kill()
			} else {
				took := s.Stop()
				require.Less(t, took, 10*time.Second, "a clean stop must finish within 10 s")
				t.Logf("clean stop took %s", took)
			}
			s.Restart()
			t.Logf("restart (warm data dir) ready in %s", s.StartedIn)

			c2, _ := testWorker(t, s)
			require.NoError(t, c2.SignalWorkflow(ctx, run.GetID(), run.GetRunID(), "go", "after restart"))
			var out string
			require.NoError(t, c2.GetWorkflow(ctx, run.GetID(), run.GetRunID()).Get(ctx, &out))
			require.Equal(t, "done: after restart", out)

			r = s.Do(http.MethodGet, fmt.Sprintf("/space/%d/get_space_configs/", spaceID), s.AuthHeader("admin"), nil)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			require.Contains(t, string(r.Body), `"result":true`)
		})
	}
}

// TestDevColdStartWithPrivatePostgres is the newcomer's path: no
// DATABASE_URL, an empty data dir. The stack must be ready within 60 s, serve
// the Temporal UI, stop within 10 s, come back after a SIGKILL (taking over its
// orphaned PostgreSQL) and keep its data.
func TestDevColdStartWithPrivatePostgres(t *testing.T) {
	t.Parallel()
	s := stacktest.Start(t, stacktest.Options{PrivatePostgres: true})
	t.Logf("cold start ready in %s", s.StartedIn)
	require.Less(t, s.StartedIn, 60*time.Second)

	resp, err := http.Get("http://" + s.UIAddr + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/html")
	require.Contains(t, strings.ToLower(string(body)), "<!doctype html>")

	r := s.Do(http.MethodPost, "/create_space", s.AuthHeader("admin"), map[string]any{"name": "cold", "platform_url": "http://example.com"})
	require.Contains(t, string(r.Body), `"result":true`, "%s", r.Body)
	require.Contains(t, s.Logs(), "bkflow dev is ready")
	require.Contains(t, s.Logs(), s.AppSecret, "the banner prints the dev app secret")

	took := s.Stop()
	t.Logf("clean stop took %s", took)
	require.Less(t, took, 10*time.Second)

	s.Restart()
	t.Logf("warm start ready in %s", s.StartedIn)
	s.Kill()
	s.Restart()
	r = s.Do(http.MethodPost, "/create_space", s.AuthHeader("admin"), map[string]any{"name": "cold", "platform_url": "http://example.com"})
	require.Contains(t, string(r.Body), "Space with name cold already exist", "the space created before the restarts is still there")
}
