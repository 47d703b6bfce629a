package temporaldev

import (
	"context"
	"fmt"
	"strings"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiopts "github.com/temporalio/ui-server/v2/server/server_options"
)

// webUI runs the Temporal Web UI (assets embedded in ui-server) in-process.
type webUI struct {
	srv  *uiserver.Server
	done chan struct{} // closed when srv.Start has returned
}

// startUI serves the UI on host:port, talking gRPC to frontend.
//
// ui-server's Start blocks, and it exits the whole process (echo's
// Logger.Fatal) if it cannot listen, so the port is checked first; the
// goroutine is always awaited by stop.
func startUI(host string, port int, frontend, namespace string) (*webUI, error) {
	if err := checkPortFree(host, port); err != nil {
		return nil, fmt.Errorf("ui: %w", err)
	}
	srv := uiserver.NewServer(uiopts.WithConfigProvider(&uiconfig.Config{
		Host:                uiHost(host),
		Port:                port,
		TemporalGRPCAddress: frontend,
		EnableUI:            true,
		HideLogs:            true,
		DisableNewsFetch:    true,
		DefaultNamespace:    namespace,
		CORS:                uiconfig.CORS{CookieInsecure: true},
	}))
	ui := &webUI{srv: srv, done: make(chan struct{})}
	go func() {
		defer close(ui.done)
		_ = srv.Start() // returns nil once Stop closed the server
	}()
	return ui, nil
}

// stop closes the UI server and waits for its goroutine. Stop is repeated
// until Start returns because a Stop issued before Start reached its listen
// call would otherwise be missed.
func (u *webUI) stop(ctx context.Context) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		u.srv.Stop()
		select {
		case <-u.done:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("stop ui: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// uiHost brackets IPv6 addresses: ui-server joins host and port with
// fmt.Sprintf("%s:%d").
func uiHost(host string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}
