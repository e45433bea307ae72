package validate

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Rules about storage accounts, their registered disks and images, and the
// role assignments on classic resources.

// vhdFooter is the 512-byte footer a fixed VHD page blob carries after its
// logical bytes.
const vhdFooter = 512

// blobName returns the blob name of a VHD URI: the path after the container
// ("vhds/a/b.vhd" gives "a/b.vhd"), unescaped when it can be.
func blobName(vhdURI string) string {
	path := vhdURI
	if u, err := url.Parse(vhdURI); err == nil && u.Path != "" {
		path = u.Path
	}
	path = strings.TrimPrefix(path, "/")
	_, blob, ok := strings.Cut(path, "/")
	if !ok {
		return ""
	}
	return blob
}

// diskOwner returns the VM that attaches a disk, or nil.
func (c *checker) diskOwner(name string) *inventory.VMRef {
	if o, ok := c.ix.DiskOwner[inventory.Key(name)]; ok {
		return &o
	}
	return nil
}

// eachDisk calls fn for every registered disk.
func (c *checker) eachDisk(fn func(sa *inventory.StorageAccount, d *inventory.Disk)) {
	for i := range c.inv.StorageAccounts {
		sa := &c.inv.StorageAccounts[i]
		for j := range sa.Disks {
			fn(sa, &sa.Disks[j])
		}
	}
}

func diskName(sa *inventory.StorageAccount, d *inventory.Disk) string {
	return fmt.Sprintf("Disk %s in Storage account %s", d.Name, sa.Name)
}

func checkBlobNameSlash(c *checker) {
	c.eachDisk(func(sa *inventory.StorageAccount, d *inventory.Disk) {
		blob := blobName(d.VHDURI)
		if !strings.Contains(blob, "/") {
			return
		}
		id := inventory.DiskID(sa.Name, d.Name)
		if o := c.diskOwner(d.Name); o != nil {
			// The platform refuses the VM's deployment, so the VM's unit is
			// the one blocked, not the storage account's.
			c.addForUnit(id, vmID(o.CloudService, o.Role), fmt.Sprintf("%s contains Disk with MediaLink %s which has blob name %s that isn't supported in Azure Resource Manager.",
				vmName(o.CloudService, o.Role), d.VHDURI, blob))
			return
		}
		c.add(id, fmt.Sprintf("%s has MediaLink %s with blob name %s that isn't supported in Azure Resource Manager.",
			diskName(sa, d), d.VHDURI, blob))
	})
}

// checkDiskSizeMismatch compares, for every disk attached as a data disk,
// the page blob's physical size with what a well-formed fixed VHD of the
// registered size measures: sizeGiB*2^30 logical bytes plus the 512-byte
// footer. An absent blobSizeBytes (0) is not checked.
func checkDiskSizeMismatch(c *checker) {
	c.eachVM(func(cs *inventory.CloudService, r *inventory.Role) {
		for _, dd := range r.DataDisks {
			ref, ok := c.ix.Disks[inventory.Key(dd.Disk)]
			if !ok {
				continue
			}
			d := ref.Disk
			logical := d.SizeGiB << 30
			if d.BlobSizeBytes == 0 || d.BlobSizeBytes == logical+vhdFooter {
				continue
			}
			c.addForUnit(inventory.DiskID(ref.Account.Name, d.Name), vmID(cs, r), fmt.Sprintf("Deployment %s in HostedService %s contains a VM %s with Data Disk %s whose physical blob size %d bytes doesn't match the VM Data Disk logical size %d bytes (%d GiB plus the %d-byte VHD footer is %d). Migration will proceed without specifying a size for the data disk for the Azure Resource Manager VM.",
				cs.Deployment.Name, cs.Name, r.Name, d.Name, d.BlobSizeBytes, logical, d.SizeGiB, vhdFooter, logical+vhdFooter))
		}
	})
}

func checkUnassociatedDisk(c *checker) {
	c.eachDisk(func(sa *inventory.StorageAccount, d *inventory.Disk) {
		if c.diskOwner(d.Name) == nil {
			c.add(inventory.DiskID(sa.Name, d.Name), fmt.Sprintf("%s isn't attached to any VM; its registration isn't migrated as a disk.",
				diskName(sa, d)))
		}
	})
}

func checkClassicImage(c *checker) {
	for i := range c.inv.StorageAccounts {
		sa := &c.inv.StorageAccounts[i]
		for _, im := range sa.Images {
			c.add(inventory.ImageID(sa.Name, im.Name), fmt.Sprintf("VM image %s in Storage account %s is a classic image, which isn't migrated to Azure Resource Manager (its VHD %s moves with the account).",
				im.Name, sa.Name, im.VHDURI))
		}
	}
}

func checkRBACClassic(c *checker) {
	report := func(id, kind, name string, ras []inventory.RoleAssignment) {
		if len(ras) == 0 {
			return
		}
		var who []string
		for _, ra := range ras {
			who = append(who, ra.Role+" for "+ra.Principal)
		}
		c.add(id, fmt.Sprintf("%s %s has %d role assignments (%s) on its classic resource ID, which changes with the migration.",
			kind, name, len(ras), strings.Join(who, "; ")))
	}
	for i := range c.inv.StorageAccounts {
		sa := &c.inv.StorageAccounts[i]
		report(inventory.StorageID(sa.Name), "Storage account", sa.Name, sa.RoleAssignments)
	}
	for i := range c.inv.VirtualNetworks {
		vn := &c.inv.VirtualNetworks[i]
		report(inventory.VNetID(vn.Name), "Virtual Network", vn.Name, vn.RoleAssignments)
	}
	for i := range c.inv.CloudServices {
		cs := &c.inv.CloudServices[i]
		report(inventory.CloudServiceID(cs.Name), "HostedService", cs.Name, cs.RoleAssignments)
	}
}
