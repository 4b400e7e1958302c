package target

import (
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/keptn-conformance/keptn-conformance/gateway"
)

// The embedded gateway's timings and costs. The suite waits out some things whatever the gateway
// does (a session's expiry, a changed token or certificate noticed, a stalled body cut off, a
// throttled login let in again), and the reference gateway spends most of a run's CPU on bcrypt
// and its disk on synced commits: on the embedded target, whose timings this repository knows,
// all of them are short or cheap, so that a full run takes seconds. No check is weaker for it:
// each still waits for what it waits for, only the gateway does it sooner. A stop keeps the
// gateway's default patience (10 s) for requests in flight, and a throttled login its default
// backoff (2 s), so that the production defaults are what the suite sees: the restart check sends one, which
// must be answered. Real installations
// (external, kind) keep the gateway's and the suite's defaults.
const (
	// A session lasts 3 s (from login, rounded down to the second: 2 to 3 s), long enough for
	// the session profile's longest spec under load, and its expiry is seen within the run.
	embeddedSessionTTL = 3 * time.Second
	// The token, users and certificate files are read every 50 ms (the default: 200 ms), so a
	// rotation or a certificate swap takes effect within 50 ms.
	embeddedReloadInterval = 50 * time.Millisecond
	// A stalled body is cut off after 500 ms (the default: 10 s): the hardening profile's stall
	// check waits that long. Bodies of the suite's requests arrive in one write.
	embeddedBodyStall = 500 * time.Millisecond
	// The session user's password is hashed at bcrypt cost 6 (a sixteenth of the default 10's
	// work: a few milliseconds); the gateway compares an unknown user's at the same cost, so that
	// the answers still take alike. The session-timing check compares the quickest answers of
	// each kind, which a loaded machine's scheduling delays do not make unlike (at cost 8, a
	// fifth of a full run's CPU was these hashes, about a hundred logins).
	embeddedBcryptCost = bcrypt.DefaultCost - 4
)

// embeddedDefaults are the defaults of the suite's deliberate waits (those it waits out whatever
// the gateway does) on the embedded target. Every other target keeps the settings' own defaults.
var embeddedDefaults = map[string]string{
	// A rotation a third of the way into a 500 ms load takes effect within one 50 ms reload,
	// with most of the load (at 200 requests per second) still to come.
	"load-duration": "500ms",
	// Four of the embedded gateway's 50 ms token reloads.
	"bad-secret-watch": "200ms",
	// The embedded gateway begins to stop as the restart is called (in process): the request's
	// body is still arriving when it does.
	"in-flight-window": "500ms",
}

// embeddedConfig is c with the embedded gateway's timings and costs: short waits, bcrypt at its
// low cost, the stores' commits unsynced (written to their files, which the restart check reads
// back after a restart in process; only a crash of the machine would lose them).
func embeddedConfig(c gateway.Config) gateway.Config {
	c.SessionTTL = embeddedSessionTTL
	c.ReloadInterval = embeddedReloadInterval
	c.Timeouts.BodyStall = embeddedBodyStall
	c.MinBcryptCost = embeddedBcryptCost
	c.NoSync = true
	return c
}
