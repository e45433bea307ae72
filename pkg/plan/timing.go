package plan

import (
	"fmt"
	"time"
)

// The timing model: how long each platform operation takes on one unit,
// as a likely and a pessimistic duration that grow with what the unit holds.
// Every number below is calibrated from a public figure, named next to it;
// where no public figure exists the comment says the number is an estimate
// and what bounds it. A rehearsal's measured durations are the better source:
// override any operation from the configuration (Model.Override) with what
// `run --rehearse` measured.
//
// Calibration of the migration operations (Validate + Prepare + Commit of a
// VNet or cloud service unit), from the migration FAQ
// (MicrosoftDocs/azure-docs, articles/virtual-machines/
// migration-classic-resource-manager-faq.yml, "How long will the
// management-plane downtime be?"): "For smaller deployments (a few tens of
// VMs), the whole migration should take less than an hour. For large-scale
// deployments (hundreds of VMs), the migration can take a few hours."
//
// Fitting a base plus a cost per VM through those two points (30 VMs in 5
// cloud services: 40 min likely, just over the hour pessimistic; 300 VMs in
// 30 cloud services: 3.5 h likely, 6.4 h pessimistic) gives the per-VM and
// per-cloud-service terms below. Prepare carries most of it (it translates
// and writes the Resource Manager resources: the deep dive's "Prepare"
// section), Commit about a third of Prepare, Validate little (it only reads
// the classic state). The split is an estimate; no public recording of the
// three operations' durations was found (searched: the migration docs and
// the azure-sdk-for-node recordings).
//
// Gateways: a VNet's gateway is migrated by its VNet's Prepare; creating a
// gateway "can take 45 minutes or more" (VPN Gateway docs, e.g.
// articles/vpn-gateway/tutorial-create-gateway-portal.md), which bounds the
// pessimistic cost per gateway; migration keeps the gateway and its VIP
// (vpn-gateway-classic-resource-manager-migration.md), so the likely cost is
// a third of that (estimate).
//
// Restart: VMs not in a VNet are stopped and deallocated by Prepare and
// started again (deep dive, "The migration experience"); the start is a VM
// start: 3 min likely, 10 min pessimistic (estimate).
//
// Storage accounts, and NSGs, route tables and reserved IPs moving alone,
// are metadata moves: a few minutes, a second or two per disk (estimate).

// Operation is one timed step of a unit.
type Operation string

// The timed operations. Restart is the start of a VM not in a VNet after
// Prepare deallocated it.
const (
	OpValidate Operation = "validate"
	OpPrepare  Operation = "prepare"
	OpCommit   Operation = "commit"
	OpRestart  Operation = "restart"
)

// Operations lists the timed operations in the order a unit runs them.
func Operations() []Operation { return []Operation{OpValidate, OpPrepare, OpCommit, OpRestart} }

// Cost is how long one operation takes on one unit: a base plus a cost per
// thing the unit holds.
type Cost struct {
	Base            time.Duration `json:"base"`
	PerVM           time.Duration `json:"perVM,omitempty"`
	PerCloudService time.Duration `json:"perCloudService,omitempty"`
	PerDisk         time.Duration `json:"perDisk,omitempty"`
	PerGateway      time.Duration `json:"perGateway,omitempty"`
}

// For is the cost of the operation on u.
func (c Cost) For(u *Unit) time.Duration {
	return c.Base + time.Duration(u.VMs)*c.PerVM + time.Duration(u.CloudServices)*c.PerCloudService +
		time.Duration(u.Disks)*c.PerDisk + time.Duration(u.Gateways)*c.PerGateway
}

// Range is a likely and a pessimistic duration.
type Range struct {
	Likely      time.Duration `json:"likely"`
	Pessimistic time.Duration `json:"pessimistic"`
}

// CostRange is an operation's likely and pessimistic costs.
type CostRange struct {
	Likely      Cost `json:"likely"`
	Pessimistic Cost `json:"pessimistic"`
}

// class groups unit kinds that cost alike.
type class string

const (
	classCompute  class = "compute"  // vnet, cloudservice: VMs move
	classStorage  class = "storage"  // a storage account and its disks
	classNetworks class = "networks" // an NSG, route table or reserved IP alone
)

func classOf(u *Unit) class {
	switch u.Scope {
	case ScopeStorage:
		return classStorage
	case ScopeUnattached:
		return classNetworks
	}
	return classCompute
}

// Model is the timing model. The zero value is not useful: start from
// DefaultModel, which returns a fresh model each call; Override changes the
// model it is called on. Not safe for concurrent Override.
type Model struct {
	costs map[class]map[Operation]CostRange
	// overridden names the operations whose durations come from the
	// configuration, for the report's assumptions.
	overridden map[Operation]time.Duration
	// cal is what Calibrate learnt from measured operations (calibrate.go).
	cal *calibration
	// skip are operations already done, by folded unit id (Skip).
	skip map[string]map[Operation]bool
}

// Skip makes op take no time on the unit with id unit: it was done already
// (a Prepared unit has only its Commit left).
func (m *Model) Skip(unit string, ops ...Operation) {
	if m.skip == nil {
		m.skip = map[string]map[Operation]bool{}
	}
	k := foldID(unit)
	if m.skip[k] == nil {
		m.skip[k] = map[Operation]bool{}
	}
	for _, op := range ops {
		m.skip[k][op] = true
	}
}

