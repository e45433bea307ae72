// Package sim is the embedded simulated classic cloud: the default driver,
// and the core that `migrate sim serve` puts behind the platform's wire
// protocols.
//
// It simulates one of two platforms, chosen by the inventory's
// target.cloud when the cloud is built (profile.go): Azure (public or
// sovereign), with the classic side, the Resource Manager VMs a Commit
// makes, the platform's Convert To Managed Disks (convert.go) and
// availability sets (availability.go); or Azure Stack Hub, with no classic
// side and the inventory's VMs as Resource Manager VMs from the start.
// Both serve the disk step: managed disks and their refusals (compute.go,
// refuse.go), what a VM carries (carry.go), and VHD blob snapshots over a
// running VM's writes (snapshot.go).
//
// A Sim builds its classic estate from the inventory on the first Open and
// keeps everything (each unit's migration state, the Resource Manager
// resources it made, operations in flight, the operation history) in one
// bbolt file, <stateDir>/sim/sim.db, changed only under an exclusive flock.
// So separate processes (`migrate validate`, then `migrate prepare`, then
// `migrate commit`, or `sim serve` beside them) and parallel goroutines all
// see one consistent cloud. Later Opens ignore the inventory passed: the
// persisted cloud is the truth.
//
// Each changing call is one bbolt transaction holding its effect and its
// history line, so both are saved or neither is, and a crash leaves the
// last committed call (store.go has the layout). The estate is written
// once and decoded once per Open; the mutable state is kept decoded in
// memory and re-read only when another Sim committed since. bbolt replaced
// a log-structured store of this package's own: it gives the same
// guarantees (atomic, durable, crash-consistent) without the code.
//
// OpenReadOnly is for commands that only look (`sim history`, status): it
// takes no lock, creates and changes nothing under the state directory,
// and answers while another process holds the simulator, by reading a
// consistent copy (pkg/boltsnap). A damaged state file is reported as a
// *DamageError, never repaired; a state directory written by an earlier
// release (JSON files) is refused with a *LegacyError, left as it is.
//
// Resource Manager writes (the disk step's calls, and each resource a
// Prepare creates) draw from the subscription's 1,200 an hour (throttle.go),
// answered 429 with Retry-After beyond it. With Options.Timing, operations
// take the timing model's durations on a simulated clock (timing.go).
//
// Prepare, Commit and Abort are asynchronous on the platform: each starts an
// operation persisted with a due time (start + its duration*TimeScale) and any
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
// (the unit left PrepareFailed) on what the platform's Validate lets through
// and its Prepare refuses (preparefail.go: a VM agent or extension not
// reporting, an affinity group, a gateway connection not Connected, a storage
// account before the VMs using its disks) and on the regional quotas
// target.quotas gives, counting what units Preparing through Committed hold
// (one core per VM: the sim keeps no size table).
//
// Units are the platform's: one per classic VNet (covering every cloud
// service in it), per cloud service not in a VNet, per storage account, and
// per NSG, route table or reserved IP nothing else uses. A cloud service in a
// VNet, or an NSG, route table or reserved IP attached to a unit, is still a
// known target: its State is its owner's, its Validate returns an Error
// naming the owner, and Prepare, Commit and Abort on it are refused.
package sim
