package smapi

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Unit kinds, as cloud.Target.Kind spells them.
const (
	KindVNet         = "vnet"
	KindCloudService = "cloudservice"
	KindStorage      = "storage"
	KindNSG          = "nsg"
	KindRouteTable   = "routetable"
	KindReservedIP   = "reservedip"
)

// Migration operations, the values of comp=.
const (
	CompValidate = "validate"
	CompPrepare  = "prepare"
	CompCommit   = "commit"
	CompAbort    = "abort"
)

// ErrUnknownKind is a target kind with no Service Management resource.
var ErrUnknownKind = errors.New("unknown unit kind")

// Resource is a migratable resource as the URL addresses it.
type Resource struct {
	Kind       string
	Name       string
	Deployment string // for KindCloudService
}

// ResourcePath is the path (under the subscription) of the resource, below
// which its migration call lives. For every kind but VNet it is also the
// resource's own GET; a VNet site has none (its state is in the list).
// Names are escaped, never concatenated raw.
func ResourcePath(sub string, r Resource) (string, error) {
	e := url.PathEscape
	base := "/" + e(sub) + "/services/"
	switch r.Kind {
	case KindCloudService:
		if r.Deployment == "" {
			return "", fmt.Errorf("cloudservice/%s: no deployment name", r.Name)
		}
		return base + "hostedservices/" + e(r.Name) + "/deployments/" + e(r.Deployment), nil
	case KindVNet:
		return base + "networking/virtualnetwork/" + e(r.Name), nil
	case KindStorage:
		return base + "storageservices/" + e(r.Name), nil
	case KindNSG:
		return base + "networking/networksecuritygroups/" + e(r.Name), nil
	case KindRouteTable:
		return base + "networking/routetables/" + e(r.Name), nil
	case KindReservedIP:
		return base + "networking/reservedips/" + e(r.Name), nil
	}
	return "", fmt.Errorf("%s/%s: %w", r.Kind, r.Name, ErrUnknownKind)
}

// MigrationPath is the path of the resource's migration call; the caller
// adds ?comp=.
func MigrationPath(sub string, r Resource) (string, error) {
	p, err := ResourcePath(sub, r)
	if err != nil {
		return "", err
	}
	return p + "/migration", nil
}

// OperationPath is the path of an asynchronous operation's status.
func OperationPath(sub, id string) string {
	return "/" + url.PathEscape(sub) + "/operations/" + url.PathEscape(id)
}

// ParseMigrationPath is MigrationPath's inverse on an unescaped path
// (url.URL.Path): the subscription and the resource. ok is false for any
// other path.
func ParseMigrationPath(p string) (sub string, r Resource, ok bool) {
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	n := len(segs)
	if n < 5 || segs[n-1] != "migration" || segs[1] != "services" {
		return "", Resource{}, false
	}
	sub = segs[0]
	rest := segs[2 : n-1]
	switch {
	case len(rest) == 4 && rest[0] == "hostedservices" && rest[2] == "deployments":
		return sub, Resource{Kind: KindCloudService, Name: rest[1], Deployment: rest[3]}, true
	case len(rest) == 2 && rest[0] == "storageservices":
		return sub, Resource{Kind: KindStorage, Name: rest[1]}, true
	case len(rest) == 3 && rest[0] == "networking":
		if k, ok := networkingKinds[rest[1]]; ok {
			return sub, Resource{Kind: k, Name: rest[2]}, true
		}
	}
	return "", Resource{}, false
}

var networkingKinds = map[string]string{
	"virtualnetwork":        KindVNet,
	"networksecuritygroups": KindNSG,
	"routetables":           KindRouteTable,
	"reservedips":           KindReservedIP,
}
