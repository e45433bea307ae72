package inventory

import (
	"fmt"
	"strconv"
	"strings"
)

// dec walks the document with the schema of inventory v1, pulling values
// from the lexer. Every type error, unknown or duplicate key, bad enum and
// missing required field is collected with its path; the walk never stops
// early except at a syntax error.
type dec struct {
	lx       lexer
	problems []Problem
	// synPath is the innermost path at which the syntax error was seen.
	synPath string
	synSeen bool
}

// problem records what is wrong at p. Problems after a syntax error are
// dropped: they would only be echoes of the truncated input.
func (d *dec) problem(p *path, format string, args ...any) {
	if d.lx.err != "" {
		return
	}
	d.problems = append(d.problems, Problem{Path: p.String(), Message: fmt.Sprintf(format, args...)})
}

func (d *dec) noteSyntax(p *path) {
	if d.lx.err != "" && !d.synSeen {
		d.synSeen = true
		d.synPath = p.String()
	}
}

// mismatch reports a value of the wrong type and skips it.
func (d *dec) mismatch(p *path, k kind, want string) {
	if k != kindInvalid && k != kindEnd {
		d.problem(p, "expected %s, got %s", want, k.describe())
	}
	d.lx.skip()
	d.noteSyntax(p)
}

// members is the state of one object being read: the lexer's separator state
// and the keys seen so far, for duplicate detection without a map in the
// common (small) case.
type members struct {
	first bool
	n     int
	small [16]string
	big   map[string]struct{}
}

func (m *members) seen(key string) bool {
	if m.big != nil {
		if _, ok := m.big[key]; ok {
			return true
		}
		m.big[key] = struct{}{}
		return false
	}
	for _, k := range m.small[:m.n] {
		if k == key {
			return true
		}
	}
	if m.n < len(m.small) {
		m.small[m.n] = key
		m.n++
		return false
	}
	m.big = make(map[string]struct{}, 2*len(m.small))
	for _, k := range m.small {
		m.big[k] = struct{}{}
	}
	m.big[key] = struct{}{}
	return false
}

// object starts reading an object at p; false means the value was something
// else (reported and skipped).
func (d *dec) object(p *path, m *members) bool {
	if k := d.lx.peek(); k != kindObject {
		d.mismatch(p, k, "an object")
		return false
	}
	d.lx.open()
	m.first = true
	return true
}

// next returns the next member's key; duplicate keys are reported and their
// values skipped.
func (d *dec) next(p *path, m *members) (string, bool) {
	for d.lx.more(&m.first, '}') {
		key := d.lx.key()
		if d.lx.err != "" {
			break
		}
		if m.seen(key) {
			kp := p.field(key)
			d.problem(&kp, "duplicate key %q", key)
			d.lx.skip()
			continue
		}
		return key, true
	}
	d.noteSyntax(p)
	return "", false
}

// unknown reports a member the schema does not have and skips its value.
func (d *dec) unknown(p *path, key string) {
	kp := p.field(key)
	d.problem(&kp, "unknown field %q", key)
	d.lx.skip()
}

// elems is the state of one array being read.
type elems struct {
	first bool
	n     int
}

// array starts reading an array at p; null reads as an empty list (Go
// writers emit null for nil slices).
func (d *dec) array(p *path, e *elems) bool {
	k := d.lx.peek()
	if k == kindNull {
		d.lx.literal()
		return false
	}
	if k != kindArray {
		d.mismatch(p, k, "an array")
		return false
	}
	d.lx.open()
	e.first, e.n = true, -1
	return true
}

func (d *dec) nextElem(p *path, e *elems) (int, bool) {
	if d.lx.more(&e.first, ']') {
		e.n++
		return e.n, true
	}
	d.noteSyntax(p)
	return 0, false
}

func (d *dec) str(p *path) (string, bool) {
	if k := d.lx.peek(); k != kindString {
		d.mismatch(p, k, "a string")
		return "", false
	}
	s := d.lx.str()
	if d.lx.err != "" {
		d.noteSyntax(p)
		return "", false
	}
	return s, true
}

// name reads a resource name and checks it is well formed.
func (d *dec) name(p *path) string {
	s, ok := d.str(p)
	if ok {
		if msg := nameProblem(s); msg != "" {
			d.problem(p, "%s", msg)
		}
	}
	return s
}

// ref reads a reference to a name; "" is allowed (no reference) and
// resolution is checked later, once every name is known.
func (d *dec) ref(p *path) string {
	s, _ := d.str(p)
	return s
}

// checked reads a string and, when it is not empty, checks it with f.
func (d *dec) checked(p *path, f func(string) string) string {
	s, ok := d.str(p)
	if ok && s != "" {
		if msg := f(s); msg != "" {
			d.problem(p, "%s", msg)
		}
	}
	return s
}

