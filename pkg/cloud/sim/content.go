package sim

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Generated content of classic disks.
//
// Every classic VHD of the estate (registered disks and VM images) reads as
// a sparse disk of its virtual size whose bytes are generated on the fly,
// never stored: a pure function of the cloud's content seed, the disk's
// name and the offset. Its allocated regions are the first MiB, five
// regions of 64 KiB to 512 KiB spread over the disk, and the last 64 KiB:
// at most about 3.6 MiB per disk, so tests move real bytes quickly. About
// one sector in sixteen inside those regions is all zeros, as real disks
// have, so the copier's zero detection is exercised.

const (
	genHead    = 1 << 20
	genTail    = 64 << 10
	genAlign   = 64 << 10
	genRegions = 5
	// imageSizeGiB is the virtual size of a classic VM image's VHD: the
	// inventory gives none, so the sim uses the Linux images' usual 30 GiB.
	imageSizeGiB = 30
)

// vhdInfo is one classic VHD the cloud can serve.
type vhdInfo struct {
	name    string // the disk's or image's name
	account string
	size    int64
	os      string
	image   bool
}

// vhds indexes the estate's VHDs by folded URI.
func (t *topology) vhds() map[string]vhdInfo {
	out := map[string]vhdInfo{}
	for _, sa := range t.estate.StorageAccounts {
		for _, d := range sa.Disks {
			out[inventory.Key(d.VHDURI)] = vhdInfo{name: d.Name, account: sa.Name, size: vhdSize(d), os: d.OS}
		}
		for _, im := range sa.Images {
			k := inventory.Key(im.VHDURI)
			if _, ok := out[k]; !ok {
				out[k] = vhdInfo{name: im.Name, account: sa.Name, size: imageSizeGiB << 30, os: im.OS, image: true}
			}
		}
	}
	return out
}

// vhdSize is a disk's virtual size: its page blob less the VHD footer
// when the estate gives the blob's size, else the registered size. The two
// differ when a blob was resized behind the registration's back, the case
// the platform's "physical blob size doesn't match" warning describes; the
// blob is what holds the data, and what Get Blob Properties reports.
func vhdSize(d inventory.Disk) int64 {
	const footer = 512
	if bs := d.BlobSizeBytes; bs > footer && (bs-footer)%disks.SectorSize == 0 {
		return bs - footer
	}
	return d.SizeGiB << 30
}

// genDisk is the generated content of one classic disk.
type genDisk struct {
	seed    uint64
	size    int64
	regions []disks.Extent
}

var _ disks.Source = (*genDisk)(nil)

func newGenDisk(contentSeed int64, name string, size int64) *genDisk {
	h := fnv.New64a()
	_, _ = h.Write([]byte(strings.ToLower(name))) // a hash.Hash never fails
	g := &genDisk{seed: splitmix64(uint64(contentSeed) ^ h.Sum64()), size: size}
	g.regions = genLayout(g.seed, size)
	return g
}

// genLayout places the allocated regions: the head, one region in each of
// genRegions equal slots between head and tail (so they never overlap),
// and the tail. A disk too small for slots gets the head alone.
func genLayout(seed uint64, size int64) []disks.Extent {
	if size <= genHead {
		return []disks.Extent{{Off: 0, Len: size &^ (disks.SectorSize - 1)}}
	}
	out := []disks.Extent{{Off: 0, Len: genHead}}
	slot := (size - genHead - genTail) / genRegions &^ (genAlign - 1)
	if slot >= 16*genAlign {
		for i := range int64(genRegions) {
			h := splitmix64(seed ^ splitmix64(uint64(i)+0x5107))
			n := genAlign * int64(1+h%8)
			free := (slot - n) / genAlign
			off := genHead + i*slot + genAlign*int64((h>>16)%uint64(free))
			out = append(out, disks.Extent{Off: off, Len: n})
		}
	}
	if tail := size - genTail; tail >= genHead && size%disks.SectorSize == 0 {
		out = append(out, disks.Extent{Off: tail, Len: genTail})
	}
	return out
}

// sector fills b (512 bytes) with generated sector n.
func (g *genDisk) sector(b []byte, n int64) {
	h := splitmix64(g.seed ^ splitmix64(uint64(n)))
	if h%16 == 0 {
		clear(b)
		return
	}
	for i := 0; i < disks.SectorSize; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], splitmix64(h+uint64(i)))
	}
}

// Size implements disks.Source.
func (g *genDisk) Size() int64 { return g.size }

// Allocated implements disks.Source: the generated regions.
func (g *genDisk) Allocated(ctx context.Context) ([]disks.Extent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return append([]disks.Extent(nil), g.regions...), nil
}

// ReadAt implements disks.Source; bytes outside the regions are zeros.
func (g *genDisk) ReadAt(ctx context.Context, p []byte, off int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if off < 0 || off+int64(len(p)) > g.size {
		return fmt.Errorf("read generated disk at %d+%d: beyond its %d bytes", off, len(p), g.size)
	}
	clear(p)
	var buf [disks.SectorSize]byte
	end := off + int64(len(p))
	for _, r := range g.regions {
		lo, hi := max(off, r.Off), min(end, r.Off+r.Len)
		for pos := lo; pos < hi; {
			n := pos / disks.SectorSize
			g.sector(buf[:], n)
			s := pos - n*disks.SectorSize
			c := copy(p[pos-off:hi-off], buf[s:])
			pos += int64(c)
		}
	}
	return nil
}

// Close implements disks.Source.
func (g *genDisk) Close() error { return nil }

// OpenVHD opens a classic VHD of the estate (a registered disk or a VM
// image) by its URI, case-insensitively, as its generated content in its
// current write generation (snapshot.go). An
// unknown URI is cloud.ErrNotFound. Reads are neither faulted nor recorded:
// they are the data plane.
func (s *Sim) OpenVHD(ctx context.Context, vhdURI string) (disks.Source, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v, ok := s.vhds[inventory.Key(vhdURI)]
	if !ok {
		return nil, fmt.Errorf("open VHD %s: %w", disks.RedactURL(vhdURI), cloud.ErrNotFound)
	}
	g, err := s.current(ctx, v, vhdURI)
	if err != nil {
		return nil, fmt.Errorf("open VHD %s: %w", disks.RedactURL(vhdURI), err)
	}
	return g, nil
}

// fnvKey hashes a name case-insensitively.
func fnvKey(name string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(strings.ToLower(name))) // a hash.Hash never fails
	return h.Sum64()
}

var _ cloud.BlobSizer = (*Sim)(nil)

// BlobSizes answers each VHD's page blob size as the storage service
// would: its virtual size plus the 512-byte footer. Like OpenVHD it is the
// data plane, neither faulted nor recorded.
func (s *Sim) BlobSizes(ctx context.Context, vhdURIs []string) (map[string]int64, error) {
	out := map[string]int64{}
	for _, u := range vhdURIs {
		src, err := s.OpenVHD(ctx, u)
		if errors.Is(err, cloud.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[u] = src.Size() + 512
		_ = src.Close() // read only
	}
	return out, nil
}
