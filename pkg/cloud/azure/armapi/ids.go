package armapi

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Resource types of the ids the disk step builds and reads.
const (
	TypeVirtualMachines  = "Microsoft.Compute/virtualMachines"
	TypeDisks            = "Microsoft.Compute/disks"
	TypeImages           = "Microsoft.Compute/images"
	TypeAvailabilitySets = "Microsoft.Compute/availabilitySets"
	TypeNetworkIfaces    = "Microsoft.Network/networkInterfaces"
	TypeStorageAccounts  = "Microsoft.Storage/storageAccounts"
)

// ErrBadID is an id that is not /subscriptions/{sub}/resourceGroups/{rg}/
// providers/{namespace}/{type}/{name}.
var ErrBadID = errors.New("not a Resource Manager resource id")

// ID is a parsed top-level resource id.
type ID struct {
	Subscription  string
	ResourceGroup string
	// Type is "{namespace}/{type}", e.g. Microsoft.Compute/disks.
	Type string
	Name string
}

// String is the id in its canonical form.
func (id ID) String() string {
	return "/subscriptions/" + id.Subscription + "/resourceGroups/" + id.ResourceGroup +
		"/providers/" + id.Type + "/" + id.Name
}

// ResourceID builds the id of a resource of type typ.
func ResourceID(sub, rg, typ, name string) string {
	return ID{Subscription: sub, ResourceGroup: rg, Type: typ, Name: name}.String()
}

// ParseID parses a top-level resource id. Segment names are matched
// case-insensitively, as Resource Manager does.
func ParseID(s string) (ID, error) {
	p := strings.Split(strings.Trim(s, "/"), "/")
	if len(p) != 8 || !strings.EqualFold(p[0], "subscriptions") || !strings.EqualFold(p[2], "resourceGroups") ||
		!strings.EqualFold(p[4], "providers") {
		return ID{}, fmt.Errorf("%q: %w", s, ErrBadID)
	}
	for _, v := range p {
		if v == "" {
			return ID{}, fmt.Errorf("%q: %w", s, ErrBadID)
		}
	}
	return ID{Subscription: p[1], ResourceGroup: p[3], Type: p[5] + "/" + p[6], Name: p[7]}, nil
}

// NameOf is the last segment of an id: the name the disk step keeps for an
// availability set, NIC or managed disk in the VM's resource group.
func NameOf(id string) string {
	id = strings.TrimRight(id, "/")
	return id[strings.LastIndexByte(id, '/')+1:]
}

// Location is a region as Resource Manager spells it in paths: "West US"
// becomes "westus".
func Location(l string) string {
	return strings.ToLower(strings.ReplaceAll(l, " ", ""))
}

// BlobRef is a page blob address: storage account, container and blob.
type BlobRef struct {
	Account   string
	Container string
	Blob      string
}

// ParseBlobURL splits https://{account}.blob.{suffix}/{container}/{blob...}
// (a classic VHD's URI). A query string, if any, is dropped.
func ParseBlobURL(s string) (BlobRef, error) {
	u, err := url.Parse(s)
	if err != nil {
		return BlobRef{}, fmt.Errorf("blob url: %w", err)
	}
	host := u.Hostname()
	acct, _, ok := strings.Cut(host, ".")
	path := strings.TrimPrefix(u.Path, "/")
	cont, blob, ok2 := strings.Cut(path, "/")
	if !ok || acct == "" || !ok2 || cont == "" || blob == "" {
		return BlobRef{}, fmt.Errorf("blob url %s://%s%s: want https://ACCOUNT.blob.SUFFIX/CONTAINER/BLOB", u.Scheme, u.Host, u.Path)
	}
	return BlobRef{Account: strings.ToLower(acct), Container: cont, Blob: blob}, nil
}
