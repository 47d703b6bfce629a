package temporaldev

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
)

// Defaults applied by New when the corresponding Options field is empty.
const (
	// DefaultHost is the bind IP used when Options.Host is empty.
	DefaultHost = "127.0.0.1"
	// DefaultNamespace is the namespace created when Options.Namespace is empty.
	DefaultNamespace = "default"
	// NoUI disables the Web UI when used as Options.UIPort.
	NoUI = -1
)

// Options configures an embedded Temporal server.
type Options struct {
	// DBPath is the SQLite file holding all server state. Its parent
	// directory is created when missing. "" keeps everything in memory
	// (tests): state is lost on Stop.
	//
	// A file is created with one history shard; that number is stored in the
	// file and can never change for it afterwards.
	DBPath string
	// Host is the IP every service binds to; default "127.0.0.1". An
	// unspecified address (0.0.0.0 or ::) binds all interfaces, and clients
	// are then pointed at the loopback address.
	Host string
	// Port is the frontend gRPC port (the one SDK clients dial); 0 picks a
	// free port in New.
	Port int
	// UIPort is the Web UI port; 0 picks a free port in New, NoUI (-1)
	// disables the UI.
	UIPort int
	// Namespace is created (if missing) before the server starts; default
	// "default". It is also the UI's default namespace.
	Namespace string
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
	// LogLevel is the lowest level of server logs passed to Logger; nil means
	// slog.LevelWarn (the server is very chatty at info).
	LogLevel slog.Leveler
}

// withDefaults validates o and fills in defaults. Ports are not resolved here.
func (o Options) withDefaults() (Options, error) {
	if o.Host == "" {
		o.Host = DefaultHost
	}
	if net.ParseIP(o.Host) == nil {
		return o, fmt.Errorf("host %q: not an IP address", o.Host)
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.LogLevel == nil {
		o.LogLevel = slog.LevelWarn
	}
	var errs []error
	if o.Port < 0 || o.Port > 65535 {
		errs = append(errs, fmt.Errorf("port %d: out of range 0..65535", o.Port))
	}
	if o.UIPort < NoUI || o.UIPort > 65535 {
		errs = append(errs, fmt.Errorf("ui port %d: out of range -1..65535", o.UIPort))
	}
	if o.Port != 0 && o.Port == o.UIPort {
		errs = append(errs, fmt.Errorf("port and ui port are both %d", o.Port))
	}
	return o, errors.Join(errs...)
}
