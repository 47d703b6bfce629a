package temporaldev

import (
	"fmt"
	"net"
	"slices"
	"strconv"
)

// freePorts asks the kernel for n distinct free TCP ports on host, none of
// them in exclude. All probe listeners stay open until the end so the kernel
// cannot hand out the same port twice. The ports are released before
// returning, so another process could in theory grab one before the server
// binds it; on a dev machine that race is negligible.
func freePorts(host string, n int, exclude ...int) (_ []int, err error) {
	var held []net.Listener
	defer func() {
		for _, l := range held {
			if cerr := l.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("release probe port: %w", cerr)
			}
		}
	}()
	ports := make([]int, 0, n)
	for len(ports) < n {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("pick free port on %s: %w", host, err)
		}
		held = append(held, l)
		port := l.Addr().(*net.TCPAddr).Port
		if !slices.Contains(exclude, port) {
			ports = append(ports, port)
		}
	}
	return ports, nil
}

// checkPortFree fails when host:port cannot be bound right now. The UI server
// terminates the process (echo's Logger.Fatal) when its listen fails, so we
// check beforehand to turn the common "port already in use" into an error.
func checkPortFree(host string, port int) error {
	l, err := net.Listen("tcp", hostPort(host, port))
	if err != nil {
		return fmt.Errorf("port %d unavailable: %w", port, err)
	}
	if err := l.Close(); err != nil {
		return fmt.Errorf("port %d: %w", port, err)
	}
	return nil
}

// dialHost is the address clients use to reach a service bound to host:
// the loopback address of the same family when host is unspecified.
func dialHost(host string) string {
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsUnspecified() {
		return host
	}
	if ip.To4() != nil {
		return "127.0.0.1"
	}
	return "::1"
}

func hostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}
