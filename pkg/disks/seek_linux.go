package disks

import (
	"errors"
	"os"
	"syscall"
)

// Linux's lseek whence values for sparse files (not in package syscall).
const (
	seekData = 3
	seekHole = 4
)

// dataExtents walks the file's data with SEEK_DATA/SEEK_HOLE; ok is false
// when the file system does not support them.
func dataExtents(f *os.File, size int64) (ext []Extent, ok bool, err error) {
	var off int64
	for off < size {
		data, err := f.Seek(off, seekData)
		if err != nil {
			if errors.Is(err, syscall.ENXIO) {
				break // no data past off
			}
			if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EOPNOTSUPP) {
				return nil, false, nil
			}
			return nil, false, err
		}
		hole, err := f.Seek(data, seekHole)
		if err != nil {
			return nil, false, err
		}
		hole = min(hole, size)
		// Align outwards to sectors: the copier works in 512-byte units.
		lo := data &^ (SectorSize - 1)
		hi := min((hole+SectorSize-1)&^(SectorSize-1), size)
		if n := len(ext); n > 0 && lo <= ext[n-1].Off+ext[n-1].Len {
			ext[n-1].Len = hi - ext[n-1].Off
		} else {
			ext = append(ext, Extent{Off: lo, Len: hi - lo})
		}
		off = hole
	}
	return ext, true, nil
}
