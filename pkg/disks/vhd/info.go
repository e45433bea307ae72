package vhd

import (
	"context"
	"strings"
)

// Info describes a VHD for `migrate disks inspect`.
type Info struct {
	Path           string   `json:"path" yaml:"path"`
	Type           DiskType `json:"type" yaml:"type"`
	VirtualSize    int64    `json:"virtualSize" yaml:"virtualSize"`
	FileSize       int64    `json:"fileSize" yaml:"fileSize"`
	BlockSize      int64    `json:"blockSize,omitempty" yaml:"blockSize,omitempty"`
	AllocatedBytes int64    `json:"allocatedBytes" yaml:"allocatedBytes"`
	UniqueID       UUID     `json:"uniqueId" yaml:"uniqueId"`
	CreatorApp     string   `json:"creatorApp" yaml:"creatorApp"`
	// Checks lists every check the file passed, in the order made.
	Checks []string `json:"checks" yaml:"checks"`
	// Parent is the next disk of a differencing chain.
	Parent *Info `json:"parent,omitempty" yaml:"parent,omitempty"`
}

// Info describes the disk and its parent chain. AllocatedBytes is the union
// of the allocated blocks of this disk and the disks below it.
func (d *Disk) Info(ctx context.Context) (Info, error) {
	in := Info{
		Path:        d.path,
		Type:        d.footer.Type,
		VirtualSize: d.size,
		FileSize:    d.fileSize,
		BlockSize:   d.blockSize,
		UniqueID:    d.footer.UniqueID,
		CreatorApp:  strings.TrimRight(string(d.footer.CreatorApp[:]), "\x00 "),
		Checks:      append([]string(nil), d.checks...),
	}
	ext, err := d.Allocated(ctx)
	if err != nil {
		return Info{}, err
	}
	for _, e := range ext {
		in.AllocatedBytes += e.Len
	}
	if d.parent != nil {
		p, err := d.parent.Info(ctx)
		if err != nil {
			return Info{}, err
		}
		in.Parent = &p
	}
	return in, nil
}

// Inspect opens, describes and closes the VHD at path.
func Inspect(ctx context.Context, path string) (Info, error) {
	d, err := Open(path)
	if err != nil {
		return Info{}, err
	}
	defer func() { _ = d.Close() }() // read only
	return d.Info(ctx)
}
