//go:build unix

package disks

import (
	"os"
	"syscall"
)

// sameBlockDevice reports whether a and b are nodes of one block device
// (/dev/sdb and a node made elsewhere for it have different inodes).
func sameBlockDevice(a, b os.FileInfo) bool {
	isBlock := func(fi os.FileInfo) bool {
		return fi.Mode()&os.ModeDevice != 0 && fi.Mode()&os.ModeCharDevice == 0
	}
	if !isBlock(a) || !isBlock(b) {
		return false
	}
	sa, aok := a.Sys().(*syscall.Stat_t)
	sb, bok := b.Sys().(*syscall.Stat_t)
	return aok && bok && sa.Rdev == sb.Rdev
}
