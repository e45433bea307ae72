// Package sim is the embedded simulated classic cloud: the default driver,
// and the core that `migrate sim serve` puts behind the platform's wire
// protocols.
//
// A Sim builds its classic estate from the inventory on the first Open and
// keeps everything (each unit's migration state, the Resource Manager
// resources it made, operations in flight, the operation history) under
// <stateDir>/sim/, changed only under an exclusive flock. So separate
// processes (`migrate validate`, then `migrate prepare`, then `migrate
// commit`) and parallel goroutines all see one consistent cloud. Later Opens
// ignore the inventory passed: the persisted cloud is the truth.
//
// What a call costs does not grow with the estate or the history (store.go
// has the details): the estate is written once and decoded once per Open;
// the mutable state is kept decoded in memory and re-read only when another
// Sim changed it (a log grown, or a new epoch in the lock file); each
// changing call appends and fsyncs one record holding the entries it
// changed and its history lines, so a call's effect and its place in the
// history are saved together or not at all; the log is compacted into a
// snapshot (written atomically) and its history into the history file once
// it outgrows the snapshot. A crash leaves at most a torn last line, which
// no one reads and the next write cuts off. A directory of the older
// one-file format is refused: delete it to start again.
//
// Prepare, Commit and Abort are asynchronous on the platform: each starts an
// operation persisted with a due time (start + Latency*TimeScale) and any
// later access, by any process, resolves operations whose time has come. A
// client killed while it waits therefore finds the operation still running
// (Preparing) or finished (Prepared) when it comes back, as with the real
// cloud.
//
// Faults are seeded: whether call n is answered with a transient fault, and
// which, is a pure function of (Options.Seed, n) where n is the persisted
// operation counter, so a run is reproducible across processes. Half the
// faults on Prepare, Commit and Abort are lost responses: the operation took
// effect, the caller gets the fault. State reads are faulted at the same
// rate from their own counter and are not recorded in the history.
//
// Prepare, Commit and Abort block until their operation resolves, sleeping
// until its due time (in steps of 20 ms when Options.Now is given, as tests
// move such clocks by hand); Begin and Poll are the same calls without the
// wait, for `migrate sim serve`.
// Validate and every Prepare, Commit and Abort are recorded in the history
// with the state they found; State reads and polls are not. Prepare fails
// with code QuotaExceeded when target.quotas gives a core count for the
// unit's region and the unit's VMs (one core each: the sim keeps no size
// table) exceed what units Preparing through Committed leave free.
//
// Units are the platform's: one per classic VNet (covering every cloud
// service in it), per cloud service not in a VNet, per storage account, and
// per NSG, route table or reserved IP nothing else uses. A cloud service in a
// VNet, or an NSG, route table or reserved IP attached to a unit, is still a
// known target: its State is its owner's, its Validate returns an Error
// naming the owner, and Prepare, Commit and Abort on it are refused.
package sim