// enum reads a string that must be one of allowed; "" passes when optional.
func (d *dec) enum(p *path, optional bool, allowed ...string) string {
	s, ok := d.str(p)
	if !ok || (optional && s == "") {
		return s
	}
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	d.problem(p, "expected one of %s, got %q", strings.Join(allowed, ", "), s)
	return s
}

func (d *dec) int(p *path, lo, hi int64) int64 {
	k := d.lx.peek()
	if k != kindNumber {
		d.mismatch(p, k, "an integer")
		return 0
	}
	t := d.lx.number()
	if d.lx.err != "" {
		d.noteSyntax(p)
		return 0
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		d.problem(p, "expected an integer, got %s", t)
		return 0
	}
	if v < lo || v > hi {
		d.problem(p, "expected an integer from %d to %d, got %d", lo, hi, v)
	}
	return v
}

func (d *dec) bool(p *path) bool {
	k := d.lx.peek()
	if k != kindBool {
		d.mismatch(p, k, "a boolean")
		return false
	}
	return d.lx.literal() == "true"
}

func (d *dec) required(p *path, key string, have bool) {
	if !have {
		kp := p.field(key)
		d.problem(&kp, "required field is missing")
	}
}

// strList reads a list of strings, each checked with f when f is not nil.
func (d *dec) strList(p *path, f func(string) string) []string {
	var out []string
	var e elems
	if !d.array(p, &e) {
		return nil
	}
	for {
		i, ok := d.nextElem(p, &e)
		if !ok {
			return out
		}
		ip := p.elem(i)
		s, ok := d.str(&ip)
		if ok && f != nil {
			if msg := f(s); msg != "" {
				d.problem(&ip, "%s", msg)
			}
		}
		out = append(out, s)
	}
}

const maxInt = 1<<31 - 1

// inventory decodes the whole document.
func (d *dec) inventory() *Inventory {
	inv := &Inventory{}
	var root *path
	var m members
	if !d.object(root, &m) {
		return inv
	}
	var hasVersion, hasSub bool
	for {
		key, ok := d.next(root, &m)
		if !ok {
			break
		}
		kp := root.field(key)
		switch key {
		case "schemaVersion":
			hasVersion = true
			inv.SchemaVersion = int(d.int(&kp, -maxInt, maxInt))
			if inv.SchemaVersion != SchemaVersion && d.lx.err == "" {
				d.problem(&kp, "unsupported schema version %d, expected %d", inv.SchemaVersion, SchemaVersion)
			}
		case "subscriptionId":
			hasSub = true
			inv.SubscriptionID = d.checked(&kp, guidProblem)
			if inv.SubscriptionID == "" {
				d.problem(&kp, "subscription id must not be empty")
			}
		case "defaultLocation":
			inv.DefaultLocation = d.checked(&kp, nameProblem)
		case "target":
			d.target(&kp, &inv.Target)
		case "storageAccounts":
			var e elems
			for ok := d.array(&kp, &e); ok; {
				i, more := d.nextElem(&kp, &e)
				if !more {
					break
				}
				ip := kp.elem(i)
				inv.StorageAccounts = append(inv.StorageAccounts, StorageAccount{})
				d.storageAccount(&ip, &inv.StorageAccounts[len(inv.StorageAccounts)-1])
			}
		case "virtualNetworks":
			var e elems
			for ok := d.array(&kp, &e); ok; {
				i, more := d.nextElem(&kp, &e)
				if !more {
					break
				}
				ip := kp.elem(i)
				inv.VirtualNetworks = append(inv.VirtualNetworks, VirtualNetwork{})
				d.virtualNetwork(&ip, &inv.VirtualNetworks[len(inv.VirtualNetworks)-1])
			}
		case "cloudServices":
			var e elems
			for ok := d.array(&kp, &e); ok; {
				i, more := d.nextElem(&kp, &e)
				if !more {
					break
				}
				ip := kp.elem(i)
				inv.CloudServices = append(inv.CloudServices, CloudService{})
				d.cloudService(&ip, &inv.CloudServices[len(inv.CloudServices)-1])
			}
		case "networkSecurityGroups":
			var e elems
			for ok := d.array(&kp, &e); ok; {
				i, more := d.nextElem(&kp, &e)
				if !more {
					break
				}
				ip := kp.elem(i)
				inv.NetworkSecurityGroups = append(inv.NetworkSecurityGroups, NetworkSecurityGroup{})
				d.nsg(&ip, &inv.NetworkSecurityGroups[len(inv.NetworkSecurityGroups)-1])
			}
		case "routeTables":
			var e elems
			for ok := d.array(&kp, &e); ok; {
				i, more := d.nextElem(&kp, &e)
				if !more {
					break
				}
				ip := kp.elem(i)
				inv.RouteTables = append(inv.RouteTables, RouteTable{})
				d.routeTable(&ip, &inv.RouteTables[len(inv.RouteTables)-1])
			}
		case "reservedIPs":
			var e elems
			for ok := d.array(&kp, &e); ok; {
				i, more := d.nextElem(&kp, &e)
				if !more {
					break
				}
				ip := kp.elem(i)
				inv.ReservedIPs = append(inv.ReservedIPs, ReservedIP{})
				d.reservedIP(&ip, &inv.ReservedIPs[len(inv.ReservedIPs)-1])
			}
		case "expressRouteCircuits":
			var e elems
			for ok := d.array(&kp, &e); ok; {
				i, more := d.nextElem(&kp, &e)
				if !more {
					break
				}
				ip := kp.elem(i)
				inv.ExpressRouteCircuits = append(inv.ExpressRouteCircuits, ExpressRouteCircuit{})
				d.circuit(&ip, &inv.ExpressRouteCircuits[len(inv.ExpressRouteCircuits)-1])
			}
		default:
			d.unknown(root, key)
		}
	}
	d.required(root, "schemaVersion", hasVersion)
	d.required(root, "subscriptionId", hasSub)
	return inv
}

