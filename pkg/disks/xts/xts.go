package xts

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
)

// SectorSize is the XTS data unit: one 512-byte disk sector, whose number is
// the tweak.
const SectorSize = 512

const blockSize = 16

// ErrKeySize is returned by New for a key that is neither 32 nor 64 bytes.
var ErrKeySize = errors.New("xts: key must be 32 bytes (AES-128) or 64 bytes (AES-256)")

// Cipher is XTS-AES keyed with a data key and a tweak key. It holds no
// mutable state and is safe for concurrent use.
type Cipher struct {
	// tweakBlock encrypts sector numbers with the tweak key; one call per
	// sector, so crypto/aes's own AES-NI path is fast enough.
	tweakBlock cipher.Block
	// dataBlock encrypts data in the portable path.
	dataBlock cipher.Block
	// rounds, enc and dec are the data key's schedule for the assembly.
	rounds int
	enc    []byte
	dec    []byte
	asm    bool
	// tweaks holds *[blockSize]byte scratch blocks. The tweak goes through
	// cipher.Block, an interface, so a tweak on the stack would escape and
	// cost one heap allocation per sector; a pooled one costs none once
	// warm. A Pool rather than a field because the Cipher is shared by
	// goroutines.
	tweaks sync.Pool
}

// New returns XTS-AES-128 for a 32-byte key or XTS-AES-256 for a 64-byte
// key: the first half is the data key, the second the tweak key, as in
// x/crypto/xts and dm-crypt.
func New(key []byte) (*Cipher, error) {
	return newCipher(key, hasAsm())
}

func newCipher(key []byte, asm bool) (*Cipher, error) {
	if len(key) != 32 && len(key) != 64 {
		return nil, ErrKeySize
	}
	half := len(key) / 2
	c := &Cipher{asm: asm}
	var err error
	if c.dataBlock, err = aes.NewCipher(key[:half]); err != nil {
		return nil, fmt.Errorf("xts: data key: %w", err)
	}
	if c.tweakBlock, err = aes.NewCipher(key[half:]); err != nil {
		return nil, fmt.Errorf("xts: tweak key: %w", err)
	}
	if asm {
		c.enc, c.rounds = expandKey(key[:half])
		c.dec = decryptKeys(c.enc, c.rounds)
	}
	return c, nil
}

// EncryptSectors encrypts src, a run of whole 512-byte sectors of which the
// first is sector firstSector, into dst. dst and src may be the same slice
// but must not otherwise overlap. It panics if len(src) is not a multiple of
// SectorSize or dst is shorter than src (a programming error, as in
// x/crypto/xts).
func (c *Cipher) EncryptSectors(dst, src []byte, firstSector uint64) {
	c.sectors(dst, src, firstSector, false)
}

// DecryptSectors is the inverse of EncryptSectors.
func (c *Cipher) DecryptSectors(dst, src []byte, firstSector uint64) {
	c.sectors(dst, src, firstSector, true)
}

func (c *Cipher) sectors(dst, src []byte, sector uint64, decrypt bool) {
	if len(src)%SectorSize != 0 {
		panic("xts: input is not a whole number of sectors")
	}
	if len(dst) < len(src) {
		panic("xts: output smaller than input")
	}
	tweak := c.tweak()
	defer c.tweaks.Put(tweak)
	for off := 0; off < len(src); off += SectorSize {
		c.unitWith(tweak, dst[off:off+SectorSize], src[off:off+SectorSize], sector, decrypt)
		sector++
	}
}

func (c *Cipher) tweak() *[blockSize]byte {
	if t, ok := c.tweaks.Get().(*[blockSize]byte); ok {
		return t
	}
	return new([blockSize]byte)
}

// unit en- or decrypts one data unit of any whole number of blocks with the
// given sequence number. Sectors are 512-byte units; the IEEE 1619 vectors
// also use 32-byte ones.
func (c *Cipher) unit(dst, src []byte, seq uint64, decrypt bool) {
	tweak := c.tweak()
	defer c.tweaks.Put(tweak)
	c.unitWith(tweak, dst, src, seq, decrypt)
}

