package cli

import (
	"fmt"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/migrate-tool/migrate/pkg/phases"
)

// progress turns executor events into a progress bar on a terminal, or
// plain timestamped lines otherwise; always on stderr, so stdout stays
// machine output.
type progress struct {
	a      *app
	mu     sync.Mutex
	bar    *progressbar.ProgressBar
	done   map[string]bool
	start  time.Time
	closed bool
}

func (a *app) newProgress(units int) *progress {
	p := &progress{a: a, done: map[string]bool{}, start: time.Now()}
	if a.io.Fancy() {
		p.bar = progressbar.NewOptions(units,
			progressbar.OptionSetWriter(a.io.ErrOut),
			progressbar.OptionSetDescription("units"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionShowDescriptionAtLineEnd(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

// Event is the executor's Events callback.
func (p *progress) Event(ev phases.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	if p.bar == nil {
		line := fmt.Sprintf("%s %-40s %s", ev.Time.Format("15:04:05"), ev.Unit, ev.Phase)
		if ev.Op != "" && ev.Attempt > 1 {
			line += fmt.Sprintf(" (%s attempt %d)", ev.Op, ev.Attempt)
		}
		if ev.Note != "" {
			line += ": " + ev.Note
		}
		fmt.Fprintln(p.a.io.ErrOut, line)
		return
	}
	p.bar.Describe(fmt.Sprintf("%s %s", ev.Unit, ev.Phase))
	if ev.Final && !p.done[ev.Unit] {
		p.done[ev.Unit] = true
		_ = p.bar.Add(1)
	}
}

// Close stops the bar; safe to call more than once.
func (p *progress) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	if p.bar != nil {
		_ = p.bar.Finish()
		fmt.Fprintf(p.a.io.ErrOut, "%d units finished in %s\n", len(p.done), time.Since(p.start).Round(time.Second))
	}
}
