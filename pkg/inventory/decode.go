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

// keySet holds the keys of one object seen so far, for duplicate detection
// and required fields without a map in the common (small) case.
type keySet struct {
	n     int
	small [16]string
	big   map[string]struct{}
}

// seen adds key and reports whether it was there already.
func (s *keySet) seen(key string) bool {
	if s.has(key) {
		return true
	}
	if s.big != nil {
		s.big[key] = struct{}{}
		return false
	}
	if s.n < len(s.small) {
		s.small[s.n] = key
		s.n++
		return false
	}
	s.big = make(map[string]struct{}, 2*len(s.small))
	for _, k := range s.small {
		s.big[k] = struct{}{}
	}
	s.big[key] = struct{}{}
	return false
}

func (s *keySet) has(key string) bool {
	if s.big != nil {
		_, ok := s.big[key]
		return ok
	}
	for _, k := range s.small[:s.n] {
		if k == key {
			return true
		}
	}
	return false
}

// object is the state of one object being read member by member, so that a
// struct decoder is a switch over its keys:
//
//	var o object
//	for d.member(p, &o) {
//		switch kp := p.field(o.key); o.key {
//		case "name":
//			x.Name = d.name(&kp)
//		default:
//			d.unknown(p, o.key)
//		}
//	}
//	d.require(p, &o, "name")
//
// It is a cursor rather than a callback, the caller makes each member's path,
// and object holds no path: escape analysis cannot see that a path handed to
// a func value, or kept in a struct whose keys go to the heap, stays on the
// stack, and either would cost the loader an allocation per member.
type object struct {
	state uint8
	first bool // the lexer's separator state
	keys  keySet
	key   string // the current member's
}

// States of an object being read.
const (
	objectUnread uint8 = iota
	objectReading
	objectDone
	objectNotObject // reported and skipped
)

// member moves o to the next member of the object at p, starting the object
// on the first call; duplicate keys are reported and their values skipped.
func (d *dec) member(p *path, o *object) bool {
	switch o.state {
	case objectUnread:
		if k := d.lx.peek(); k != kindObject {
			d.mismatch(p, k, "an object")
			o.state = objectNotObject
			return false
		}
		d.lx.open()
		o.state, o.first = objectReading, true
	case objectReading:
	default:
		return false
	}
	for d.lx.more(&o.first, '}') {
		key := d.lx.key()
		if d.lx.err != "" {
			break
		}
		if o.keys.seen(key) {
			kp := p.field(key)
			d.problem(&kp, "duplicate key %q", key)
			d.lx.skip()
			continue
		}
		o.key = key
		return true
	}
	d.noteSyntax(p)
	o.state = objectDone
	return false
}

// unknown reports a member the schema does not have and skips its value.
func (d *dec) unknown(p *path, key string) {
	kp := p.field(key)
	d.problem(&kp, "unknown field %q", key)
	d.lx.skip()
}

// has reports whether the object had key.
func (o *object) has(key string) bool { return o.keys.has(key) }

// isObject reports whether the value was an object (anything else has been
// reported already).
func (o *object) isObject() bool { return o.state != objectNotObject }

// require reports each of keys that the object o at p, now read, did not
// have.
func (d *dec) require(p *path, o *object, keys ...string) {
	if !o.isObject() {
		return
	}
	for _, key := range keys {
		d.required(p, key, o.has(key))
	}
}

func (d *dec) required(p *path, key string, have bool) {
	if !have {
		kp := p.field(key)
		d.problem(&kp, "required field is missing")
	}
}

// items reads one array element by element:
//
//	it := d.items(p)
//	for it.next() {
//		ip := it.path()
//		d.disk(&ip, grow(&sa.Disks))
//	}
//
// null reads as no elements (Go writers emit null for nil slices); anything
// else that is not an array is reported and skipped. Declare it before the
// loop, not in the for statement: a per-iteration loop variable whose address
// is taken makes every path handed down escape to the heap.
type items struct {
	d     *dec
	p     *path
	open  bool // inside an array that has not ended
	first bool // the lexer's separator state
	n     int  // the current element's index
}

