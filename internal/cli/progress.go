package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/migrate-tool/migrate/pkg/convert"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/phases"
	"github.com/migrate-tool/migrate/pkg/plan"
)

// progress turns executor events into what a person watches, always on
// stderr so stdout stays machine output:
//
//   - on a terminal (and without NO_COLOR), a live view drawn by mpb (made
//     for several lines at once, rather than cursor arithmetic by hand): one
//     line per unit in flight with its phase and how long it has been in it,
//     and one overall line (units done of total, in flight, elapsed, ETA);
//   - otherwise one line per state change, RFC 3339 UTC timestamp first,
//     never the same line twice for a unit (a unit's final event, which
//     repeats the phase it reached, prints only when it says more).
//
// The executor calls Event; phases never sees the progress library.
type progress struct {
	a      *app
	mu     sync.Mutex
	total  int
	done   map[string]bool
	start  time.Time
	closed bool

	// plain mode: the last line printed per unit.
	last map[string]string

	// live mode. inflight is changed under mu (events) and viewMu; the
	// decorators, which mpb calls from its own goroutine, take only viewMu,
	// never held while calling into mpb, so a render never waits for an
	// event that waits for mpb.
	mp       *mpb.Progress
	overall  *mpb.Bar
	viewMu   sync.Mutex
	inflight map[string]*unitLine
	nDone    int
	// wave is each unit's wave in the plan and waves their number, for
	// the overall line; empty when the command has no plan.
	wave  map[string]int
	waves int
	// stats feed the command's summary.
	stats *runStats
	// forecast is the plan's likely duration of this command on the real
	// platform (0: none; the simulator's operations do not follow the
	// timing model, so its runs are not forecast).
	forecast time.Duration
}

// unitLine is one unit in flight on the live view.
type unitLine struct {
	bar   *mpb.Bar
	phase string
	since time.Time
}

func (a *app) newProgress(pl *plan.Plan, units int) *progress {
	p := &progress{a: a, total: units, done: map[string]bool{}, start: time.Now(), last: map[string]string{}, inflight: map[string]*unitLine{},
		wave: map[string]int{}, stats: newRunStats()}
	if pl != nil {
		p.waves = pl.Waves
		for _, u := range pl.Units {
			p.wave[u.ID] = u.Wave
		}
		if a.cfg.Driver == "azure" && units == len(pl.Units) {
			m := plan.DefaultModel()
			for op, d := range a.cfg.Timing {
				m.Override(op, d)
			}
			p.forecast = m.Window(pl, a.cfg.Parallel, nil).Likely.Makespan
		}
	}
	if a.liveView() {
		p.startLive(a.io.ErrOut)
	}
	return p
}

func (p *progress) startLive(w io.Writer) {
	p.mp = mpb.New(mpb.WithOutput(w), mpb.WithAutoRefresh(), mpb.WithRefreshRate(150*time.Millisecond), mpb.WithWidth(24))
	p.overall = p.mp.New(int64(max(p.total, 1)), mpb.BarStyle(),
		mpb.BarPriority(1<<30), // always the last line
		mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return p.overallText() })),
	)
}

// overallText is the overall line: units done of total, in flight, elapsed
// and an ETA extrapolated from the units done so far.
func (p *progress) overallText() string {
	p.viewMu.Lock()
	defer p.viewMu.Unlock()
	elapsed := time.Since(p.start)
	done := p.nDone
	s := fmt.Sprintf("units %d/%d done, %d in flight", done, p.total, len(p.inflight))
	if p.waves > 0 {
		// The earliest wave with a unit in flight: the run's front.
		front := -1
		for id := range p.inflight {
			if w, ok := p.wave[id]; ok && (front < 0 || w < front) {
				front = w
			}
		}
		if front >= 0 {
			s += fmt.Sprintf(" (wave %d of %d)", front+1, p.waves)
		}
	}
	s += fmt.Sprintf(", %s elapsed", elapsed.Round(time.Second))
	return s + p.eta(elapsed, done) + " "
}

// eta is the overall line's estimate of what is left: the plan's forecast
// (the timing model's likely makespan) less the time elapsed while the run
// keeps within it; once it runs over, or without a forecast, the time the
// units done so far took, extrapolated.
func (p *progress) eta(elapsed time.Duration, done int) string {
	if done >= p.total {
		return ""
	}
	if p.forecast > 0 && elapsed < p.forecast {
		return fmt.Sprintf(", ETA %s (forecast)", (p.forecast - elapsed).Round(time.Second))
	}
	if done > 0 {
		eta := time.Duration(float64(elapsed) / float64(done) * float64(p.total-done))
		return fmt.Sprintf(", ETA %s", eta.Round(time.Second))
	}
	return ""
}

