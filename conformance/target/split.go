package target

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	neturl "net/url"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway"
)

// The embedded target's topologies (--embedded-topology).
const (
	TopologyAll   = "all"
	TopologySplit = "split"
	// TopologyReplicas is split with two api-service replicas as one installation: their
	// cross-request state shared through configuration-service's state listener (--state-url),
	// each with its own data directory (its lifecycle journal), and a balancer in front that
	// sends each request to the next replica in turn.
	TopologyReplicas = "replicas"
)

// startSplit serves the reference gateway as the kind manifests deploy it: configuration-service,
// mongodb-datastore and api-service each on its own loopback listener, and the gateway role in
// front (HTTP and HTTPS), talking HTTP to them. The first start binds random ports, which every
// later one binds again; the roles share the data directory (each has its own store file).
// Stopping stops the four at once, as deleting their pods does.
func (eg *embeddedGateway) startSplit() error {
	if eg.addrs == nil {
		eg.addrs = map[gateway.Role]string{}
		for _, r := range []gateway.Role{gateway.RoleConfigurationService, gateway.RoleDatastore, gateway.RoleAPIService} {
			eg.addrs[r] = "127.0.0.1:0"
		}
	}
	c := eg.cfg
	base := func(r gateway.Role) gateway.Config {
		return gateway.Config{Role: r, HTTPAddr: eg.addrs[r], DataDir: c.DataDir, Log: c.Log.With("role", string(r)), Timeouts: c.Timeouts,
			NoSync: c.NoSync, ReloadInterval: c.ReloadInterval, ShutdownTimeout: c.ShutdownTimeout}
	}
	var stops []func()
	stopAll := func() {
		// Every role stops at once; each waits for its requests in flight.
		done := make(chan struct{}, len(stops))
		for _, s := range stops {
			go func() { s(); done <- struct{}{} }()
		}
		for range stops {
			<-done
		}
	}
	var last *gateway.Gateway // the role serve started last
	serve := func(cfg gateway.Config) (httpAddr, httpsAddr string, err error) {
		g, err := gateway.New(cfg)
		if err != nil {
			return "", "", err
		}
		httpL, httpsL, err := g.Listeners()
		if err != nil {
			g.Close()
			return "", "", err
		}
		last = g
		httpAddr = httpL.Addr().String()
		if httpsL != nil {
			httpsAddr = httpsL.Addr().String()
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { _ = g.Serve(ctx, httpL, httpsL); close(done) }()
		stops = append(stops, func() { cancel(); <-done; g.Close() })
		return httpAddr, httpsAddr, nil
	}
	url := func(r gateway.Role) string { return "http://" + eg.addrs[r] }
	apiService := func(addr, dataDir string) gateway.Config {
		cfg := base(gateway.RoleAPIService)
		cfg.HTTPAddr, cfg.DataDir = addr, dataDir
		cfg.TokenFile, cfg.UsersFile, cfg.SessionTTL = c.TokenFile, c.UsersFile, c.SessionTTL
		cfg.MinBcryptCost, cfg.ThrottleBackoff = c.MinBcryptCost, c.ThrottleBackoff
		cfg.ConfigurationServiceURL, cfg.DatastoreURL = url(gateway.RoleConfigurationService), url(gateway.RoleDatastore)
		return cfg
	}
	for _, r := range []gateway.Role{gateway.RoleConfigurationService, gateway.RoleDatastore, gateway.RoleAPIService} {
		cfg := base(r)
		switch {
		case r == gateway.RoleConfigurationService && eg.replicas:
			cfg.StateAddr = cmp.Or(eg.stateAddr, "127.0.0.1:0")
		case r == gateway.RoleAPIService && eg.replicas:
			if eg.replicaAddrs == nil {
				eg.replicaAddrs = []string{"127.0.0.1:0", "127.0.0.1:0"}
			}
			var backends []*neturl.URL
			for i := range 2 {
				cfg := apiService(eg.replicaAddrs[i], filepath.Join(c.DataDir, fmt.Sprintf("api-service-%d", i+1)))
				cfg.StateURL = "http://" + eg.stateAddr
				addr, _, err := serve(cfg)
				if err != nil {
					stopAll()
					return fmt.Errorf("api-service replica %d: %w", i+1, err)
				}
				eg.replicaAddrs[i] = addr
				backends = append(backends, &neturl.URL{Scheme: "http", Host: addr})
			}
			// The balancer is api-service's address, as its Service is on kind.
			addr, stop, err := balance(eg.addrs[r], backends, c.ShutdownTimeout)
			if err != nil {
				stopAll()
				return fmt.Errorf("api-service balancer: %w", err)
			}
			stops = append(stops, stop)
			eg.addrs[r] = addr
			continue
		case r == gateway.RoleAPIService:
			cfg = apiService(eg.addrs[r], c.DataDir)
		}
		addr, _, err := serve(cfg)
		if err != nil {
			stopAll()
			return errors.Join(errors.New("role "+string(r)), err)
		}
		eg.addrs[r] = addr
		if r == gateway.RoleConfigurationService && eg.replicas {
			eg.stateAddr = last.StateListenerAddr()
		}
	}
	gw := base(gateway.RoleGateway)
	gw.HTTPAddr, gw.HTTPSAddr, gw.Domain, gw.Layout, gw.EchoURL = c.HTTPAddr, c.HTTPSAddr, c.Domain, c.Layout, c.EchoURL
	gw.TLSCertFile, gw.TLSKeyFile, gw.HTTPSRedirect = c.TLSCertFile, c.TLSKeyFile, c.HTTPSRedirect
	gw.APIServiceURL, gw.ConfigurationServiceURL, gw.DatastoreURL = url(gateway.RoleAPIService), url(gateway.RoleConfigurationService), url(gateway.RoleDatastore)
	httpAddr, httpsAddr, err := serve(gw)
	if err != nil {
		stopAll()
		return errors.Join(errors.New("role gateway"), err)
	}
	eg.cfg.HTTPAddr, eg.cfg.HTTPSAddr = httpAddr, httpsAddr
	eg.stop = stopAll
	return nil
}

// balance serves a round-robin reverse proxy on addr in front of the backends, each request to
// the next (a Kubernetes Service in front of replicas, per request rather than per connection:
// the harder case for shared state), and returns its address and its graceful stop.
func balance(addr string, backends []*neturl.URL, patience time.Duration) (string, func(), error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	var turn atomic.Uint64
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(backends[turn.Add(1)%uint64(len(backends))])
		// A Service passes the request through untouched: the gateway's forwarding headers too
		// (the proxy drops them before Rewrite).
		pr.Out.Host = pr.In.Host
		for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
			if v, ok := pr.In.Header[h]; ok {
				pr.Out.Header[h] = v
			}
		}
	}}
	srv := &http.Server{Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() { _ = srv.Serve(l); close(done) }()
	return l.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), cmp.Or(patience, 10*time.Second))
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}, nil
}
