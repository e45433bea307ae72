package disks

import (
	"sync/atomic"
	"time"
)

// Progress is the copier's state for a UI to poll: atomic counters, no
// callbacks, so the core never depends on how progress is shown. The zero
// value is ready; Copy sets the total and start time.
type Progress struct {
	done  atomic.Int64
	total atomic.Int64
	start atomic.Int64 // Unix nanoseconds
}

// Done is the allocated bytes handled so far (written, found to be zeros,
// or done by an earlier run of a resumed copy).
func (p *Progress) Done() int64 { return p.done.Load() }

// Total is the allocated bytes of the source: what the copy has to handle.
func (p *Progress) Total() int64 { return p.total.Load() }

// Start is when Copy began, the zero time before.
func (p *Progress) Start() time.Time {
	n := p.start.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

func (p *Progress) add(n int64) {
	if p != nil {
		p.done.Add(n)
	}
}

func (p *Progress) begin(total int64, now time.Time) {
	if p != nil {
		p.total.Store(total)
		p.done.Store(0)
		p.start.Store(now.UnixNano())
	}
}
