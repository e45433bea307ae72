package cli

import (
	"fmt"
	"sync"
	"time"
)

// runStats is what a command's summary says beyond its outcomes: how long
// it took and how many calls were sent again after a transient fault, so
// an operator sees a struggling platform even when everything ended well.
// Safe for concurrent use.
type runStats struct {
	start time.Time
	mu    sync.Mutex
	// retried holds each call sent again, by "<what>\x00<op>\x00<attempt>":
	// an attempt reported twice counts once.
	retried map[string]bool
}

func newRunStats() *runStats { return &runStats{start: time.Now(), retried: map[string]bool{}} }

// note records an event of a call; attempts after the first are retries.
func (r *runStats) note(what, op string, attempt int) {
	if r == nil || op == "" || attempt < 2 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retried[fmt.Sprintf("%s\x00%s\x00%d", what, op, attempt)] = true
}

// summary is "took 1m2s, 3 calls retried" (empty for a nil runStats).
func (r *runStats) summary() string {
	if r == nil {
		return ""
	}
	r.mu.Lock()
	n := len(r.retried)
	r.mu.Unlock()
	return fmt.Sprintf("took %s, %d call(s) retried after a transient fault", time.Since(r.start).Round(time.Second), n)
}
