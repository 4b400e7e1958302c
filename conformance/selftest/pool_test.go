package selftest

import (
	"container/heap"
	"strings"
	"sync"
	"time"
)

// runs bounds the suite runs that go at once (go test's -parallel, by default runsPerCPU per
// CPU) and starts the longest first, so that the self-test's few long runs (a stalled body
// watched for 30 s, an oversized body awaited for 20 s, the rotations a broken token store makes
// the suite wait out) overlap the many short ones instead of ending the test. Every run's test is
// parallel with go test's own limit lifted (TestMain), and waits here for its turn.
var runs *pool

// expectedSeconds is about how long a run with these labels takes on an idle machine: its
// priority (longer runs first), from the suite's deliberate waits.
func expectedSeconds(labels string, procs int) int {
	switch {
	case labels == "":
		return 40 // the whole suite: the longest runs (30-40 s beside the others)
	case strings.Contains(labels, "Feature:Stall"):
		return 32 // profiles.StallBound and its margin, for a fault that holds the connection
	case strings.Contains(labels, "Feature:BodyLimit"):
		return 20 // profiles.OversizedWait, for a fault that waits for the whole body
	case strings.Contains(labels, "Profile:TokenRotation"):
		return 15 // a rotation that does not take waits out --rotation-max, rotation by rotation
	case strings.Contains(labels, "Profile:Core"):
		return 12 // the whole core profile
	case procs > 1:
		return 8 // a variant's broad filters
	case strings.Contains(labels, "Profile:Session") || strings.Contains(labels, "Feature:Generated"):
		return 5 // a session's expiry; failures shrunk for up to 3 s each
	}
	return 1
}

// mostlyWaiting says a run with these labels spends nearly all its time in the suite's deliberate
// waits (a stalled or oversized body watched for tens of seconds, rotations awaited), using
// little CPU meanwhile: it takes no slot, so that its wait does not keep the CPU-bound runs
// from the machine.
func mostlyWaiting(labels string) bool {
	for _, l := range []string{"Feature:Stall", "Feature:BodyLimit", "Profile:TokenRotation"} {
		if strings.Contains(labels, l) {
			return true
		}
	}
	return false
}

// pool hands out a fixed number of slots, the highest priority first. It opens a moment after
// the first request, so that every run has asked by then, and the first slots go by priority too.
type pool struct {
	mu      sync.Mutex
	free    int
	open    bool
	waiting waiters
}

func newPool(size int) *pool { return &pool{free: max(1, size)} }

// take waits for a slot and returns its release; a run mostly waiting goes at once, without one.
func (p *pool) take(priority int, waiting bool) (release func()) {
	if waiting {
		return func() {}
	}
	w := &waiter{priority: priority, seq: 0, ready: make(chan struct{})}
	p.mu.Lock()
	w.seq = len(p.waiting)
	heap.Push(&p.waiting, w)
	if !p.open && p.waiting.Len() == 1 {
		go func() {
			time.Sleep(200 * time.Millisecond)
			p.mu.Lock()
			p.open = true
			p.dispatch()
			p.mu.Unlock()
		}()
	}
	p.dispatch()
	p.mu.Unlock()
	<-w.ready
	return func() {
		p.mu.Lock()
		p.free++
		p.dispatch()
		p.mu.Unlock()
	}
}

func (p *pool) dispatch() {
	for p.open && p.free > 0 && p.waiting.Len() > 0 {
		p.free--
		close(heap.Pop(&p.waiting).(*waiter).ready)
	}
}

type waiter struct {
	priority, seq int
	ready         chan struct{}
}

// waiters is a heap: the highest priority first, then the first to ask.
type waiters []*waiter

func (h waiters) Len() int { return len(h) }
func (h waiters) Less(i, j int) bool {
	if h[i].priority != h[j].priority {
		return h[i].priority > h[j].priority
	}
	return h[i].seq < h[j].seq
}
func (h waiters) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *waiters) Push(x any)   { *h = append(*h, x.(*waiter)) }
func (h *waiters) Pop() any {
	old := *h
	w := old[len(old)-1]
	*h = old[:len(old)-1]
	return w
}