func (d *dec) target(p *path, t *Target) {
	var m members
	if !d.object(p, &m) {
		return
	}
	for {
		key, ok := d.next(p, &m)
		if !ok {
			return
		}
		kp := p.field(key)
		switch key {
		case "cloud":
			t.Cloud = d.enum(&kp, true, CloudAzurePublic, CloudAzureUSGovernment, CloudAzureChina, CloudAzureStackHub)
		case "resourceGroupSuffix":
			t.ResourceGroupSuffix = d.checked(&kp, suffixProblem)
		case "quotas":
			var qm members
			if !d.object(&kp, &qm) {
				continue
			}
			for {
				region, ok := d.next(&kp, &qm)
				if !ok {
					break
				}
				rp := kp.field(region)
				if msg := nameProblem(region); msg != "" {
					d.problem(&rp, "region %s", msg)
				}
				if t.Quotas == nil {
					t.Quotas = map[string]Quota{}
				}
				t.Quotas[region] = d.quota(&rp)
			}
		default:
			d.unknown(p, key)
		}
	}
}

func (d *dec) quota(p *path) Quota {
	var q Quota
	var m members
	if !d.object(p, &m) {
		return q
	}
	for {
		key, ok := d.next(p, &m)
		if !ok {
			return q
		}
		kp := p.field(key)
		var dst **int
		switch key {
		case "cores":
			dst = &q.Cores
		case "networkInterfaces":
			dst = &q.NetworkInterfaces
		case "publicIPAddresses":
			dst = &q.PublicIPAddresses
		case "loadBalancers":
			dst = &q.LoadBalancers
		case "networkSecurityGroups":
			dst = &q.NetworkSecurityGroups
		case "routeTables":
			dst = &q.RouteTables
		default:
			d.unknown(p, key)
			continue
		}
		v := int(d.int(&kp, 0, maxInt))
		*dst = &v
	}
}

func (d *dec) storageAccount(p *path, sa *StorageAccount) {
	var m members
	if !d.object(p, &m) {
		return
	}
	var hasName, hasType bool
	for {
		key, ok := d.next(p, &m)
		if !ok {
			break
		}
		kp := p.field(key)
		switch key {
		case "name":
			hasName = true
			sa.Name = d.name(&kp)
		case "location":
			sa.Location = d.checked(&kp, nameProblem)
		case "accountType":
			hasType = true
			sa.AccountType = d.enum(&kp, false, "Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS", "Premium_LRS")
		case "disks":
			var e elems
			for ok := d.array(&kp, &e); ok; {
				i, more := d.nextElem(&kp, &e)
				if !more {
					break
				}
				ip := kp.elem(i)
				sa.Disks = append(sa.Disks, Disk{})
				d.disk(&ip, &sa.Disks[len(sa.Disks)-1])
			}
		case "images":
			var e elems
			for ok := d.array(&kp, &e); ok; {
				i, more := d.nextElem(&kp, &e)
				if !more {
					break
				}
				ip := kp.elem(i)
				sa.Images = append(sa.Images, Image{})
				d.image(&ip, &sa.Images[len(sa.Images)-1])
			}
		case "blobsOnly":
			sa.BlobsOnly = d.bool(&kp)
		case "roleAssignments":
			sa.RoleAssignments = d.roleAssignments(&kp)
		default:
			d.unknown(p, key)
		}
	}
	d.required(p, "name", hasName)
	d.required(p, "accountType", hasType)
}

