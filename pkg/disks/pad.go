package disks

import "context"

// MiB is the unit Azure requires of a managed disk's and a fixed VHD's
// virtual size.
const MiB = 1 << 20

// WholeMiB is size rounded up to a whole number of MiB.
func WholeMiB(size int64) int64 { return (size + MiB - 1) / MiB * MiB }

// PadToMiB returns src with its virtual size rounded up to a whole number of
// MiB (what a VHD made by qemu-img create -f vpc, sized from its CHS
// geometry, lacks): the added bytes are unallocated, so they read as zeros
// and cost nothing. It returns src itself when its size is whole MiB
// already. Closing the result closes src.
func PadToMiB(src Source) Source {
	if src.Size()%MiB == 0 {
		return src
	}
	return padded{src}
}

type padded struct{ Source }

func (p padded) Size() int64 { return WholeMiB(p.Source.Size()) }

// ReadAt reads what lies inside the source and zeros the pad; the copier
// reads only allocated ranges, which all lie inside it.
func (p padded) ReadAt(ctx context.Context, b []byte, off int64) error {
	n := p.Source.Size()
	if off+int64(len(b)) <= n {
		return p.Source.ReadAt(ctx, b, off)
	}
	if off < n {
		if err := p.Source.ReadAt(ctx, b[:n-off], off); err != nil {
			return err
		}
		clear(b[n-off:])
		return nil
	}
	clear(b)
	return nil
}
