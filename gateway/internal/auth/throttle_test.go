package auth

import (
	"testing"
	"time"
)

// Past the limit, the backoff doubles with each wrong password, never beyond the window; once
// the window has passed, counting starts afresh; a reset forgets; keys are apart.
func TestThrottleBackoffIsBounded(t *testing.T) {
	now := time.Unix(0, 0)
	th := NewThrottle(UserFailureLimit)
	th.now = func() time.Time { return now }
	for range UserFailureLimit - 1 {
		th.Fail("ada")
	}
	if w := th.Wait("ada"); w != 0 {
		t.Fatalf("refused after %d wrong passwords: %s", UserFailureLimit-1, w)
	}
	for i, want := range []time.Duration{2, 4, 8, 16, 32, 60, 60} {
		th.Fail("ada") // all within the same instant: the window has not passed
		if w := th.Wait("ada"); w != want*time.Second {
			t.Errorf("wrong password %d past the limit: wait %s, want %ds", i+1, w, want)
		}
	}
	if th.Wait("bob") != 0 {
		t.Error("another key is refused")
	}
	now = now.Add(ThrottleWindow + time.Second)
	if w := th.Wait("ada"); w != 0 {
		t.Errorf("still refused a window after the last wrong password: %s", w)
	}
	for range UserFailureLimit - 1 {
		th.Fail("ada")
	}
	if w := th.Wait("ada"); w != 0 {
		t.Errorf("a new window did not start afresh: %s", w)
	}
	th.Fail("ada")
	th.Reset("ada")
	if th.Wait("ada") != 0 {
		t.Error("refused after a reset")
	}
}