func (d *dec) disk(p *path, dk *Disk) {
	var m members
	if !d.object(p, &m) {
		return
	}
	var hasName, hasURI, hasSize bool
	for {
		key, ok := d.next(p, &m)
		if !ok {
			break
		}
		kp := p.field(key)
		switch key {
		case "name":
			hasName = true
			dk.Name = d.name(&kp)
		case "vhdUri":
			hasURI = true
			dk.VHDURI = d.checked(&kp, vhdURIProblem)
			if dk.VHDURI == "" {
				d.problem(&kp, "blob URL must not be empty")
			}
		case "sizeGiB":
			hasSize = true
			dk.SizeGiB = d.int(&kp, 1, 1<<20)
		case "blobSizeBytes":
			dk.BlobSizeBytes = d.int(&kp, 0, 1<<50)
		case "os":
			dk.OS = d.enum(&kp, true, "Windows", "Linux")
		default:
			d.unknown(p, key)
		}
	}
	d.required(p, "name", hasName)
	d.required(p, "vhdUri", hasURI)
	d.required(p, "sizeGiB", hasSize)
}

func (d *dec) image(p *path, im *Image) {
	var m members
	if !d.object(p, &m) {
		return
	}
	var hasName, hasURI bool
	for {
		key, ok := d.next(p, &m)
		if !ok {
			break
		}
		kp := p.field(key)
		switch key {
		case "name":
			hasName = true
			im.Name = d.name(&kp)
		case "vhdUri":
			hasURI = true
			im.VHDURI = d.checked(&kp, vhdURIProblem)
			if im.VHDURI == "" {
				d.problem(&kp, "blob URL must not be empty")
			}
		case "os":
			im.OS = d.enum(&kp, true, "Windows", "Linux")
		case "generalized":
			im.Generalized = d.bool(&kp)
		default:
			d.unknown(p, key)
		}
	}
	d.required(p, "name", hasName)
	d.required(p, "vhdUri", hasURI)
}

func (d *dec) roleAssignments(p *path) []RoleAssignment {
	var out []RoleAssignment
	var e elems
	for ok := d.array(p, &e); ok; {
		i, more := d.nextElem(p, &e)
		if !more {
			break
		}
		ip := p.elem(i)
		var ra RoleAssignment
		var m members
		if d.object(&ip, &m) {
			for {
				key, ok := d.next(&ip, &m)
				if !ok {
					break
				}
				kp := ip.field(key)
				switch key {
				case "principal":
					ra.Principal, _ = d.str(&kp)
				case "role":
					ra.Role, _ = d.str(&kp)
				default:
					d.unknown(&ip, key)
				}
			}
			d.required(&ip, "principal", ra.Principal != "")
			d.required(&ip, "role", ra.Role != "")
		}
		out = append(out, ra)
	}
	return out
}

func (d *dec) virtualNetwork(p *path, vn *VirtualNetwork) {
	var m members
	if !d.object(p, &m) {
		return
	}
	var hasName, hasSpace bool
	for {
		key, ok := d.next(p, &m)
		if !ok {
			break
		}
		kp := p.field(key)
		switch key {
		case "name":
			hasName = true
			vn.Name = d.name(&kp)
		case "location":
			vn.Location = d.checked(&kp, nameProblem)
		case "addressSpace":
			hasSpace = true
			vn.AddressSpace = d.strList(&kp, cidrProblem)
			if len(vn.AddressSpace) == 0 {
				d.problem(&kp, "expected at least one address prefix")
			}
		case "subnets":
			var e elems
			for ok := d.array(&kp, &e); ok; {
				i, more := d.nextElem(&kp, &e)
				if !more {
					break
				}
				ip := kp.elem(i)
				vn.Subnets = append(vn.Subnets, Subnet{})
				d.subnet(&ip, &vn.Subnets[len(vn.Subnets)-1])
			}
		case "gateways":
			var e elems
			for ok := d.array(&kp, &e); ok; {
				i, more := d.nextElem(&kp, &e)
				if !more {
					break
				}
				ip := kp.elem(i)
				vn.Gateways = append(vn.Gateways, d.gateway(&ip))
			}
		case "peerings":
			var e elems
			for ok := d.array(&kp, &e); ok; {
				i, more := d.nextElem(&kp, &e)
				if !more {
					break
				}
				ip := kp.elem(i)
				vn.Peerings = append(vn.Peerings, d.peering(&ip))
			}
		case "applicationGateways":
			var e elems
			for ok := d.array(&kp, &e); ok; {
				i, more := d.nextElem(&kp, &e)
				if !more {
					break
				}
				ip := kp.elem(i)
				vn.ApplicationGateways = append(vn.ApplicationGateways, d.appGateway(&ip))
			}
		case "platformServices":
			var e elems
			for ok := d.array(&kp, &e); ok; {
				i, more := d.nextElem(&kp, &e)
				if !more {
					break
				}
				ip := kp.elem(i)
				vn.PlatformServices = append(vn.PlatformServices, d.enum(&ip, false,
					PlatformAppServiceEnvironment, PlatformHDInsight, PlatformDynamicsLifecycle,
					PlatformAzureADDomainServices, PlatformApiManagement))
			}
		case "roleAssignments":
			vn.RoleAssignments = d.roleAssignments(&kp)
		default:
			d.unknown(p, key)
		}
	}
	d.required(p, "name", hasName)
	d.required(p, "addressSpace", hasSpace)
}

