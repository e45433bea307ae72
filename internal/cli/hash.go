package cli

import (
	"crypto/sha256"
	"encoding/hex"
)

// shortHash names a file after s without revealing s.
func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}
