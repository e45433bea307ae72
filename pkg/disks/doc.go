// Package disks moves virtual disk data: sources and sinks (local VHD, raw
// image, page blob, staging image), and the sparse, rate-capped, resumable,
// pipelined copier between them. The VHD format lives in disks/vhd, the XTS
// sector cipher in disks/xts and the encrypted staging format in
// disks/staging.
package disks
