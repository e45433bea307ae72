package staging

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"github.com/migrate-tool/migrate/pkg/disks/xts"
)

// keys is an image's unwrapped key material: never serialized, never
// formatted.
type keys struct {
	xts *xts.Cipher
	// macKey is version 1's HMAC key; gmac version 2's AES-256-GCM keyed
	// with its MAC key (used with no plaintext: GMAC).
	macKey []byte
	gmac   cipher.AEAD
}

// kekSum is the hex SHA-256 of the key-encryption key.
func kekSum(kek []byte) string {
	s := sha256.Sum256(kek)
	return hex.EncodeToString(s[:])
}

func checkKEK(kek []byte) error {
	if len(kek) != KEKSize {
		// The length only: the bytes stay out of the message.
		return fmt.Errorf("staging: key-encryption key is %d bytes, want %d", len(kek), KEKSize)
	}
	return nil
}

func kekAEAD(kek []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(kek)
	if err != nil {
		return nil, fmt.Errorf("staging: key-encryption key: %w", err)
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return nil, fmt.Errorf("staging: key-encryption key: %w", err)
	}
	return g, nil
}

// newKey draws a data key for cipherName and wraps it under kek.
func newKey(kek []byte, cipherName, format string) (KeyInfo, *keys, error) {
	n := keyLen(cipherName)
	if n == 0 {
		return KeyInfo{}, nil, fmt.Errorf("staging: cipher %q, want %q or %q", cipherName, CipherXTS128, CipherXTS256)
	}
	dataKey := make([]byte, n)
	defer clear(dataKey)
	nonce := make([]byte, nonceSize)
	if _, err := rand.Read(dataKey); err != nil {
		return KeyInfo{}, nil, fmt.Errorf("staging: draw data key: %w", err)
	}
	if _, err := rand.Read(nonce); err != nil {
		return KeyInfo{}, nil, fmt.Errorf("staging: draw nonce: %w", err)
	}
	g, err := kekAEAD(kek)
	if err != nil {
		return KeyInfo{}, nil, err
	}
	info := KeyInfo{
		Wrap:      WrapA256GCM,
		KEKSHA256: kekSum(kek),
		Nonce:     base64.StdEncoding.EncodeToString(nonce),
		Wrapped:   base64.StdEncoding.EncodeToString(g.Seal(nil, nonce, dataKey, nil)),
	}
	k, err := deriveKeys(dataKey, format)
	if err != nil {
		return KeyInfo{}, nil, err
	}
	return info, k, nil
}

// openKey checks that kek is the image's key and unwraps the data key.
// Either failure is ErrWrongKey.
func openKey(kek []byte, cipherName, format string, info KeyInfo) (*keys, error) {
	if subtle.ConstantTimeCompare([]byte(kekSum(kek)), []byte(info.KEKSHA256)) != 1 {
		return nil, ErrWrongKey
	}
	nonce, err := decodeB64(info.Nonce)
	if err != nil || len(nonce) != nonceSize {
		return nil, formatErr("key.nonce is not %d bytes of standard base64", nonceSize)
	}
	wrapped, err := decodeB64(info.Wrapped)
	if err != nil {
		return nil, formatErr("key.wrapped is not standard base64")
	}
	g, err := kekAEAD(kek)
	if err != nil {
		return nil, err
	}
	dataKey, err := g.Open(nil, nonce, wrapped, nil)
	if err != nil {
		return nil, ErrWrongKey
	}
	defer clear(dataKey)
	if len(dataKey) != keyLen(cipherName) {
		return nil, formatErr("wrapped data key is %d bytes, %s needs %d", len(dataKey), cipherName, keyLen(cipherName))
	}
	return deriveKeys(dataKey, format)
}

func deriveKeys(dataKey []byte, format string) (*keys, error) {
	c, err := xts.New(dataKey)
	if err != nil {
		return nil, fmt.Errorf("staging: data key: %w", err)
	}
	if format == FormatV1 {
		mk, err := hkdf.Key(sha256.New, dataKey, nil, macInfoV1, 32)
		if err != nil {
			return nil, fmt.Errorf("staging: derive MAC key: %w", err)
		}
		return &keys{xts: c, macKey: mk}, nil
	}
	mk, err := hkdf.Key(sha256.New, dataKey, nil, macInfoV2, 32)
	if err != nil {
		return nil, fmt.Errorf("staging: derive MAC key: %w", err)
	}
	defer clear(mk)
	b, err := aes.NewCipher(mk)
	if err != nil {
		return nil, fmt.Errorf("staging: MAC key: %w", err)
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return nil, fmt.Errorf("staging: MAC key: %w", err)
	}
	return &keys{xts: c, gmac: g}, nil
}

// chunkMAC is version 1's HMAC of one chunk's ciphertext.
func (k *keys) chunkMAC(ciphertext []byte) string {
	h := hmac.New(sha256.New, k.macKey)
	h.Write(ciphertext)
	return hex.EncodeToString(h.Sum(nil))
}

// gmacSign is version 2's MAC of msg: AES-256-GCM with a fresh random
// 12-byte nonce, no plaintext, msg as the additional data; the value is the
// hex of the nonce then the 16-byte tag. A random nonce per call means no
// nonce is ever used twice under one key, a rewritten chunk of a resumed
// copy included (2^-96 per pair; an image has at most millions of MACs).
func (k *keys) gmacSign(msg []byte) (string, error) {
	var out [nonceSize + gcmTag]byte
	if _, err := rand.Read(out[:nonceSize]); err != nil {
		return "", fmt.Errorf("staging: draw MAC nonce: %w", err)
	}
	k.gmac.Seal(out[nonceSize:nonceSize], out[:nonceSize], nil, msg)
	return hex.EncodeToString(out[:]), nil
}

// gmacVerify checks a gmacSign value over msg.
func (k *keys) gmacVerify(value string, msg []byte) bool {
	b, err := hex.DecodeString(value)
	if err != nil || len(b) != nonceSize+gcmTag {
		return false
	}
	_, err = k.gmac.Open(nil, b[:nonceSize], b[nonceSize:], msg)
	return err == nil
}