// unitWith is unit with the caller's scratch tweak block.
func (c *Cipher) unitWith(tweak *[blockSize]byte, dst, src []byte, seq uint64, decrypt bool) {
	*tweak = [blockSize]byte{}
	binary.LittleEndian.PutUint64(tweak[:8], seq)
	c.tweakBlock.Encrypt(tweak[:], tweak[:])
	if c.asm {
		c.asmBlocks(dst, src, tweak, decrypt)
		return
	}
	c.goBlocks(dst, src, tweak, decrypt)
}

// goBlocks is the portable path: crypto/aes per block, the xors and the
// tweak doubling on 64-bit words instead of bytes.
func (c *Cipher) goBlocks(dst, src []byte, tweak *[16]byte, decrypt bool) {
	lo := binary.LittleEndian.Uint64(tweak[:8])
	hi := binary.LittleEndian.Uint64(tweak[8:])
	b := c.tweak()
	defer c.tweaks.Put(b)
	for i := 0; i+blockSize <= len(src); i += blockSize {
		binary.LittleEndian.PutUint64(b[:8], binary.LittleEndian.Uint64(src[i:])^lo)
		binary.LittleEndian.PutUint64(b[8:], binary.LittleEndian.Uint64(src[i+8:])^hi)
		if decrypt {
			c.dataBlock.Decrypt(b[:], b[:])
		} else {
			c.dataBlock.Encrypt(b[:], b[:])
		}
		binary.LittleEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(b[:8])^lo)
		binary.LittleEndian.PutUint64(dst[i+8:], binary.LittleEndian.Uint64(b[8:])^hi)
		// Multiply by x in GF(2^128), little-endian: shift left one bit,
		// folding the bit shifted out of the top back in as x^7+x^2+x+1.
		carry := hi >> 63
		hi = hi<<1 | lo>>63
		lo = lo<<1 ^ carry*0x87
	}
	binary.LittleEndian.PutUint64(tweak[:8], lo)
	binary.LittleEndian.PutUint64(tweak[8:], hi)
}

// parallelMin is the smallest piece worth a goroutine: below it the
// scheduling costs more than the cipher.
const parallelMin = 64 << 10

// EncryptSectorsParallel is EncryptSectors spread over GOMAXPROCS
// goroutines, for one large buffer. Callers that already run one buffer per
// core (the staging sink encrypts each chunk in the copier's own goroutine)
// should call EncryptSectors instead.
func (c *Cipher) EncryptSectorsParallel(dst, src []byte, firstSector uint64) {
	c.parallel(dst, src, firstSector, false)
}

// DecryptSectorsParallel is DecryptSectors spread over GOMAXPROCS
// goroutines.
func (c *Cipher) DecryptSectorsParallel(dst, src []byte, firstSector uint64) {
	c.parallel(dst, src, firstSector, true)
}

func (c *Cipher) parallel(dst, src []byte, sector uint64, decrypt bool) {
	if len(src)%SectorSize != 0 {
		panic("xts: input is not a whole number of sectors")
	}
	if len(dst) < len(src) {
		panic("xts: output smaller than input")
	}
	workers := runtime.GOMAXPROCS(0)
	if max := len(src) / parallelMin; max < workers {
		workers = max
	}
	if workers <= 1 {
		c.sectors(dst, src, sector, decrypt)
		return
	}
	nsec := len(src) / SectorSize
	per := (nsec + workers - 1) / workers
	var wg sync.WaitGroup
	for first := 0; first < nsec; first += per {
		last := min(first+per, nsec)
		s, e := first*SectorSize, last*SectorSize
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.sectors(dst[s:e], src[s:e], sector+uint64(first), decrypt)
		}()
	}
	wg.Wait()
}