// Event is the executor's Events callback.
func (p *progress) Event(ev phases.Event) {
	p.a.log.unitEvent(ev)
	p.stats.note(ev.Target, ev.Op, ev.Attempt)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	if p.mp == nil {
		p.plainLine(ev)
		return
	}
	if ev.Final {
		p.viewMu.Lock()
		l := p.inflight[ev.Target]
		delete(p.inflight, ev.Target)
		first := !p.done[ev.Target]
		p.done[ev.Target] = true
		p.nDone = len(p.done)
		p.viewMu.Unlock()
		if l != nil {
			l.bar.Abort(true)
		}
		if first {
			p.overall.SetCurrent(int64(len(p.done)))
		}
		return
	}
	phase := ev.State
	if ev.Note != "" {
		phase += " (" + ev.Note + ")"
	}
	p.viewMu.Lock()
	l := p.inflight[ev.Target]
	n := len(p.inflight)
	p.viewMu.Unlock()
	if l == nil {
		l = &unitLine{}
		unit := ev.Target
		l.bar = p.mp.New(0, mpb.NopStyle(), mpb.BarPriority(n),
			mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return p.unitText(unit) })))
	}
	p.viewMu.Lock()
	p.inflight[ev.Target] = l
	if l.phase != phase {
		l.phase, l.since = phase, time.Now()
	}
	p.viewMu.Unlock()
}

func (p *progress) unitText(unit string) string {
	p.viewMu.Lock()
	defer p.viewMu.Unlock()
	l := p.inflight[unit]
	if l == nil {
		return ""
	}
	return fmt.Sprintf("  %-40s %-28s %s", unit, l.phase, time.Since(l.since).Round(100*time.Millisecond))
}

// plainLine prints one line for a state change, unless it says what the
// unit's last line said.
func (p *progress) plainLine(ev phases.Event) {
	line := fmt.Sprintf("%-40s %s", ev.Target, ev.State)
	if ev.Op != "" && ev.Attempt > 1 {
		line += fmt.Sprintf(" (%s attempt %d)", ev.Op, ev.Attempt)
	}
	if ev.Final {
		p.done[ev.Target] = true
		// The final event repeats the phase the unit reached; "done" adds
		// nothing to it, a reason does.
		if ev.Note != "" && ev.Note != string(phases.OutcomeDone) {
			line += ": " + ev.Note
		}
	} else if ev.Note != "" {
		line += ": " + ev.Note
	}
	if ev.Err != nil {
		// The platform's own words, on the first retry too: a fault that
		// will not go away must not be retried in silence (issue 14).
		line += " (" + ev.Err.Error() + ")"
	}
	p.a.plainLine(p.last, ev.Target, line, ev.Time)
}

// Close stops the live view and prints how many units finished; safe to
// call more than once.
func (p *progress) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	mp := p.mp
	if mp != nil {
		p.viewMu.Lock()
		ids := make([]string, 0, len(p.inflight))
		for id := range p.inflight {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		bars := make([]*mpb.Bar, 0, len(ids))
		for _, id := range ids {
			bars = append(bars, p.inflight[id].bar)
		}
		p.inflight = map[string]*unitLine{}
		p.viewMu.Unlock()
		for _, b := range bars {
			b.Abort(true)
		}
		p.overall.Abort(false)
	}
	n, elapsed := len(p.done), time.Since(p.start).Round(time.Second)
	p.mu.Unlock()
	if mp != nil {
		mp.Wait()
		_, _ = fmt.Fprintf(p.a.io.ErrOut, "%d units finished in %s\n", n, elapsed)
	}
}

// convertProgress shows the disk step: on a terminal one line per VM in
// flight (its disks in flight, bytes done of total, rate) and an overall
// line (VMs, disks, bytes, ETA) drawn by mpb; otherwise one line per state
// change with an RFC 3339 UTC timestamp, never the same line twice for a
// VM. The counters are disks.Progress's atomics, read when a line is drawn.
type convertProgress struct {
	a      *app
	mu     sync.Mutex
	closed bool
	start  time.Time
	last   map[string]string

	mp      *mpb.Progress
	overall *mpb.Bar
	viewMu  sync.Mutex
	vms     map[string]*vmLine
	// disks in flight, by VM/disk; copied counts the disks finished and
	// doneBytes their bytes.
	inflight  map[string]*disks.Progress
	copied    int
	doneBytes int64
	vmsDone   int
	// stats feed the command's summary.
	stats *runStats
}

