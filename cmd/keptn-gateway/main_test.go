package main

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestMisconfigurationIsOneClearError(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, nil, "no command given"},
		{[]string{"frobnicate"}, nil, `unknown command "frobnicate"`},
		{[]string{"serve", "--https-redirect=maybe"}, nil, "--https-redirect"},
		{[]string{"serve", "--no-sync=often"}, nil, "--no-sync"},
		{[]string{"serve", "--session-ttl=forever"}, nil, "--session-ttl"},
		{[]string{"serve", "--log-format=xml"}, nil, "--log-format"},
		{[]string{"serve", "--log-level=loud"}, nil, "--log-level"},
		{[]string{"serve", "--idle-timeout=0s"}, nil, "--idle-timeout"},
		{[]string{"serve"}, map[string]string{"KEPTN_GATEWAY_BODY_STALL_TIMEOUT": "soon"}, "--body-stall-timeout"},
		{[]string{"serve", "--role=nginx", "--data-dir", dir}, nil, "unknown role"},
		{[]string{"serve", "--role=gateway", "--data-dir", dir}, nil, "needs --api-service-url"},
		{[]string{"serve", "--layout=0.5", "--data-dir", dir}, nil, `--layout: unknown layout "0.5" (want one of 0.7, 0.6)`},
		{[]string{"serve", "--role=api-service", "--layout=0.6", "--data-dir", dir}, nil, "--layout is the gateway's"},
		{[]string{"serve", "--data-dir", dir, "--tls-cert", "a.crt", "--http", "127.0.0.1:0", "--https", "127.0.0.1:0"}, nil, "--tls-key"},
		{[]string{"serve", "--data-dir", dir, "--http", "127.0.0.1:0", "--https", ""}, map[string]string{"KEPTN_API_TOKEN": "short"}, "shorter than"},
		{[]string{"serve", "--http", "127.0.0.1:0", "--https", ""}, map[string]string{"KEPTN_GATEWAY_DATA_DIR": dir, "KEPTN_GATEWAY_USERS_FILE": dir + "/missing.yaml"}, "users file"},
		{[]string{"serve", "extra"}, nil, "takes no arguments"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			var out, errb bytes.Buffer
			err := run(c.args, strings.NewReader(""), &out, &errb)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to mention %q (env %v)", err, c.want, c.env)
			}
		})
	}
}

func TestHashPassword(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"hash-password"}, strings.NewReader("s3cret\n"), &out, &out); err != nil {
		t.Fatal(err)
	}
	h := strings.TrimSpace(out.String())
	if bcrypt.CompareHashAndPassword([]byte(h), []byte("s3cret")) != nil {
		t.Errorf("%q is not a hash of the password", h)
	}
	if err := run([]string{"hash-password"}, strings.NewReader("\n"), &out, &out); err == nil {
		t.Error("an empty password was hashed")
	}
}
