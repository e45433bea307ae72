//go:build !amd64 || purego

package xts

func hasAsm() bool { return false }

func (c *Cipher) asmBlocks(dst, src []byte, tweak *[16]byte, decrypt bool) {
	panic("xts: no assembly on this platform")
}
