// Package vhd reads and writes Microsoft Virtual Hard Disk (VHD) images as
// described by the "Virtual Hard Disk Image Format Specification": fixed,
// dynamic and differencing disks, with every footer, header, BAT entry and
// parent identity checked before it is trusted. Open returns a disks.Source;
// CreateFixed returns a disks.Sink that writes a fixed VHD; CreateDynamic
// writes dynamic and differencing images (used for test fixtures).
package vhd