func (d *dec) items(p *path) items {
	it := items{d: d, p: p, n: -1}
	switch k := d.lx.peek(); k {
	case kindNull:
		d.lx.literal()
	case kindArray:
		d.lx.open()
		it.open, it.first = true, true
	default:
		d.mismatch(p, k, "an array")
	}
	return it
}

func (it *items) next() bool {
	if !it.open {
		return false
	}
	if !it.d.lx.more(&it.first, ']') {
		it.open = false
		it.d.noteSyntax(it.p)
		return false
	}
	it.n++
	return true
}

// path is the current element's path, made by the caller (see object).
func (it *items) path() path { return it.p.elem(it.n) }

// grow appends a zero element to *s and returns it, for decoding in place.
func grow[T any](s *[]T) *T {
	var zero T
	*s = append(*s, zero)
	return &(*s)[len(*s)-1]
}

// null consumes a null and reports whether there was one: an optional
// object may be given as null for absent.
func (d *dec) null() bool {
	if d.lx.peek() != kindNull {
		return false
	}
	d.lx.literal()
	return true
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

// nonEmpty is checked for a string that must not be "" either; empty is
// the problem reported when it is.
func (d *dec) nonEmpty(p *path, f func(string) string, empty string) string {
	s := d.checked(p, f)
	if s == "" {
		d.problem(p, "%s", empty)
	}
	return s
}

// strList reads a list of strings, each checked with f when f is not nil.
func (d *dec) strList(p *path, f func(string) string) []string {
	var out []string
	it := d.items(p)
	for it.next() {
		ip := it.path()
		s, ok := d.str(&ip)
		if ok && f != nil {
			if msg := f(s); msg != "" {
				d.problem(&ip, "%s", msg)
			}
		}
		out = append(out, s)
	}
	return out
}

const maxInt = 1<<31 - 1

// inventory decodes the whole document.
func (d *dec) inventory() *Inventory {
	inv := &Inventory{}
	var root *path
	var o object
	for d.member(root, &o) {
		switch kp := root.field(o.key); o.key {
		case "schemaVersion":
			inv.SchemaVersion = int(d.int(&kp, -maxInt, maxInt))
			if inv.SchemaVersion != SchemaVersion && d.lx.err == "" {
				d.problem(&kp, "unsupported schema version %d, expected %d", inv.SchemaVersion, SchemaVersion)
			}
		case "subscriptionId":
			inv.SubscriptionID = d.nonEmpty(&kp, guidProblem, "subscription id must not be empty")
		case "defaultLocation":
			inv.DefaultLocation = d.checked(&kp, nameProblem)
		case "target":
			d.target(&kp, &inv.Target)
		case "storageAccounts":
			it := d.items(&kp)
			for it.next() {
				ip := it.path()
				d.storageAccount(&ip, grow(&inv.StorageAccounts))
			}
		case "virtualNetworks":
			it := d.items(&kp)
			for it.next() {
				ip := it.path()
				d.virtualNetwork(&ip, grow(&inv.VirtualNetworks))
			}
		case "cloudServices":
			it := d.items(&kp)
			for it.next() {
				ip := it.path()
				d.cloudService(&ip, grow(&inv.CloudServices))
			}
		case "networkSecurityGroups":
			it := d.items(&kp)
			for it.next() {
				ip := it.path()
				d.nsg(&ip, grow(&inv.NetworkSecurityGroups))
			}
		case "routeTables":
			it := d.items(&kp)
			for it.next() {
				ip := it.path()
				d.routeTable(&ip, grow(&inv.RouteTables))
			}
		case "reservedIPs":
			it := d.items(&kp)
			for it.next() {
				ip := it.path()
				d.reservedIP(&ip, grow(&inv.ReservedIPs))
			}
		case "expressRouteCircuits":
			it := d.items(&kp)
			for it.next() {
				ip := it.path()
				d.circuit(&ip, grow(&inv.ExpressRouteCircuits))
			}
		default:
			d.unknown(root, o.key)
		}
	}
	d.require(root, &o, "schemaVersion", "subscriptionId")
	return inv
}

func (d *dec) target(p *path, t *Target) {
	var o object
	for d.member(p, &o) {
		switch kp := p.field(o.key); o.key {
		case "cloud":
			t.Cloud = d.enum(&kp, true, CloudAzurePublic, CloudAzureUSGovernment, CloudAzureChina, CloudAzureStackHub)
		case "resourceGroupSuffix":
			t.ResourceGroupSuffix = d.checked(&kp, suffixProblem)
		case "quotas":
			// A map from region to quota: every key is allowed.
			var regions object
			for d.member(&kp, &regions) {
				region := regions.key
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
			d.unknown(p, o.key)
		}
	}
}

func (d *dec) quota(p *path) Quota {
	var q Quota
	var o object
	for d.member(p, &o) {
		var dst **int
		switch o.key {
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
			d.unknown(p, o.key)
			continue
		}
		kp := p.field(o.key)
		v := int(d.int(&kp, 0, maxInt))
		*dst = &v
	}
	return q
}

func (d *dec) storageAccount(p *path, sa *StorageAccount) {
	var o object
	for d.member(p, &o) {
		switch kp := p.field(o.key); o.key {
		case "name":
			sa.Name = d.name(&kp)
		case "location":
			sa.Location = d.checked(&kp, nameProblem)
		case "accountType":
			sa.AccountType = d.enum(&kp, false, "Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS", "Premium_LRS")
		case "disks":
			it := d.items(&kp)
			for it.next() {
				ip := it.path()
				d.disk(&ip, grow(&sa.Disks))
			}
		case "images":
			it := d.items(&kp)
			for it.next() {
				ip := it.path()
				d.image(&ip, grow(&sa.Images))
			}
		case "blobsOnly":
			sa.BlobsOnly = d.bool(&kp)
		case "roleAssignments":
			it := d.items(&kp)
			for it.next() {
				ip := it.path()
				d.roleAssignment(&ip, grow(&sa.RoleAssignments))
			}
		default:
			d.unknown(p, o.key)
		}
	}
	d.require(p, &o, "name", "accountType")
}

func (d *dec) disk(p *path, dk *Disk) {
	var o object
	for d.member(p, &o) {
		switch kp := p.field(o.key); o.key {
		case "name":
			dk.Name = d.name(&kp)
		case "vhdUri":
			dk.VHDURI = d.nonEmpty(&kp, vhdURIProblem, "blob URL must not be empty")
		case "sizeGiB":
			dk.SizeGiB = d.int(&kp, 1, 1<<20)
		case "blobSizeBytes":
			dk.BlobSizeBytes = d.int(&kp, 0, 1<<50)
		case "os":
			dk.OS = d.enum(&kp, true, "Windows", "Linux")
		default:
			d.unknown(p, o.key)
		}
	}
	d.require(p, &o, "name", "vhdUri", "sizeGiB")
}

func (d *dec) image(p *path, im *Image) {
	var o object
	for d.member(p, &o) {
		switch kp := p.field(o.key); o.key {
		case "name":
			im.Name = d.name(&kp)
		case "vhdUri":
			im.VHDURI = d.nonEmpty(&kp, vhdURIProblem, "blob URL must not be empty")
		case "os":
			im.OS = d.enum(&kp, true, "Windows", "Linux")
		case "generalized":
			im.Generalized = d.bool(&kp)
		default:
			d.unknown(p, o.key)
		}
	}
	d.require(p, &o, "name", "vhdUri")
}

// roleAssignment requires its fields to be non-empty, not only present.
func (d *dec) roleAssignment(p *path, ra *RoleAssignment) {
	var o object
	for d.member(p, &o) {
		switch kp := p.field(o.key); o.key {
		case "principal":
			ra.Principal, _ = d.str(&kp)
		case "role":
			ra.Role, _ = d.str(&kp)
		default:
			d.unknown(p, o.key)
		}
	}
	if o.isObject() {
		d.required(p, "principal", ra.Principal != "")
		d.required(p, "role", ra.Role != "")
	}
}

func (d *dec) virtualNetwork(p *path, vn *VirtualNetwork) {
	var o object
	for d.member(p, &o) {
		switch kp := p.field(o.key); o.key {
		case "name":
			vn.Name = d.name(&kp)
		case "location":
			vn.Location = d.checked(&kp, nameProblem)
		case "addressSpace":
			vn.AddressSpace = d.strList(&kp, cidrProblem)
			if len(vn.AddressSpace) == 0 {
				d.problem(&kp, "expected at least one address prefix")
			}
		case "subnets":
			it := d.items(&kp)
			for it.next() {
				ip := it.path()
				d.subnet(&ip, grow(&vn.Subnets))
			}
		case "gateways":
			it := d.items(&kp)
			for it.next() {
				ip := it.path()
				d.gateway(&ip, grow(&vn.Gateways))
			}
		case "peerings":
			it := d.items(&kp)
			for it.next() {
				ip := it.path()
				d.peering(&ip, grow(&vn.Peerings))
			}
		case "applicationGateways":
			it := d.items(&kp)
			for it.next() {
				ip := it.path()
				d.appGateway(&ip, grow(&vn.ApplicationGateways))
			}
		case "platformServices":
			it := d.items(&kp)
			for it.next() {
				ip := it.path()
				vn.PlatformServices = append(vn.PlatformServices, d.enum(&ip, false,
					PlatformAppServiceEnvironment, PlatformHDInsight, PlatformDynamicsLifecycle,
					PlatformAzureADDomainServices, PlatformApiManagement))
			}
		case "roleAssignments":
			it := d.items(&kp)
			for it.next() {
				ip := it.path()
				d.roleAssignment(&ip, grow(&vn.RoleAssignments))
			}
		default:
			d.unknown(p, o.key)
		}
	}
	d.require(p, &o, "name", "addressSpace")
}

func (d *dec) subnet(p *path, sn *Subnet) {
	var o object
	for d.member(p, &o) {
		switch kp := p.field(o.key); o.key {
		case "name":
			sn.Name = d.name(&kp)
		case "addressPrefix":
			sn.AddressPrefix = d.nonEmpty(&kp, cidrProblem, "address prefix must not be empty")
		case "networkSecurityGroup":
			sn.NetworkSecurityGroup = d.ref(&kp)
		case "routeTable":
			sn.RouteTable = d.ref(&kp)
		default:
			d.unknown(p, o.key)
		}
	}
	d.require(p, &o, "name", "addressPrefix")
}

func (d *dec) gateway(p *path, g *Gateway) {
	var o object
	for d.member(p, &o) {
		switch kp := p.field(o.key); o.key {
		case "kind":
			g.Kind = d.enum(&kp, false, GatewayVpn, GatewayExpressRoute)
		case "sku":
			g.SKU, _ = d.str(&kp)
		case "circuit":
			g.Circuit = d.ref(&kp)
		case "connections":
			it := d.items(&kp)
			for it.next() {
				ip := it.path()
				d.gatewayConnection(&ip, grow(&g.Connections))
			}
		default:
			d.unknown(p, o.key)
		}
	}
	d.require(p, &o, "kind")
}

func (d *dec) gatewayConnection(p *path, gc *GatewayConnection) {
	var o object
	for d.member(p, &o) {
		switch kp := p.field(o.key); o.key {
		case "localNetworkSite":
			gc.LocalNetworkSite = d.name(&kp)
		case "addressSpace":
			// Free text: the rule local-site-address-space reports what
			// Resource Manager would refuse, so a report can still be drawn.
			gc.AddressSpace = d.strList(&kp, nil)
		case "state":
			gc.State = d.enum(&kp, true, ConnectionConnected, "Connecting", "NotConnected", "Unknown")
		default:
			d.unknown(p, o.key)
		}
	}
	d.require(p, &o, "localNetworkSite")
}

// peering accepts the remote VNet's name alone or {name, remoteVirtualNetwork}.
func (d *dec) peering(p *path, pr *Peering) {
	if d.lx.peek() == kindString {
		s := d.name(p)
		*pr = Peering{Name: s, RemoteVirtualNetwork: s}
		return
	}
	var o object
	for d.member(p, &o) {
		switch kp := p.field(o.key); o.key {
		case "name":
			pr.Name = d.name(&kp)
		case "remoteVirtualNetwork":
			pr.RemoteVirtualNetwork = d.ref(&kp)
		default:
			d.unknown(p, o.key)
		}
	}
	d.require(p, &o, "name")
}

// appGateway accepts a name alone or {name}.
func (d *dec) appGateway(p *path, ag *ApplicationGateway) {
	if d.lx.peek() == kindString {
		ag.Name = d.name(p)
		return
	}
	var o object
	for d.member(p, &o) {
		switch kp := p.field(o.key); o.key {
		case "name":
			ag.Name = d.name(&kp)
		default:
			d.unknown(p, o.key)
		}
	}
	d.require(p, &o, "name")
}

func (d *dec) cloudService(p *path, cs *CloudService) {
	var o object
	for d.member(p, &o) {
		switch kp := p.field(o.key); o.key {
		case "name":
			cs.Name = d.name(&kp)
		case "location":
			cs.Location = d.checked(&kp, nameProblem)
		case "reservedIP":
			cs.ReservedIP = d.ref(&kp)
		case "affinityGroup":
			cs.AffinityGroup = d.checked(&kp, nameProblem)
		case "deployment":
			d.deployment(&kp, &cs.Deployment)
		case "roleAssignments":
			it := d.items(&kp)
			for it.next() {
				ip := it.path()
				d.roleAssignment(&ip, grow(&cs.RoleAssignments))
			}
		default:
			d.unknown(p, o.key)
		}
	}
	d.require(p, &o, "name", "deployment")
}

func (d *dec) deployment(p *path, dp *Deployment) {
	var o object
	for d.member(p, &o) {
		switch kp := p.field(o.key); o.key {
		case "name":
			dp.Name = d.name(&kp)
		case "slot":
			dp.Slot = d.enum(&kp, true, "Production", "Staging")
		case "virtualNetwork":
			dp.VirtualNetwork = d.ref(&kp)
		case "destination":
			if !d.null() {
				dp.Destination = d.destination(&kp)
			}
		case "roles":
			it := d.items(&kp)
			for it.next() {
				ip := it.path()
				d.role(&ip, grow(&dp.Roles))
			}
		default:
			d.unknown(p, o.key)
		}
	}
	d.require(p, &o, "name", "roles")
}

func (d *dec) destination(p *path) *Destination {
	dst := &Destination{}
	var o object
	for d.member(p, &o) {
		switch kp := p.field(o.key); o.key {
		case "resourceGroup":
			dst.ResourceGroup = d.name(&kp)
		case "virtualNetwork":
			dst.VirtualNetwork = d.name(&kp)
		case "subnet":
			dst.Subnet = d.name(&kp)
		default:
			d.unknown(p, o.key)
		}
	}
	d.require(p, &o, "resourceGroup", "virtualNetwork", "subnet")
	return dst
}

func (d *dec) role(p *path, r *Role) {
	// vmOnly remembers the VM-only fields present, in document order: kind
	// may come after them in the object.
	var vmOnly [12]string
	nVMOnly := 0
	var o object
	for d.member(p, &o) {
		switch o.key {
		case "privateIP", "availabilitySet", "networkSecurityGroup", "endpoints", "extensions",
			"osDisk", "dataDisks", "bootDiagnostics", "alertRules", "autoscale":
			if nVMOnly < len(vmOnly) {
				vmOnly[nVMOnly] = o.key
				nVMOnly++
			}
		}
		switch kp := p.field(o.key); o.key {
		case "name":
			r.Name = d.name(&kp)
		case "kind":
			r.Kind = d.enum(&kp, false, RoleVirtualMachine, RoleWebRole, RoleWorkerRole)
		case "size":
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
			it := d.items(&kp)
			for it.next() {
				ip := it.path()
				d.endpoint(&ip, grow(&r.Endpoints))
			}
		case "extensions":
			it := d.items(&kp)
			for it.next() {
				ip := it.path()
				d.extension(&ip, grow(&r.Extensions))
			}
		case "osDisk":
			r.OSDisk = d.ref(&kp)
		case "dataDisks":
			it := d.items(&kp)
			for it.next() {
				ip := it.path()
				d.dataDisk(&ip, grow(&r.DataDisks))
			}
		case "bootDiagnostics":
			if !d.null() {
				r.BootDiagnostics = d.bootDiagnostics(&kp)
			}
		case "alertRules":
			r.AlertRules = int(d.int(&kp, 0, maxInt))
		case "autoscale":
			r.Autoscale = d.bool(&kp)
		case "agentStatus":
			r.AgentStatus = d.enum(&kp, true, AgentReady, AgentNotReady)
		default:
			d.unknown(p, o.key)
		}
	}
	d.require(p, &o, "name", "kind")
	switch r.Kind {
	case RoleVirtualMachine:
		if !o.has("size") {
			kp := p.field("size")
			d.problem(&kp, "required for a VirtualMachine role, missing")
		}
		if r.OSDisk == "" { // absent or ""
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
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (i == 0 || c < '0' || c > '9') {
			return fmt.Sprintf("expected an instance state such as Running, Stopped, StoppedDeallocated or Provisioning, got %q", s)
		}
	}
	return ""
}

func (d *dec) endpoint(p *path, ep *Endpoint) {
	var o object
	for d.member(p, &o) {
		switch kp := p.field(o.key); o.key {
		case "name":
			ep.Name = d.name(&kp)
		case "protocol":
			ep.Protocol = d.enum(&kp, true, "tcp", "udp", "TCP", "UDP")
		case "publicPort":
			ep.PublicPort = int(d.int(&kp, 0, 65535))
		case "localPort":
			ep.LocalPort = int(d.int(&kp, 0, 65535))
		case "acl":
			it := d.items(&kp)
			for it.next() {
				ip := it.path()
				d.acl(&ip, grow(&ep.ACL))
			}
		default:
			d.unknown(p, o.key)
		}
	}
	d.require(p, &o, "name")
}

func (d *dec) acl(p *path, a *ACL) {
	var o object
	for d.member(p, &o) {
		switch kp := p.field(o.key); o.key {
		case "order":
			a.Order = int(d.int(&kp, 0, maxInt))
		case "action":
			a.Action = d.enum(&kp, true, "permit", "deny")
		case "remoteSubnet":
			a.RemoteSubnet = d.checked(&kp, cidrProblem)
		default:
			d.unknown(p, o.key)
		}
	}
}

func (d *dec) extension(p *path, x *Extension) {
	var o object
	for d.member(p, &o) {
		switch kp := p.field(o.key); o.key {
		case "publisher":
			x.Publisher = d.checked(&kp, nameProblem)
		case "name":
			x.Name = d.name(&kp)
		case "version":
			x.Version, _ = d.str(&kp)
		case "format":
			x.Format = d.enum(&kp, true, "xml", "json")
		case "status":
			x.Status, _ = d.str(&kp)
		default:
			d.unknown(p, o.key)
		}
	}
	d.require(p, &o, "name")
}

func (d *dec) dataDisk(p *path, dd *DataDisk) {
	var o object
	for d.member(p, &o) {
		switch kp := p.field(o.key); o.key {
		case "disk":
			dd.Disk = d.ref(&kp)
		case "lun":
			dd.LUN = int(d.int(&kp, 0, 63))
		default:
			d.unknown(p, o.key)
		}
	}
	d.require(p, &o, "disk")
}

func (d *dec) bootDiagnostics(p *path) *BootDiagnostics {
	bd := &BootDiagnostics{}
	var o object
	for d.member(p, &o) {
		switch kp := p.field(o.key); o.key {
		case "enabled":
			bd.Enabled = d.bool(&kp)
		case "storageAccount":
			bd.StorageAccount = d.ref(&kp)
		default:
			d.unknown(p, o.key)
		}
	}
	return bd
}

func (d *dec) nsg(p *path, g *NetworkSecurityGroup) {
	var o object
	for d.member(p, &o) {
		switch kp := p.field(o.key); o.key {
		case "name":
			g.Name = d.name(&kp)
		case "location":
			g.Location = d.checked(&kp, nameProblem)
		case "rules":
			it := d.items(&kp)
			for it.next() {
				ip := it.path()
				d.nsgRule(&ip, grow(&g.Rules))
			}
		default:
			d.unknown(p, o.key)
		}
	}
	d.require(p, &o, "name")
}

func (d *dec) nsgRule(p *path, r *NSGRule) {
	var o object
	for d.member(p, &o) {
		switch kp := p.field(o.key); o.key {
		case "name":
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
			d.unknown(p, o.key)
		}
	}
	d.require(p, &o, "name")
}

func (d *dec) routeTable(p *path, rt *RouteTable) {
	var o object
	for d.member(p, &o) {
		switch kp := p.field(o.key); o.key {
		case "name":
			rt.Name = d.name(&kp)
		case "location":
			rt.Location = d.checked(&kp, nameProblem)
		case "routes":
			it := d.items(&kp)
			for it.next() {
				ip := it.path()
				d.route(&ip, grow(&rt.Routes))
			}
		default:
			d.unknown(p, o.key)
		}
	}
	d.require(p, &o, "name")
}

func (d *dec) route(p *path, r *Route) {
	var o object
	for d.member(p, &o) {
		switch kp := p.field(o.key); o.key {
		case "name":
			r.Name = d.name(&kp)
		case "addressPrefix":
			r.AddressPrefix = d.checked(&kp, cidrProblem)
		case "nextHopType":
			r.NextHopType = d.enum(&kp, true, "VirtualAppliance", "VPNGateway", "Internet", "VNETLocal", "Null")
		case "nextHopIpAddress":
			r.NextHopIPAddress = d.checked(&kp, ipv4Problem)
		default:
			d.unknown(p, o.key)
		}
	}
	d.require(p, &o, "name")
}

func (d *dec) reservedIP(p *path, rip *ReservedIP) {
	var o object
	for d.member(p, &o) {
		switch kp := p.field(o.key); o.key {
		case "name":
			rip.Name = d.name(&kp)
		case "location":
			rip.Location = d.checked(&kp, nameProblem)
		case "address":
			rip.Address = d.checked(&kp, ipv4Problem)
		default:
			d.unknown(p, o.key)
		}
	}
	d.require(p, &o, "name")
}

func (d *dec) circuit(p *path, c *ExpressRouteCircuit) {
	var o object
	for d.member(p, &o) {
		switch kp := p.field(o.key); o.key {
		case "name":
			c.Name = d.name(&kp)
		case "model":
			c.Model = d.enum(&kp, true, "Classic", "ResourceManager")
		case "subscriptionId":
			c.SubscriptionID = d.checked(&kp, guidProblem)
		default:
			d.unknown(p, o.key)
		}
	}
	d.require(p, &o, "name")
}
