package temporaldev

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

const (
	// readyTimeout caps the readiness wait when the caller's ctx has a
	// longer (or no) deadline, so Start never hangs forever.
	readyTimeout = 30 * time.Second
	// probeTimeout bounds one readiness probe.
	probeTimeout = 2 * time.Second
	// probeInterval is the pause between failed probes.
	probeInterval = 25 * time.Millisecond
	// workflowServiceName is the gRPC health service the SDK's CheckHealth asks for.
	workflowServiceName = "temporal.api.workflowservice.v1.WorkflowService"
)

// waitFrontend polls the frontend until its gRPC health check reports
// SERVING and the namespace can be described, or ctx ends.
func waitFrontend(ctx context.Context, addr, namespace string) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("dial frontend %s: %w", addr, err)
	}
	defer func() { _ = conn.Close() }()
	health := healthpb.NewHealthClient(conn)
	wf := workflowservice.NewWorkflowServiceClient(conn)

	return poll(ctx, "frontend "+addr, func(ctx context.Context) error {
		resp, err := health.Check(ctx, &healthpb.HealthCheckRequest{Service: workflowServiceName})
		if err != nil {
			return fmt.Errorf("health check: %w", err)
		}
		if st := resp.GetStatus(); st != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("health status %s", st)
		}
		if _, err := wf.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace}); err != nil {
			return fmt.Errorf("describe namespace %q: %w", namespace, err)
		}
		return nil
	})
}

// waitUI polls the UI's /healthz until it answers 200, or ctx ends.
func waitUI(ctx context.Context, baseURL string) error {
	hc := &http.Client{}
	return poll(ctx, "ui "+baseURL, func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/healthz", nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("healthz status %d", resp.StatusCode)
		}
		return nil
	})
}

// poll runs probe until it succeeds or ctx ends; the error then carries
// both ctx's error and the last probe error.
func poll(ctx context.Context, what string, probe func(context.Context) error) error {
	for {
		pctx, cancel := context.WithTimeout(ctx, probeTimeout)
		err := probe(pctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w", what, errors.Join(ctx.Err(), err))
		case <-time.After(probeInterval):
		}
	}
}