// DefaultModel is the calibrated model (see the comment at the top of this
// file for every number's source).
func DefaultModel() *Model {
	m := &Model{costs: map[class]map[Operation]CostRange{
		classCompute: {
			OpValidate: {
				Likely:      Cost{Base: 2 * time.Minute, PerVM: 2 * time.Second},
				Pessimistic: Cost{Base: 3 * time.Minute, PerVM: 3 * time.Second},
			},
			OpPrepare: {
				Likely:      Cost{Base: 10 * time.Minute, PerVM: 20 * time.Second, PerCloudService: time.Minute, PerGateway: 15 * time.Minute},
				Pessimistic: Cost{Base: 15 * time.Minute, PerVM: 35 * time.Second, PerCloudService: 2 * time.Minute, PerGateway: 45 * time.Minute},
			},
			OpCommit: {
				Likely:      Cost{Base: 5 * time.Minute, PerVM: 8 * time.Second, PerCloudService: 30 * time.Second},
				Pessimistic: Cost{Base: 8 * time.Minute, PerVM: 15 * time.Second, PerCloudService: time.Minute},
			},
			OpRestart: {
				Likely:      Cost{Base: 3 * time.Minute},
				Pessimistic: Cost{Base: 10 * time.Minute},
			},
		},
		classStorage: {
			OpValidate: {Likely: Cost{Base: time.Minute, PerDisk: time.Second}, Pessimistic: Cost{Base: 2 * time.Minute, PerDisk: 2 * time.Second}},
			OpPrepare:  {Likely: Cost{Base: 3 * time.Minute, PerDisk: 2 * time.Second}, Pessimistic: Cost{Base: 6 * time.Minute, PerDisk: 4 * time.Second}},
			OpCommit:   {Likely: Cost{Base: 2 * time.Minute, PerDisk: time.Second}, Pessimistic: Cost{Base: 4 * time.Minute, PerDisk: 2 * time.Second}},
		},
		classNetworks: {
			OpValidate: {Likely: Cost{Base: 30 * time.Second}, Pessimistic: Cost{Base: time.Minute}},
			OpPrepare:  {Likely: Cost{Base: 2 * time.Minute}, Pessimistic: Cost{Base: 4 * time.Minute}},
			OpCommit:   {Likely: Cost{Base: time.Minute}, Pessimistic: Cost{Base: 2 * time.Minute}},
		},
	}}
	return m
}

// Override makes op take d on every unit, likely and pessimistic alike,
// whatever the unit holds: the configuration's measured or agreed figure
// replaces the model's. A negative d is ignored.
func (m *Model) Override(op Operation, d time.Duration) {
	if d < 0 {
		return
	}
	for c, ops := range m.costs {
		if _, ok := ops[op]; ok || op == OpRestart && c == classCompute {
			ops[op] = CostRange{Likely: Cost{Base: d}, Pessimistic: Cost{Base: d}}
		}
	}
	if m.overridden == nil {
		m.overridden = map[Operation]time.Duration{}
	}
	m.overridden[op] = d
}

// Duration is how long op takes on u. Restart is zero for a unit whose VMs
// are not restarted.
// Measured operations (Calibrate) replace or scale the model's figures.
// Operations skipped (Skip) take none.
func (m *Model) Duration(u *Unit, op Operation) Range {
	if m.skip[foldID(u.ID)][op] {
		return Range{}
	}
	return m.calibrated(u, op)
}

// Assumptions says in sentences what the model assumes, for the report.
func (m *Model) Assumptions() []string {
	c := m.costs[classCompute]
	d := func(op Operation) string {
		if v, ok := m.overridden[op]; ok {
			return fmt.Sprintf("%s: %s per unit (from the configuration)", op, v)
		}
		r := c[op]
		return fmt.Sprintf("%s: %s + %s per VM + %s per cloud service + %s per gateway (pessimistic %s + %s per VM + %s per cloud service + %s per gateway)",
			op, r.Likely.Base, r.Likely.PerVM, r.Likely.PerCloudService, r.Likely.PerGateway,
			r.Pessimistic.Base, r.Pessimistic.PerVM, r.Pessimistic.PerCloudService, r.Pessimistic.PerGateway)
	}
	out := []string{
		"Calibrated from the migration FAQ: a few tens of VMs under an hour, hundreds of VMs a few hours; gateways from the VPN Gateway docs (45 minutes or more to create).",
		d(OpValidate), d(OpPrepare), d(OpCommit),
	}
	if v, ok := m.overridden[OpRestart]; ok {
		out = append(out, fmt.Sprintf("restart of a VM not in a VNet: %s (from the configuration)", v))
	} else {
		r := c[OpRestart]
		out = append(out, fmt.Sprintf("restart of a VM not in a VNet: %s (pessimistic %s) after its unit's Prepare", r.Likely.Base, r.Pessimistic.Base))
	}
	out = append(out, "Storage accounts, NSGs, route tables and reserved IPs alone: a few minutes each; the disk step uses the conversion plan's per-VM estimates.")
	if s := m.calibrationAssumption(); s != "" {
		out = append(out, s)
	}
	return out
}
