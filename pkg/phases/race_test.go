//go:build race

package phases

// raceEnabled: the race detector is on (it makes the simulator, which
// decodes its whole state on every call, about ten times slower).
const raceEnabled = true
