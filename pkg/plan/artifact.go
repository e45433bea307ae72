package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

// ArtifactVersion is the version of the saved-plan format this build writes
// and the only one it reads.
const ArtifactVersion = 1

// Artifact is a saved plan: what `migrate plan --out` writes and `migrate
// run --plan` executes. It records what the plan was made from (the
// inventory's hash and a fingerprint of each of its resources, the target,
// the options) so that a later run can tell whether the plan is stale, and
// what the plan is (its units in order, the findings, the forecast). It is
// deterministic: the same inventory and options give the same bytes (no
// date, no host name).
type Artifact struct {
	Version int `json:"version"`
	// ToolVersion is the version of the tool that planned.
	ToolVersion string `json:"toolVersion"`
	// Inventory is the inventory file as given and the SHA-256 of its
	// canonical form (the loaded inventory, defaults filled, as JSON), so a
	// reformatted but equal file is not stale.
	Inventory ArtifactInventory `json:"inventory"`
	Target    inventory.Target  `json:"target"`
	Options   Options           `json:"options"`
	// Units in plan order, with their dependencies and waves.
	Units []*Unit `json:"units"`
	// Findings are the offline findings at planning time.
	Findings []SavedFinding `json:"findings"`
	// Forecast is the change window's forecast at planning time.
	Forecast *ChangeWindow `json:"forecast,omitempty"`
}

// ArtifactInventory identifies the inventory a plan was made from.
type ArtifactInventory struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	// Resources maps each top-level resource id (vnet/..., cloudservice/...,
	// storage/..., nsg/..., routetable/..., reservedip/...,
	// expressroutecircuit/...) to a hash of its definition, to name what
	// changed.
	Resources map[string]string `json:"resources"`
}

// Options are the planning options that shape the plan or its forecast.
type Options struct {
	Driver   string `json:"driver"`
	Parallel int    `json:"parallel"`
	// Timing are the timing model's overrides, per operation.
	Timing map[Operation]string `json:"timing,omitempty"`
	// DiskStep are the disk step's options the forecast assumed (flag
	// name to value as given: method, change-rate, disk-api-version, and
	// the movement flags), so the saved forecast says what it rests on.
	DiskStep map[string]string `json:"diskStep,omitempty"`
}

// SavedFinding is a finding as saved in an artifact (pkg/validate's
// Finding, which this package cannot import).
type SavedFinding struct {
	Rule           string `json:"rule"`
	Severity       string `json:"severity"`
	Resource       string `json:"resource"`
	Unit           string `json:"unit"`
	Message        string `json:"message"`
	Recommendation string `json:"recommendation"`
}

// NewArtifact records p, made from inv (loaded from file), with its
// findings, forecast and options.
func NewArtifact(inv *inventory.Inventory, file, toolVersion string, p *Plan, findings []SavedFinding, forecast *ChangeWindow, o Options) (*Artifact, error) {
	sum, res, err := Fingerprint(inv)
	if err != nil {
		return nil, err
	}
	if findings == nil {
		findings = []SavedFinding{}
	}
	return &Artifact{
		Version:     ArtifactVersion,
		ToolVersion: toolVersion,
		Inventory:   ArtifactInventory{File: file, SHA256: sum, Resources: res},
		Target:      inv.Target,
		Options:     o,
		Units:       p.Units,
		Findings:    findings,
		Forecast:    forecast,
	}, nil
}

// Write writes a as indented JSON.
func (a *Artifact) Write(w io.Writer) error {
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return fmt.Errorf("encode saved plan: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// ErrArtifactFormat is matched (errors.Is) by a saved plan this build
// cannot read.
var ErrArtifactFormat = errors.New("not a saved plan this version can read")

// ReadArtifact decodes a saved plan, refusing unknown fields and versions,
// and rebuilds the units' look-ups (Reindex).
func ReadArtifact(r io.Reader) (*Artifact, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var a Artifact
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrArtifactFormat, err)
	}
	if a.Version != ArtifactVersion {
		return nil, fmt.Errorf("%w: version %d, this build reads %d", ErrArtifactFormat, a.Version, ArtifactVersion)
	}
	p := a.Plan()
	if err := p.Reindex(); err != nil {
		return nil, fmt.Errorf("saved plan: %w", err)
	}
	return &a, nil
}

