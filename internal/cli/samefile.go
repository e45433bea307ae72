package cli

import (
	"strings"

	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/disks/staging"
	"github.com/migrate-tool/migrate/pkg/disks/vhd"
)

// checkDistinct refuses (exit 2) a copy whose destination is its source
// or any file of it, before anything is opened for writing: src is the
// opened source (a VHD knows its parent chain), keyFile the key it reads,
// checkpoint where the copy would keep its checkpoint.
func (a *app) checkDistinct(srcArg string, src disks.Source, keyFile, dstArg, checkpoint string) error {
	from, err := sourcePlace(srcArg, src)
	if err != nil {
		return err
	}
	if keyFile != "" {
		from.Files = append(from.Files, keyFile)
	}
	to, err := destinationPlace(dstArg)
	if err != nil {
		return err
	}
	to.Files = append(to.Files, checkpoint)
	if err := disks.Distinct(from, to); err != nil {
		return badInput(err)
	}
	return nil
}

// sourcePlace is everything a copy from arg reads.
func sourcePlace(arg string, src disks.Source) (disks.Place, error) {
	var p disks.Place
	switch {
	case strings.HasPrefix(arg, stagingPrefix):
		st, err := stagingStore(arg)
		if err != nil {
			return p, err
		}
		addStaging(&p, st)
		if ds, ok := st.(staging.DirStore); ok {
			// The checkpoint of the copy that wrote (or is writing) it.
			p.Files = append(p.Files, ds.String()+".checkpoint")
		}
	case isURL(arg):
		p.Blobs = []string{arg}
	case strings.HasPrefix(arg, managedPrefix):
		p.Names = []string{arg}
	default:
		if d, ok := src.(*vhd.Disk); ok {
			p.Files = d.Files()
		} else {
			p.Files = []string{arg}
		}
	}
	return p, nil
}

// destinationPlace is everything a copy to arg writes, but its
// checkpoint.
func destinationPlace(arg string) (disks.Place, error) {
	var p disks.Place
	switch {
	case strings.HasPrefix(arg, stagingPrefix):
		st, err := stagingStore(arg)
		if err != nil {
			return p, err
		}
		addStaging(&p, st)
	case isURL(arg):
		p.Blobs = []string{arg}
	case strings.HasPrefix(arg, managedPrefix):
		p.Names = []string{arg}
	default:
		p.Files = []string{arg}
	}
	return p, nil
}

func addStaging(p *disks.Place, st staging.Store) {
	switch t := st.(type) {
	case staging.DirStore:
		files, patterns := t.Files()
		p.Files = append(p.Files, files...)
		p.Patterns = append(p.Patterns, patterns...)
	case *staging.BlobStore:
		p.Blobs = append(p.Blobs, t.URLs()...)
	}
}
