// Package orchestrate strings the engines together into the commands an
// operator runs: run (the phases, then the disk step when asked), resume
// (whatever an interrupted command left, whichever command started it)
// and rehearse. It decides the order of the steps and when to stop, and
// ranks how they ended into one typed Outcome; it knows nothing of flags,
// terminals or exit codes: the command line maps an Outcome to its exit
// code in one place and prints it.
//
// Its dependencies are the small interfaces of deps.go, implemented by the
// command line over the phases executor, the disk step and the journal
// (and by fakes in the tests).
package orchestrate
