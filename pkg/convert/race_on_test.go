//go:build race

package convert_test

// raceBuild: the race detector slows every killed worker several times, so
// the crash suites of issue 10 kill at fewer boundaries under it.
const raceBuild = true
