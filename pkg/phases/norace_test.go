//go:build !race

package phases

// raceEnabled: the race detector is on.
const raceEnabled = false