func (d *dec) subnet(p *path, sn *Subnet) {
	var m members
	if !d.object(p, &m) {
		return
	}
	var hasName, hasPrefix bool
	for {
		key, ok := d.next(p, &m)
		if !ok {
			break
		}
		kp := p.field(key)
		switch key {
		case "name":
			hasName = true
			sn.Name = d.name(&kp)
		case "addressPrefix":
			hasPrefix = true
			sn.AddressPrefix = d.checked(&kp, cidrProblem)
			if sn.AddressPrefix == "" {
				d.problem(&kp, "address prefix must not be empty")
			}
		case "networkSecurityGroup":
			sn.NetworkSecurityGroup = d.ref(&kp)
		case "routeTable":
			sn.RouteTable = d.ref(&kp)
		default:
			d.unknown(p, key)
		}
	}
	d.required(p, "name", hasName)
	d.required(p, "addressPrefix", hasPrefix)
}

func (d *dec) gateway(p *path) Gateway {
	var g Gateway
	var m members
	if !d.object(p, &m) {
		return g
	}
	var hasKind bool
	for {
		key, ok := d.next(p, &m)
		if !ok {
			break
		}
		kp := p.field(key)
		switch key {
		case "kind":
			hasKind = true
			g.Kind = d.enum(&kp, false, GatewayVpn, GatewayExpressRoute)
		case "sku":
			g.SKU, _ = d.str(&kp)
		case "circuit":
			g.Circuit = d.ref(&kp)
		default:
			d.unknown(p, key)
		}
	}
	d.required(p, "kind", hasKind)
	return g
}

// peering accepts the remote VNet's name alone or {name, remoteVirtualNetwork}.
func (d *dec) peering(p *path) Peering {
	var pr Peering
	if d.lx.peek() == kindString {
		s := d.name(p)
		return Peering{Name: s, RemoteVirtualNetwork: s}
	}
	var m members
	if !d.object(p, &m) {
		return pr
	}
	var hasName bool
	for {
		key, ok := d.next(p, &m)
		if !ok {
			break
		}
		kp := p.field(key)
		switch key {
		case "name":
			hasName = true
			pr.Name = d.name(&kp)
		case "remoteVirtualNetwork":
			pr.RemoteVirtualNetwork = d.ref(&kp)
		default:
			d.unknown(p, key)
		}
	}
	d.required(p, "name", hasName)
	return pr
}

// appGateway accepts a name alone or {name}.
func (d *dec) appGateway(p *path) ApplicationGateway {
	if d.lx.peek() == kindString {
		return ApplicationGateway{Name: d.name(p)}
	}
	var ag ApplicationGateway
	var m members
	if !d.object(p, &m) {
		return ag
	}
	var hasName bool
	for {
		key, ok := d.next(p, &m)
		if !ok {
			break
		}
		kp := p.field(key)
		switch key {
		case "name":
			hasName = true
			ag.Name = d.name(&kp)
		default:
			d.unknown(p, key)
		}
	}
	d.required(p, "name", hasName)
	return ag
}

func (d *dec) cloudService(p *path, cs *CloudService) {
	var m members
	if !d.object(p, &m) {
		return
	}
	var hasName, hasDep bool
	for {
		key, ok := d.next(p, &m)
		if !ok {
			break
		}
		kp := p.field(key)
		switch key {
		case "name":
			hasName = true
			cs.Name = d.name(&kp)
		case "location":
			cs.Location = d.checked(&kp, nameProblem)
		case "reservedIP":
			cs.ReservedIP = d.ref(&kp)
		case "deployment":
			hasDep = true
			d.deployment(&kp, &cs.Deployment)
		case "roleAssignments":
			cs.RoleAssignments = d.roleAssignments(&kp)
		default:
			d.unknown(p, key)
		}
	}
	d.required(p, "name", hasName)
	d.required(p, "deployment", hasDep)
}

