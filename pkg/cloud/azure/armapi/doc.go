// Package armapi maps between the disk step's cloud types (cloud.VM,
// cloud.ManagedDisk, cloud.Image) and the Resource Manager models of
// armcompute, builds and parses Resource Manager ids, and models the
// virtual network list discovery reads classic VNets' peerings from
// (network.go). The azure driver
// uses it to read and write the real API; the emulator uses it to answer in
// the same shapes, so both ends agree by construction.
package armapi
