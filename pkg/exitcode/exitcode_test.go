package exitcode

import "testing"

func TestWorst(t *testing.T) {
	for _, tc := range []struct {
		in   []int
		want int
	}{
		{nil, OK},
		{[]int{OK, OK}, OK},
		{[]int{Blocked, OK}, Blocked},
		{[]int{Blocked, Failed}, Failed},
		{[]int{Failed, Interrupted, Blocked}, Interrupted},
		{[]int{OK, Usage}, Usage},
		{[]int{Usage, Blocked}, Blocked},
	} {
		if got := Worst(tc.in...); got != tc.want {
			t.Errorf("Worst(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