func (d *dec) deployment(p *path, dp *Deployment) {
	var m members
	if !d.object(p, &m) {
		return
	}
	var hasName, hasRoles bool
	for {
		key, ok := d.next(p, &m)
		if !ok {
			break
		}
		kp := p.field(key)
		switch key {
		case "name":
			hasName = true
			dp.Name = d.name(&kp)
		case "slot":
			dp.Slot = d.enum(&kp, true, "Production", "Staging")
		case "virtualNetwork":
			dp.VirtualNetwork = d.ref(&kp)
		case "destination":
			if d.lx.peek() == kindNull {
				d.lx.literal()
				continue
			}
			dp.Destination = d.destination(&kp)
		case "roles":
			hasRoles = true
			var e elems
			for ok := d.array(&kp, &e); ok; {
				i, more := d.nextElem(&kp, &e)
				if !more {
					break
				}
				ip := kp.elem(i)
				dp.Roles = append(dp.Roles, Role{})
				d.role(&ip, &dp.Roles[len(dp.Roles)-1])
			}
		default:
			d.unknown(p, key)
		}
	}
	d.required(p, "name", hasName)
	d.required(p, "roles", hasRoles)
}

func (d *dec) destination(p *path) *Destination {
	dst := &Destination{}
	var m members
	if !d.object(p, &m) {
		return dst
	}
	var hasRG, hasVNet, hasSubnet bool
	for {
		key, ok := d.next(p, &m)
		if !ok {
			break
		}
		kp := p.field(key)
		switch key {
		case "resourceGroup":
			hasRG = true
			dst.ResourceGroup = d.name(&kp)
		case "virtualNetwork":
			hasVNet = true
			dst.VirtualNetwork = d.name(&kp)
		case "subnet":
			hasSubnet = true
			dst.Subnet = d.name(&kp)
		default:
			d.unknown(p, key)
		}
	}
	d.required(p, "resourceGroup", hasRG)
	d.required(p, "virtualNetwork", hasVNet)
	d.required(p, "subnet", hasSubnet)
	return dst
}

func (d *dec) role(p *path, r *Role) {
	var m members
	if !d.object(p, &m) {
		return
	}
	var hasName, hasKind, hasSize, hasOSDisk bool
	// vmOnly remembers the VM-only fields present: kind may come after
	// them in the object.
	var vmOnly [12]string
	nVMOnly := 0
	for {
		key, ok := d.next(p, &m)
		if !ok {
			break
		}
		kp := p.field(key)
		switch key {
		case "privateIP", "availabilitySet", "networkSecurityGroup", "endpoints", "extensions",
			"osDisk", "dataDisks", "bootDiagnostics", "alertRules", "autoscale":
			if nVMOnly < len(vmOnly) {
				vmOnly[nVMOnly] = key
				nVMOnly++
			}
		}
		switch key {
		case "name":
			hasName = true
			r.Name = d.name(&kp)
		case "kind":
			hasKind = true
			r.Kind = d.enum(&kp, false, RoleVirtualMachine, RoleWebRole, RoleWorkerRole)
		case "size":
			hasSize = true
			r.Size = d.checked(&kp, nameProblem)
		case "state":
			r.State = d.checked(&kp, stateProblem)
		case "privateIP":
			r.PrivateIP = d.checked(&kp, ipv4Problem)
		case "availabilitySet":
			r.AvailabilitySet = d.checked(&kp, nameProblem)
		case "subnets":
			r.Subnets = d.strList(&kp, nil)
		case "networkSecurityGroup":
			r.NetworkSecurityGroup = d.ref(&kp)
		case "endpoints":
			var e elems
			for ok := d.array(&kp, &e); ok; {
				i, more := d.nextElem(&kp, &e)
				if !more {
					break
				}
				ip := kp.elem(i)
				r.Endpoints = append(r.Endpoints, Endpoint{})
				d.endpoint(&ip, &r.Endpoints[len(r.Endpoints)-1])
			}
		case "extensions":
			var e elems
			for ok := d.array(&kp, &e); ok; {
				i, more := d.nextElem(&kp, &e)
				if !more {
					break
				}
				ip := kp.elem(i)
				r.Extensions = append(r.Extensions, d.extension(&ip))
			}
		case "osDisk":
			hasOSDisk = true
			r.OSDisk = d.ref(&kp)
		case "dataDisks":
			var e elems
			for ok := d.array(&kp, &e); ok; {
				i, more := d.nextElem(&kp, &e)
				if !more {
					break
				}
				ip := kp.elem(i)
				r.DataDisks = append(r.DataDisks, d.dataDisk(&ip))
			}
		case "bootDiagnostics":
			if d.lx.peek() == kindNull {
				d.lx.literal()
				continue
			}
			r.BootDiagnostics = d.bootDiagnostics(&kp)
		case "alertRules":
			r.AlertRules = int(d.int(&kp, 0, maxInt))
		case "autoscale":
			r.Autoscale = d.bool(&kp)
		default:
			d.unknown(p, key)
		}
	}
	d.required(p, "name", hasName)
	d.required(p, "kind", hasKind)
	switch r.Kind {
	case RoleVirtualMachine:
		if !hasSize {
			kp := p.field("size")
			d.problem(&kp, "required for a VirtualMachine role, missing")
		}
		if !hasOSDisk || r.OSDisk == "" {
			kp := p.field("osDisk")
			d.problem(&kp, "required for a VirtualMachine role, missing")
		}
	case RoleWebRole, RoleWorkerRole:
		for _, key := range vmOnly[:nVMOnly] {
			kp := p.field(key)
			d.problem(&kp, "only VirtualMachine roles carry %q; this role is a %s", key, r.Kind)
		}
	}
}

