package report

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
)

// Metadata is what a certification report says about the implementation beyond what the run
// finds out: the fields of the Gateway API conformance report (organization, project, url,
// version, contact). The project is the implementation's name (--implementation).
type Metadata struct {
	// Version is the implementation's version as its maker names it; it takes precedence over
	// the keptnversion the installation reports.
	Version      string
	Organization string
	URL          string
	Contact      []string
}

// The metadata flags. The version's flag is --implementation-version: keptn-conformance's own
// --version prints the binary's version.
const (
	FlagVersion      = "implementation-version"
	FlagOrganization = "organization"
	FlagURL          = "url"
	FlagContact      = "contact"
)

// RegisterFlags adds the metadata flags to fs, each defaulting to its environment variable. It
// returns an error for an environment value that is not valid.
func (m *Metadata) RegisterFlags(fs *flag.FlagSet) error {
	contacts := &contactValue{p: &m.Contact}
	for _, s := range []struct {
		name, env, help string
		v               flag.Value
	}{
		{FlagVersion, "KEPTN_CONFORMANCE_IMPLEMENTATION_VERSION", "certification: the implementation's `version` (default: the keptnversion it reports)", stringValue{&m.Version}},
		{FlagOrganization, "KEPTN_CONFORMANCE_ORGANIZATION", "certification: the `organization` that makes the implementation", stringValue{&m.Organization}},
		{FlagURL, "KEPTN_CONFORMANCE_URL", "certification: the implementation's home page, an http(s) `URL`", urlValue{&m.URL}},
		{FlagContact, "KEPTN_CONFORMANCE_CONTACT", "certification: who answers for the report, a `contact` (an e-mail address, a GitHub handle or a URL); repeat the flag or give a comma-separated list", contacts},
	} {
		if v, ok := os.LookupEnv(s.env); ok && v != "" {
			if err := s.v.Set(v); err != nil {
				return fmt.Errorf("$%s: %v", s.env, err)
			}
		}
		fs.Var(s.v, s.name, fmt.Sprintf("%s ($%s)", s.help, s.env))
	}
	// The command line's contacts replace the environment's.
	contacts.fromEnv = len(m.Contact) > 0
	return nil
}

// Apply puts the metadata into the report's implementation.
func (m Metadata) Apply(im *Implementation) {
	if m.Version != "" {
		im.Version = m.Version
	}
	im.Organization, im.URL = m.Organization, m.URL
	im.Contact = append([]string(nil), m.Contact...)
}

type stringValue struct{ p *string }

func (v stringValue) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}
func (v stringValue) Set(s string) error { *v.p = strings.TrimSpace(s); return nil }

type urlValue struct{ p *string }

func (v urlValue) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

func (v urlValue) Set(s string) error {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL such as https://example.com/keptn-gateway", s)
	}
	*v.p = s
	return nil
}

// contactValue appends: the flag may be repeated, and each value may be a comma-separated list.
type contactValue struct {
	p       *[]string
	fromEnv bool // *p holds the environment's list, which the first flag replaces
}

func (v *contactValue) String() string {
	if v == nil || v.p == nil {
		return ""
	}
	return strings.Join(*v.p, ",")
}

func (v *contactValue) Set(s string) error {
	if v.fromEnv {
		*v.p, v.fromEnv = nil, false
	}
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			*v.p = append(*v.p, c)
		}
	}
	return nil
}
