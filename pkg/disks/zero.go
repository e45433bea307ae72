package disks

import "bytes"

var zeroSector [SectorSize]byte

// appendNonZero appends to dst the runs of non-zero sectors of data, which
// holds the disk from absolute offset base, merging with dst's last run when
// contiguous. bytes.Equal against a zero sector is the fast path: it is
// vectorised and a data sector fails it on its first bytes.
func appendNonZero(dst []Extent, data []byte, base int64) []Extent {
	for i := 0; i < len(data); i += SectorSize {
		end := min(i+SectorSize, len(data))
		if bytes.Equal(data[i:end], zeroSector[:end-i]) {
			continue
		}
		off := base + int64(i)
		if n := len(dst); n > 0 && dst[n-1].Off+dst[n-1].Len == off {
			dst[n-1].Len += int64(end - i)
		} else {
			dst = append(dst, Extent{Off: off, Len: int64(end - i)})
		}
	}
	return dst
}
