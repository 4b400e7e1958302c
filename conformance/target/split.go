package target

import (
	"context"
	"errors"

	"github.com/keptn-conformance/keptn-conformance/gateway"
)

// The embedded target's topologies (--embedded-topology).
const (
	TopologyAll   = "all"
	TopologySplit = "split"
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
	for _, r := range []gateway.Role{gateway.RoleConfigurationService, gateway.RoleDatastore, gateway.RoleAPIService} {
		cfg := base(r)
		if r == gateway.RoleAPIService {
			cfg.TokenFile, cfg.UsersFile, cfg.SessionTTL = c.TokenFile, c.UsersFile, c.SessionTTL
			cfg.MinBcryptCost, cfg.ThrottleBackoff = c.MinBcryptCost, c.ThrottleBackoff
			cfg.ConfigurationServiceURL, cfg.DatastoreURL = url(gateway.RoleConfigurationService), url(gateway.RoleDatastore)
		}
		addr, _, err := serve(cfg)
		if err != nil {
			stopAll()
			return errors.Join(errors.New("role "+string(r)), err)
		}
		eg.addrs[r] = addr
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
