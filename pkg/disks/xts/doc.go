// Package xts is the XTS-AES sector cipher of the staging image: the same
// function as golang.org/x/crypto/xts (IEEE 1619, tweak = sector number as a
// little-endian 128-bit integer, dm-crypt's aes-xts-plain64), several times
// faster.
//
// x/crypto/xts makes one cipher.Block call per 16-byte block and doubles the
// tweak byte by byte. On amd64 with AES-NI and AVX this package runs eight
// blocks through the AES rounds at once in assembly (xts_amd64.s) with the
// tweak doubled in XMM registers, so the AES units stay busy instead of
// waiting on each block's latency. Elsewhere it falls back to portable Go
// built on crypto/aes with 64-bit tweak arithmetic.
//
// The assembly needs expanded round keys, which the standard library does not
// expose, so keys.go expands them; tests check every path against crypto/aes,
// x/crypto/xts and the IEEE 1619 vectors.
package xts
