package plan

// Scope is one of the four documented migration scopes.
type Scope string

// The migration scopes, as cli.md spells them.
const (
	ScopeVMNoVNet   Scope = "vm-no-vnet"
	ScopeVMInVNet   Scope = "vm-in-vnet"
	ScopeStorage    Scope = "storage"
	ScopeUnattached Scope = "unattached"
)

// Downtime is the data-plane impact of migrating a unit.
type Downtime string

// Downtime classes: VMs in a VNet keep running; VMs not in a VNet are stopped,
// deallocated and started again.
const (
	DowntimeNone    Downtime = "none"
	DowntimeRestart Downtime = "restart"
)

// Kind is the kind of classic resource a unit's Prepare/Commit call targets.
type Kind string

// Unit kinds; a unit id is "<kind>/<name>".
const (
	KindVNet         Kind = "vnet"
	KindCloudService Kind = "cloudservice"
	KindStorage      Kind = "storage"
	KindNSG          Kind = "nsg"
	KindRouteTable   Kind = "routetable"
	KindReservedIP   Kind = "reservedip"
)

// Unit is one migration unit: the set of classic resources that one
// Validate/Prepare/Commit/Abort call covers.
type Unit struct {
	// ID is "<kind>/<name>" (cli.md), e.g. "vnet/contoso-vnet".
	ID    string `json:"id"`
	Kind  Kind   `json:"-"`
	Name  string `json:"-"`
	Scope Scope  `json:"scope"`
	// Resources are the resource ids (cli.md naming) the unit moves, sorted,
	// the unit's own resource first.
	Resources []string `json:"resources"`
	// DependsOn are unit ids that must be committed before this unit starts.
	DependsOn []string `json:"dependsOn"`
	Wave      int      `json:"wave"`
	Downtime  Downtime `json:"downtime"`
	// VMs counts the virtual machine roles the unit moves.
	VMs int `json:"vms"`
	// VMIDs are the resource ids of the unit's VMs
	// (cloudservice/<cs>/<vm>), in inventory order: what is down, and for
	// how long, is reported per VM.
	VMIDs []string `json:"vmIds,omitempty"`
	// CloudServices counts the cloud services the unit moves; Disks the
	// disks attached to its VMs (for a storage unit: every disk in the
	// account); Gateways the VNet gateways it moves. With VMs they size the
	// unit's operations in the timing model.
	CloudServices int `json:"cloudServices,omitempty"`
	Disks         int `json:"disks,omitempty"`
	Gateways      int `json:"gateways,omitempty"`
	// DiskBytes is the provisioned size of the VHDs attached to the unit's
	// VMs (for a storage unit: of every disk in the account).
	DiskBytes int64 `json:"diskBytes"`
	// Rank is the unit's bottom level in units: the longest dependency chain
	// from it to a unit nothing depends on, itself included. The executor
	// starts ready units by highest Rank, ties by plan order, and Forecast
	// assumes exactly that policy. It is derived, so not serialised.
	Rank int `json:"-"`
}