// Plan is the saved plan's units as a Plan.
func (a *Artifact) Plan() *Plan {
	p := &Plan{Units: a.Units}
	for _, u := range a.Units {
		p.Waves = max(p.Waves, u.Wave+1)
		if k, n, ok := strings.Cut(u.ID, "/"); ok {
			u.Kind, u.Name = Kind(k), n
		}
	}
	return p
}

// UnitIDs are the saved plan's unit ids, in plan order.
func (a *Artifact) UnitIDs() []string {
	ids := make([]string, len(a.Units))
	for i, u := range a.Units {
		ids[i] = u.ID
	}
	return ids
}

// StaleError says why a saved plan no longer describes the estate: what
// changed in the inventory, or in the plan made from it now.
type StaleError struct {
	// Changes are sentences, sorted: "changed cloudservice/web",
	// "added vnet/new", "removed nsg/old", "target changed", ...
	Changes []string
}

// Error names every change.
func (e *StaleError) Error() string {
	return "the saved plan is stale: " + strings.Join(e.Changes, "; ")
}

// Stale compares the saved plan with inv (the inventory now) and the plan
// Build makes from it now. It returns nil when the plan still holds, else a
// *StaleError naming every resource added, removed or changed, a changed
// target, and units whose plan (order, dependencies, waves) differs. An
// error of another kind means inv could not be planned.
func (a *Artifact) Stale(inv *inventory.Inventory) error {
	sum, res, err := Fingerprint(inv)
	if err != nil {
		return err
	}
	var changes []string
	if sum != a.Inventory.SHA256 {
		for id, h := range res {
			old, ok := a.Inventory.Resources[id]
			switch {
			case !ok:
				changes = append(changes, "added "+id)
			case old != h:
				changes = append(changes, "changed "+id)
			}
		}
		for id := range a.Inventory.Resources {
			if _, ok := res[id]; !ok {
				changes = append(changes, "removed "+id)
			}
		}
		if !jsonEqual(a.Target, inv.Target) {
			changes = append(changes, "target changed")
		}
		if len(changes) == 0 {
			changes = append(changes, "the inventory changed (subscription or defaults)")
		}
	}
	now, err := Build(inv)
	if err != nil {
		return err
	}
	if len(changes) == 0 && !jsonEqual(now.Units, a.Units) {
		changes = append(changes, "the plan made from the same inventory now differs (units, order, dependencies or waves): plan again")
	}
	if len(changes) == 0 {
		return nil
	}
	sort.Strings(changes)
	return &StaleError{Changes: changes}
}

// Fingerprint hashes inv's canonical form (the loaded inventory as JSON)
// and each of its top-level resources.
func Fingerprint(inv *inventory.Inventory) (string, map[string]string, error) {
	whole, err := json.Marshal(inv)
	if err != nil {
		return "", nil, fmt.Errorf("fingerprint inventory: %w", err)
	}
	res := map[string]string{}
	add := func(id string, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("fingerprint %s: %w", id, err)
		}
		res[id] = hash(b)[:16]
		return nil
	}
	for i := range inv.StorageAccounts {
		if err := add(inventory.StorageID(inv.StorageAccounts[i].Name), &inv.StorageAccounts[i]); err != nil {
			return "", nil, err
		}
	}
	for i := range inv.VirtualNetworks {
		if err := add(inventory.VNetID(inv.VirtualNetworks[i].Name), &inv.VirtualNetworks[i]); err != nil {
			return "", nil, err
		}
	}
	for i := range inv.CloudServices {
		if err := add(inventory.CloudServiceID(inv.CloudServices[i].Name), &inv.CloudServices[i]); err != nil {
			return "", nil, err
		}
	}
	for i := range inv.NetworkSecurityGroups {
		if err := add(inventory.NSGID(inv.NetworkSecurityGroups[i].Name), &inv.NetworkSecurityGroups[i]); err != nil {
			return "", nil, err
		}
	}
	for i := range inv.RouteTables {
		if err := add(inventory.RouteTableID(inv.RouteTables[i].Name), &inv.RouteTables[i]); err != nil {
			return "", nil, err
		}
	}
	for i := range inv.ReservedIPs {
		if err := add(inventory.ReservedIPID(inv.ReservedIPs[i].Name), &inv.ReservedIPs[i]); err != nil {
			return "", nil, err
		}
	}
	for i := range inv.ExpressRouteCircuits {
		if err := add("expressroutecircuit/"+inv.ExpressRouteCircuits[i].Name, &inv.ExpressRouteCircuits[i]); err != nil {
			return "", nil, err
		}
	}
	return hash(whole), res, nil
}

func hash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
