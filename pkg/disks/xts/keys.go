package xts

import "encoding/binary"

// The AES key schedule (FIPS-197 section 5.2) for the assembly path. It runs
// once per Cipher, so it computes the S-box entries it needs from the field
// arithmetic instead of carrying a 256-byte table.

// gmul multiplies in GF(2^8) modulo x^8+x^4+x^3+x+1.
func gmul(a, b byte) byte {
	var p byte
	for b != 0 {
		if b&1 != 0 {
			p ^= a
		}
		hi := a & 0x80
		a <<= 1
		if hi != 0 {
			a ^= 0x1b
		}
		b >>= 1
	}
	return p
}

// sbox is the AES S-box: the multiplicative inverse (0 for 0) followed by the
// affine map.
func sbox(b byte) byte {
	// b^254 = b^-1: square-and-multiply over the bits of 254.
	inv := byte(1)
	base := b
	for e := 254; e > 0; e >>= 1 {
		if e&1 != 0 {
			inv = gmul(inv, base)
		}
		base = gmul(base, base)
	}
	rotl := func(x byte, n uint) byte { return x<<n | x>>(8-n) }
	return inv ^ rotl(inv, 1) ^ rotl(inv, 2) ^ rotl(inv, 3) ^ rotl(inv, 4) ^ 0x63
}

func subWord(w uint32) uint32 {
	return uint32(sbox(byte(w>>24)))<<24 | uint32(sbox(byte(w>>16)))<<16 |
		uint32(sbox(byte(w>>8)))<<8 | uint32(sbox(byte(w)))
}

// expandKey returns the encryption round keys of an AES-128 or AES-256 key
// as (rounds+1) 16-byte round keys in the byte order AESENC expects, and the
// round count.
func expandKey(key []byte) (enc []byte, rounds int) {
	nk := len(key) / 4
	rounds = nk + 6
	w := make([]uint32, 4*(rounds+1))
	for i := 0; i < nk; i++ {
		w[i] = binary.BigEndian.Uint32(key[4*i:])
	}
	rcon := byte(1)
	for i := nk; i < len(w); i++ {
		t := w[i-1]
		switch {
		case i%nk == 0:
			t = subWord(t<<8|t>>24) ^ uint32(rcon)<<24
			rcon = gmul(rcon, 2)
		case nk > 6 && i%nk == 4:
			t = subWord(t)
		}
		w[i] = w[i-nk] ^ t
	}
	enc = make([]byte, 4*len(w))
	for i, v := range w {
		binary.BigEndian.PutUint32(enc[4*i:], v)
	}
	return enc, rounds
}

// decryptKeys turns encryption round keys into those of the equivalent
// inverse cipher (FIPS-197 section 5.3.5) that AESDEC expects: reversed, with
// InvMixColumns applied to every round key but the first and the last.
func decryptKeys(enc []byte, rounds int) []byte {
	dec := make([]byte, len(enc))
	for r := 0; r <= rounds; r++ {
		src := enc[16*(rounds-r) : 16*(rounds-r)+16]
		dst := dec[16*r : 16*r+16]
		if r == 0 || r == rounds {
			copy(dst, src)
			continue
		}
		for c := 0; c < 16; c += 4 {
			a0, a1, a2, a3 := src[c], src[c+1], src[c+2], src[c+3]
			dst[c] = gmul(a0, 14) ^ gmul(a1, 11) ^ gmul(a2, 13) ^ gmul(a3, 9)
			dst[c+1] = gmul(a0, 9) ^ gmul(a1, 14) ^ gmul(a2, 11) ^ gmul(a3, 13)
			dst[c+2] = gmul(a0, 13) ^ gmul(a1, 9) ^ gmul(a2, 14) ^ gmul(a3, 11)
			dst[c+3] = gmul(a0, 11) ^ gmul(a1, 13) ^ gmul(a2, 9) ^ gmul(a3, 14)
		}
	}
	return dec
}
