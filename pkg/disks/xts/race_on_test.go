//go:build race

package xts

// raceEnabled: under -race, sync.Pool drops items at random on purpose, so
// allocation counts mean nothing.
const raceEnabled = true