// stateProblem accepts any platform instance state that looks like one
// (Running, StoppedVM, BusyRole...): the vm-transitional-state rule, not the
// loader, judges whether a state blocks migration.
func stateProblem(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return fmt.Sprintf("expected an instance state such as Running, Stopped, StoppedDeallocated or Provisioning, got %q", s)
		}
	}
	return ""
}

func (d *dec) endpoint(p *path, ep *Endpoint) {
	var m members
	if !d.object(p, &m) {
		return
	}
	var hasName bool
	for {
		key, ok := d.next(p, &m)
		if !ok {
			break
		}
		kp := p.field(key)
		switch key {
		case "name":
			hasName = true
			ep.Name = d.name(&kp)
		case "protocol":
			ep.Protocol = d.enum(&kp, true, "tcp", "udp", "TCP", "UDP")
		case "publicPort":
			ep.PublicPort = int(d.int(&kp, 0, 65535))
		case "localPort":
			ep.LocalPort = int(d.int(&kp, 0, 65535))
		case "acl":
			var e elems
			for ok := d.array(&kp, &e); ok; {
				i, more := d.nextElem(&kp, &e)
				if !more {
					break
				}
				ip := kp.elem(i)
				ep.ACL = append(ep.ACL, d.acl(&ip))
			}
		default:
			d.unknown(p, key)
		}
	}
	d.required(p, "name", hasName)
}

func (d *dec) acl(p *path) ACL {
	var a ACL
	var m members
	if !d.object(p, &m) {
		return a
	}
	for {
		key, ok := d.next(p, &m)
		if !ok {
			return a
		}
		kp := p.field(key)
		switch key {
		case "order":
			a.Order = int(d.int(&kp, 0, maxInt))
		case "action":
			a.Action = d.enum(&kp, true, "permit", "deny")
		case "remoteSubnet":
			a.RemoteSubnet = d.checked(&kp, cidrProblem)
		default:
			d.unknown(p, key)
		}
	}
}

func (d *dec) extension(p *path) Extension {
	var x Extension
	var m members
	if !d.object(p, &m) {
		return x
	}
	var hasName bool
	for {
		key, ok := d.next(p, &m)
		if !ok {
			break
		}
		kp := p.field(key)
		switch key {
		case "publisher":
			x.Publisher = d.checked(&kp, nameProblem)
		case "name":
			hasName = true
			x.Name = d.name(&kp)
		case "version":
			x.Version, _ = d.str(&kp)
		case "format":
			x.Format = d.enum(&kp, true, "xml", "json")
		default:
			d.unknown(p, key)
		}
	}
	d.required(p, "name", hasName)
	return x
}

func (d *dec) dataDisk(p *path) DataDisk {
	var dd DataDisk
	var m members
	if !d.object(p, &m) {
		return dd
	}
	var hasDisk bool
	for {
		key, ok := d.next(p, &m)
		if !ok {
			break
		}
		kp := p.field(key)
		switch key {
		case "disk":
			hasDisk = true
			dd.Disk = d.ref(&kp)
		case "lun":
			dd.LUN = int(d.int(&kp, 0, 63))
		default:
			d.unknown(p, key)
		}
	}
	d.required(p, "disk", hasDisk)
	return dd
}

func (d *dec) bootDiagnostics(p *path) *BootDiagnostics {
	bd := &BootDiagnostics{}
	var m members
	if !d.object(p, &m) {
		return bd
	}
	for {
		key, ok := d.next(p, &m)
		if !ok {
			return bd
		}
		kp := p.field(key)
		switch key {
		case "enabled":
			bd.Enabled = d.bool(&kp)
		case "storageAccount":
			bd.StorageAccount = d.ref(&kp)
		default:
			d.unknown(p, key)
		}
	}
}