// vmLine is one VM in flight on the live view.
type vmLine struct {
	bar   *mpb.Bar
	since time.Time
	op    string
}

func (a *app) newConvertProgress() *convertProgress {
	p := &convertProgress{a: a, start: time.Now(), last: map[string]string{}, vms: map[string]*vmLine{}, inflight: map[string]*disks.Progress{},
		stats: newRunStats()}
	if a.liveView() {
		p.mp = mpb.New(mpb.WithOutput(a.io.ErrOut), mpb.WithAutoRefresh(), mpb.WithRefreshRate(200*time.Millisecond), mpb.WithWidth(24))
		p.overall = p.mp.New(0, mpb.NopStyle(), mpb.BarPriority(1<<30),
			mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return p.overallText() })))
	}
	return p
}

// bytes sums the disks in flight under viewMu.
func (p *convertProgress) bytesLocked(vm string) (done, total int64, n int) {
	for key, pr := range p.inflight {
		if vm != "" && !strings.HasPrefix(key, vm+"\x00") {
			continue
		}
		done += pr.Done()
		total += pr.Total()
		n++
	}
	return done, total, n
}

func (p *convertProgress) overallText() string {
	p.viewMu.Lock()
	defer p.viewMu.Unlock()
	done, total, n := p.bytesLocked("")
	elapsed := time.Since(p.start)
	s := fmt.Sprintf("disk step: VMs %d done, %d in flight; disks %d copied, %d in flight; %s of %s in flight, %s copied; %s elapsed",
		p.vmsDone, len(p.vms), p.copied, n, humanBytes(done), humanBytes(total), humanBytes(p.doneBytes+done), elapsed.Round(time.Second))
	if rate := float64(p.doneBytes+done) / elapsed.Seconds(); rate > 0 && total > done {
		s += fmt.Sprintf(", ETA %s", time.Duration(float64(total-done)/rate*float64(time.Second)).Round(time.Second))
	}
	return s + " "
}

func (p *convertProgress) vmText(vm string) string {
	p.viewMu.Lock()
	defer p.viewMu.Unlock()
	l := p.vms[vm]
	if l == nil {
		return ""
	}
	done, total, n := p.bytesLocked(vm)
	el := time.Since(l.since)
	s := fmt.Sprintf("  %-40s %-16s", vm, l.op)
	if n > 0 {
		rate := float64(done) / max(el.Seconds(), 0.001)
		s += fmt.Sprintf(" %d disk(s) %s/%s %s/s", n, humanBytes(done), humanBytes(total), humanBytes(int64(rate)))
	}
	return s + " " + el.Round(100*time.Millisecond).String()
}

// Event is the engine's Events callback.
func (p *convertProgress) Event(ev convert.Event) {
	p.a.log.vmEvent(ev)
	p.stats.note(ev.Target+"\x00"+ev.Part, ev.Op, ev.Attempt)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	key := ev.Target + "\x00" + ev.Part
	p.viewMu.Lock()
	if ev.Progress != nil {
		p.inflight[key] = ev.Progress
	} else if pr, ok := p.inflight[key]; ok && ev.Part != "" {
		p.copied++
		p.doneBytes += pr.Done()
		delete(p.inflight, key)
	}
	p.viewMu.Unlock()
	if p.mp == nil {
		p.plainLine(ev)
		return
	}
	p.viewMu.Lock()
	l := p.vms[ev.Target]
	if ev.Final {
		delete(p.vms, ev.Target)
		p.vmsDone++
	}
	p.viewMu.Unlock()
	if ev.Final {
		if l != nil {
			l.bar.Abort(true)
		}
		return
	}
	if l == nil {
		l = &vmLine{since: time.Now()}
		vm := ev.Target
		l.bar = p.mp.New(0, mpb.NopStyle(),
			mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return p.vmText(vm) })))
	}
	p.viewMu.Lock()
	p.vms[ev.Target] = l
	if ev.Op != "" {
		l.op = ev.Op
	}
	p.viewMu.Unlock()
}

