package gateway_test

import (
	"strings"
	"testing"

	"github.com/keptn-conformance/keptn-conformance/gateway"
	"github.com/keptn-conformance/keptn-conformance/specs"
)

// Each split role serves its own spec at /swagger-ui/swagger.yaml without a token, as upstream's
// images do (api-service's is what a gateway forwarding /api/swagger-ui/* reaches).
func TestSplitRolesServeTheirOwnSpec(t *testing.T) {
	cs := start(t, gateway.Config{Role: gateway.RoleConfigurationService})
	ds := start(t, gateway.Config{Role: gateway.RoleDatastore})
	api := start(t, gateway.Config{Role: gateway.RoleAPIService, ConfigurationServiceURL: cs.http, DatastoreURL: ds.http})
	for _, c := range []struct {
		role *running
		spec string
	}{{api, specs.APIService}, {cs, specs.ConfigurationService}, {ds, specs.MongoDBDatastore}} {
		p := c.role.do("GET", c.role.http+"/swagger-ui/swagger.yaml", nil)
		expect(t, p, 200)
		raw, err := specs.Raw(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		if string(p.body) != string(raw) || !strings.HasPrefix(p.header.Get("Content-Type"), "application/yaml") {
			t.Errorf("%s: /swagger-ui/swagger.yaml is not its spec (%s, %d bytes)", c.spec, p.header.Get("Content-Type"), len(p.body))
		}
	}
}
