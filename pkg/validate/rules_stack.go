package validate

import (
	"fmt"
	"strings"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Rules that apply only when the target is Azure Stack Hub.

// stackMaxDiskGiB is the largest Azure Stack Hub managed disk (M30).
const stackMaxDiskGiB = 1024

func (c *checker) toStackHub() bool {
	return strings.EqualFold(c.inv.Target.Cloud, inventory.CloudAzureStackHub)
}

func isPremium(sa *inventory.StorageAccount) bool {
	return strings.HasPrefix(strings.ToLower(sa.AccountType), "premium")
}

func checkStackDiskTooLarge(c *checker) {
	if !c.toStackHub() {
		return
	}
	c.eachDisk(func(sa *inventory.StorageAccount, d *inventory.Disk) {
		if d.SizeGiB > stackMaxDiskGiB {
			c.add(inventory.DiskID(sa.Name, d.Name), fmt.Sprintf("%s is %d GiB; Azure Stack Hub managed disks are at most %d GiB (M30).",
				diskName(sa, d), d.SizeGiB, stackMaxDiskGiB))
		}
	})
}

func checkStackPremiumNoGuarantee(c *checker) {
	if !c.toStackHub() {
		return
	}
	c.eachDisk(func(sa *inventory.StorageAccount, d *inventory.Disk) {
		if isPremium(sa) {
			c.add(inventory.DiskID(sa.Name, d.Name), fmt.Sprintf("%s (%s) becomes a Premium managed disk on Azure Stack Hub, capped at 2,300 IOPS and 145 MB/s with no performance guarantee.",
				diskName(sa, d), sa.AccountType))
		}
	})
}

func checkStackNoDisasterRecovery(c *checker) {
	if !c.toStackHub() {
		return
	}
	c.eachExtension(func(cs *inventory.CloudService, r *inventory.Role, e inventory.Extension) {
		what := ""
		switch {
		case isBackupExtension(e):
			what = "Backup"
		case isSiteRecoveryExtension(e):
			what = "Site Recovery"
		default:
			return
		}
		c.add(vmID(cs, r), fmt.Sprintf("%s contains Extension %s (%s); Azure Stack Hub offers no %s for managed disks.",
			vmName(cs, r), e.Name, what, what))
	})
}
