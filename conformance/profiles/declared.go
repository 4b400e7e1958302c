// Package profiles holds the suite's procedure profiles, the checks that are a procedure rather
// than one request to one operation: the session login (session.go), the TLS listeners and
// certificates (tls.go), the keptn CLI's needs (cli.go) and hardening (hardening.go). They run
// on the case engine (package cases: its Env, cases.Result and cases.World). This package also assembles the
// whole suite's declarations, from which the suite names its specs, the report grades its results
// and CONFORMANCE.md is made.
package profiles

import (
	"sync"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
)

// Declarations lists every check of the suite, profile by profile, in the order the suite
// declares them: the case engine's (cases.Declarations), the restart check, then the session, TLS,
// keptn CLI and hardening checks.
func Declarations() ([]cases.Declared, error) {
	out, err := cases.Declarations()
	if err != nil {
		return nil, err
	}
	out = append(out, cases.Declared{Profile: cases.ProfileCore, Text: Restart.Name(), Grade: Restart.Grade})
	out = append(out, cases.Declared{Profile: cases.ProfileCore, Text: RestartInFlight.Name(), Grade: RestartInFlight.Grade})
	for _, sc := range SessionChecks() {
		out = append(out, cases.Declared{Profile: cases.ProfileSession, Text: sc.Name(), Grade: sc.Grade})
	}
	for _, tc := range TLSChecks() {
		out = append(out, cases.Declared{Profile: tc.Profile(), Text: tc.Name(), Grade: tc.Grade})
	}
	for _, c := range CLIChecks() {
		out = append(out, cases.Declared{Profile: cases.ProfileKeptnCLI, Text: c.Name(), Grade: c.Grade})
	}
	for _, c := range HardeningChecks() {
		out = append(out, cases.Declared{Profile: cases.ProfileHardening, Text: c.Name(), Grade: c.Grade})
	}
	for _, c := range EchoChecks() {
		out = append(out, cases.Declared{Profile: ProfileUpstream, Text: c.Name(), Grade: c.Grade})
	}
	return out, nil
}

var (
	declaredOnce sync.Once
	declared     map[[2]string]grade.Grade
	declaredErr  error
)

// GradeOf is the grade of the spec with this profile and text, and whether the suite declares one.
func GradeOf(profile, text string) (grade.Grade, bool, error) {
	declaredOnce.Do(func() {
		var all []cases.Declared
		all, declaredErr = Declarations()
		declared = map[[2]string]grade.Grade{}
		for _, d := range all {
			declared[[2]string{d.Profile, d.Text}] = d.Grade
		}
	})
	g, ok := declared[[2]string{profile, text}]
	return g, ok, declaredErr
}

// Checks lists every check a problem can name, for the self-test: each must be shown to fail on a
// gateway that violates it.
var Checks = append(append([]string(nil), cases.Checks...),
	CheckSessionLogin, CheckSessionCookie, CheckSessionEnumeration, CheckSessionFixation, CheckSessionEntropy,
	CheckSessionLogout, CheckSessionTamper, CheckSessionExpiry,
	CheckSessionTiming, CheckSessionSecure, CheckSessionLinkable, CheckSessionRelogin, CheckSessionUserFields,
	CheckTLSListeners, CheckTLSDefaultCert, CheckTLSCertSwap, CheckTLSProtocols, CheckTLSSNI,
	CheckTLSCipherSuites, CheckTLSHSTS, CheckTLSStrict, CheckTLSRedirectTo,
	CheckKeptnCLI, CheckRestartPersistence, CheckRestartInFlight,
	CheckHardeningBodyLimit, CheckHardeningStall, CheckHardeningThrottle, CheckHardeningLockout, CheckHardeningNoSniff,
	CheckHardeningFraming, CheckHardeningNoStore,
	CheckEchoPath, CheckEchoMethodBody, CheckEchoHopByHop, CheckEchoHopKnown, CheckEchoForwardedFor, CheckEchoForwardProto, CheckEchoWebsocket,
)

// Profile is the profile of a TLS check: TLS, or TLSExtended for the extended ones.
func (c TLSCheck) Profile() string {
	if c.Extended {
		return cases.ProfileTLSExtended
	}
	return cases.ProfileTLS
}