func (d *dec) nsg(p *path, g *NetworkSecurityGroup) {
	var m members
	if !d.object(p, &m) {
		return
	}
	var hasName bool
	for {
		key, ok := d.next(p, &m)
		if !ok {
			break
		}
		kp := p.field(key)
		switch key {
		case "name":
			hasName = true
			g.Name = d.name(&kp)
		case "location":
			g.Location = d.checked(&kp, nameProblem)
		case "rules":
			var e elems
			for ok := d.array(&kp, &e); ok; {
				i, more := d.nextElem(&kp, &e)
				if !more {
					break
				}
				ip := kp.elem(i)
				g.Rules = append(g.Rules, d.nsgRule(&ip))
			}
		default:
			d.unknown(p, key)
		}
	}
	d.required(p, "name", hasName)
}

func (d *dec) nsgRule(p *path) NSGRule {
	var r NSGRule
	var m members
	if !d.object(p, &m) {
		return r
	}
	var hasName bool
	for {
		key, ok := d.next(p, &m)
		if !ok {
			break
		}
		kp := p.field(key)
		switch key {
		case "name":
			hasName = true
			r.Name = d.name(&kp)
		case "priority":
			r.Priority = int(d.int(&kp, 0, 65535))
		case "direction":
			r.Direction = d.enum(&kp, true, "Inbound", "Outbound")
		case "access":
			r.Access = d.enum(&kp, true, "Allow", "Deny")
		case "protocol":
			r.Protocol, _ = d.str(&kp)
		case "sourceAddressPrefix":
			r.SourceAddressPrefix, _ = d.str(&kp)
		case "sourcePortRange":
			r.SourcePortRange, _ = d.str(&kp)
		case "destinationAddressPrefix":
			r.DestinationAddressPrefix, _ = d.str(&kp)
		case "destinationPortRange":
			r.DestinationPortRange, _ = d.str(&kp)
		default:
			d.unknown(p, key)
		}
	}
	d.required(p, "name", hasName)
	return r
}

func (d *dec) routeTable(p *path, rt *RouteTable) {
	var m members
	if !d.object(p, &m) {
		return
	}
	var hasName bool
	for {
		key, ok := d.next(p, &m)
		if !ok {
			break
		}
		kp := p.field(key)
		switch key {
		case "name":
			hasName = true
			rt.Name = d.name(&kp)
		case "location":
			rt.Location = d.checked(&kp, nameProblem)
		case "routes":
			var e elems
			for ok := d.array(&kp, &e); ok; {
				i, more := d.nextElem(&kp, &e)
				if !more {
					break
				}
				ip := kp.elem(i)
				rt.Routes = append(rt.Routes, d.route(&ip))
			}
		default:
			d.unknown(p, key)
		}
	}
	d.required(p, "name", hasName)
}

func (d *dec) route(p *path) Route {
	var r Route
	var m members
	if !d.object(p, &m) {
		return r
	}
	var hasName bool
	for {
		key, ok := d.next(p, &m)
		if !ok {
			break
		}
		kp := p.field(key)
		switch key {
		case "name":
			hasName = true
			r.Name = d.name(&kp)
		case "addressPrefix":
			r.AddressPrefix = d.checked(&kp, cidrProblem)
		case "nextHopType":
			r.NextHopType = d.enum(&kp, true, "VirtualAppliance", "VPNGateway", "Internet", "VNETLocal", "Null")
		case "nextHopIpAddress":
			r.NextHopIPAddress = d.checked(&kp, ipv4Problem)
		default:
			d.unknown(p, key)
		}
	}
	d.required(p, "name", hasName)
	return r
}

func (d *dec) reservedIP(p *path, rip *ReservedIP) {
	var m members
	if !d.object(p, &m) {
		return
	}
	var hasName bool
	for {
		key, ok := d.next(p, &m)
		if !ok {
			break
		}
		kp := p.field(key)
		switch key {
		case "name":
			hasName = true
			rip.Name = d.name(&kp)
		case "location":
			rip.Location = d.checked(&kp, nameProblem)
		case "address":
			rip.Address = d.checked(&kp, ipv4Problem)
		default:
			d.unknown(p, key)
		}
	}
	d.required(p, "name", hasName)
}

func (d *dec) circuit(p *path, c *ExpressRouteCircuit) {
	var m members
	if !d.object(p, &m) {
		return
	}
	var hasName bool
	for {
		key, ok := d.next(p, &m)
		if !ok {
			break
		}
		kp := p.field(key)
		switch key {
		case "name":
			hasName = true
			c.Name = d.name(&kp)
		case "model":
			c.Model = d.enum(&kp, true, "Classic", "ResourceManager")
		case "subscriptionId":
			c.SubscriptionID = d.checked(&kp, guidProblem)
		default:
			d.unknown(p, key)
		}
	}
	d.required(p, "name", hasName)
}
