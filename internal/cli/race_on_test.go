//go:build race

package cli

// raceBuild: the race detector slows every process of a crash suite
// several times over.
const raceBuild = true
