// Package disks moves virtual disk data: sources and sinks (local VHD, raw
// image, page blob, staging image), and the sparse, rate-capped, resumable,
// pipelined copier between them. The VHD format lives in disks/vhd, the XTS
// sector cipher in disks/xts and the encrypted staging format in
// disks/staging.
//
// The copier works in independent 4 MiB chunks: each worker reads a chunk's
// allocated ranges once into one of Workers+2 buffers allocated at the
// start, finds the non-zero sector runs while the data is in cache, hashes
// the chunk (a leaf of the HashTree content hash) and hands it to the sink,
// which may encrypt it in place. Holes are never read, cleared or hashed.
// Its checkpoint is an append-only log of finished chunks (checkpoint.go),
// so the cost of a copy follows the data, not the disk size, and memory
// follows the number of chunks in flight.
package disks