func (p *convertProgress) plainLine(ev convert.Event) {
	line := ev.Target
	if ev.Part != "" {
		line += " disk " + ev.Part
	}
	if ev.Op != "" {
		line += " " + ev.Op
		if ev.Attempt > 1 {
			line += fmt.Sprintf(" (attempt %d)", ev.Attempt)
		}
	}
	if ev.Outcome != "" && ev.Final {
		line += ": " + ev.Outcome
	}
	if ev.Note != "" && ev.Note != ev.Target {
		line += ": " + ev.Note
	}
	if ev.Err != nil {
		line += ": " + ev.Err.Error()
	}
	p.a.plainLine(p.last, ev.Target, line, ev.Time)
}

// Close stops the live view; safe to call more than once.
func (p *convertProgress) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.mu.Unlock()
	if p.mp == nil {
		return
	}
	p.viewMu.Lock()
	bars := make([]*mpb.Bar, 0, len(p.vms))
	for _, l := range p.vms {
		bars = append(bars, l.bar)
	}
	p.vms = map[string]*vmLine{}
	p.viewMu.Unlock()
	for _, b := range bars {
		b.Abort(true)
	}
	p.overall.Abort(true)
	p.mp.Wait()
}

// copyProgress shows a copy on a terminal (`disks copy`): bytes done of
// total, rate and ETA on one mpb line. The rate is measured over the last
// few seconds of samples, never from the start of the copy: a resumed copy
// counts the bytes an earlier run did as done in one jump, which a rate
// since the start would turn into an inflated figure. It returns the
// function that stops the view.
func (a *app) copyProgress(pr *disks.Progress) func() {
	if !a.liveView() {
		return func() {}
	}
	mp := mpb.New(mpb.WithOutput(a.io.ErrOut), mpb.WithAutoRefresh(), mpb.WithRefreshRate(200*time.Millisecond), mpb.WithWidth(30))
	r := &rateWindow{span: 5 * time.Second}
	bar := mp.New(0, mpb.BarStyle(), mpb.PrependDecorators(decor.Any(func(decor.Statistics) string {
		done, total := pr.Done(), pr.Total()
		rate := r.observe(time.Now(), done)
		s := fmt.Sprintf("copy %s of %s", humanBytes(done), humanBytes(total))
		if rate > 0 {
			s += fmt.Sprintf(", %s/s", humanBytes(int64(rate)))
			if total > done {
				s += fmt.Sprintf(", ETA %s", time.Duration(float64(total-done)/rate*float64(time.Second)).Round(time.Second))
			}
		}
		return s + " "
	})))
	stop, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			bar.SetTotal(pr.Total(), false)
			bar.SetCurrent(pr.Done())
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			<-finished
			bar.Abort(false)
			mp.Wait()
		})
	}
}

// rateWindow is a rate over a sliding window of samples; safe for
// concurrent use.
type rateWindow struct {
	mu      sync.Mutex
	span    time.Duration
	samples []rateSample
}

type rateSample struct {
	at   time.Time
	done int64
}

// observe records done at now and returns the bytes per second over the
// window, 0 until two samples span some time. A first sample's jump (a
// resumed copy's earlier bytes) never counts: only differences do.
func (r *rateWindow) observe(now time.Time, done int64) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples = append(r.samples, rateSample{now, done})
	for len(r.samples) > 2 && now.Sub(r.samples[1].at) >= r.span {
		r.samples = r.samples[1:]
	}
	first := r.samples[0]
	dt := now.Sub(first.at).Seconds()
	if dt <= 0 || done < first.done {
		return 0
	}
	return float64(done-first.done) / dt
}

// liveView reports whether progress is drawn live: stderr is a terminal,
// NO_COLOR is unset and --no-progress was not given.
func (a *app) liveView() bool {
	return a.io.Fancy() && (a.cfg == nil || !a.cfg.NoProgress)
}

// plainLine prints line for key, stamped in RFC 3339 UTC (now when t is
// zero), unless it is the line last printed for key: without a terminal
// there is one line per state change, never the same one twice.
func (a *app) plainLine(last map[string]string, key, line string, t time.Time) {
	if last[key] == line {
		return
	}
	last[key] = line
	if t.IsZero() {
		t = time.Now()
	}
	_, _ = fmt.Fprintln(a.io.ErrOut, t.UTC().Format(time.RFC3339), line)
}
