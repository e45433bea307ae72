package emulator

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"
)

// decision is what the emulator does with one request: whether it is
// faulted, with which fault, whether the fault comes after the call took
// effect (a lost response), and the id of what it starts (the
// x-ms-request-id of a Service Management call, a Resource Manager
// operation).
type decision struct {
	faulted bool
	fault   int // index into faults
	after   bool
	id      uint64
}

// decisionKey carries a request's decision to its handler.
type decisionKey struct{}

// decide derives the request's decision from (seed, operation, attempt),
// never from a generator drawn in arrival order: the operation is the
// method, the path (lower-cased, since Azure's names are case-insensitive)
// and the migration comp, and the attempt counts the requests for that
// operation so far. Concurrent calls on different resources therefore get
// the same faults whatever order they arrive in, and a test with faults is
// reproducible (issue 9 item 8; the simulator draws its faults the same way,
// from (seed, stream, sequence)). Operation ids are derived from the
// request that started them, so the polls of an operation are the same
// operation from one run to the next.
func (s *Server) decide(r *http.Request) decision {
	key := r.Method + " " + strings.ToLower(r.URL.Path)
	if c := r.URL.Query().Get("comp"); c != "" {
		key += "?comp=" + c
	}
	s.mu.Lock()
	s.attempts[key]++
	n := s.attempts[key]
	s.mu.Unlock()
	return decideFault(s.o.Seed, s.o.FaultRate, key, n)
}

// decideFault is decide's pure part.
func decideFault(seed int64, rate float64, key string, attempt int) decision {
	h := fnv.New64a()
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(seed))
	binary.LittleEndian.PutUint64(b[8:], uint64(attempt))
	_, _ = h.Write(b[:])
	_, _ = h.Write([]byte(key))
	x := h.Sum64()
	d := decision{id: mix(x + 3)}
	if rate <= 0 {
		return d
	}
	if float64(mix(x)>>11)/(1<<53) >= rate {
		return d
	}
	d.faulted = true
	d.fault = int(mix(x+1) % uint64(len(faults)))
	d.after = mix(x+2)&1 == 0
	return d
}

// mix is SplitMix64's finalizer: it spreads a hash's bits so the
// decisions drawn from neighbouring inputs are independent.
func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// opID renders a decision's id as a request or operation id.
func opID(id uint64) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", uint32(id>>32), id&0xffffffffffff)
}

// decisionOf is the decision sm or armCall made for r.
func decisionOf(r *http.Request) decision {
	d, _ := r.Context().Value(decisionKey{}).(decision)
	return d
}

func withDecision(r *http.Request, d decision) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), decisionKey{}, d))
}
