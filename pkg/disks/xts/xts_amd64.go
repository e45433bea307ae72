//go:build !purego

package xts

import "golang.org/x/sys/cpu"

// hasAsm reports whether the AES-NI + AVX assembly can run: AVX because the
// code uses VEX encodings, whose memory operands need no alignment.
func hasAsm() bool { return cpu.X86.HasAES && cpu.X86.HasAVX }

//go:noescape
func xtsEncAVX(rounds int, rk *byte, dst, src *byte, nblocks int, tweak *[16]byte)

//go:noescape
func xtsDecAVX(rounds int, rk *byte, dst, src *byte, nblocks int, tweak *[16]byte)

// asmBlocks runs the assembly over len(src)/16 blocks starting at tweak.
func (c *Cipher) asmBlocks(dst, src []byte, tweak *[16]byte, decrypt bool) {
	n := len(src) / blockSize
	if n == 0 {
		return
	}
	if decrypt {
		xtsDecAVX(c.rounds, &c.dec[0], &dst[0], &src[0], n, tweak)
		return
	}
	xtsEncAVX(c.rounds, &c.enc[0], &dst[0], &src[0], n, tweak)
}
