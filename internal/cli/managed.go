package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/disks"
)

// openManagedDiskSink writes a managed disk through the driver: the disk is
// created for Upload when it does not exist, write access is granted for
// the copy and revoked when the copy is finished. A SAS never leaves the
// driver.
func (a *app) openManagedDiskSink(ctx context.Context, arg string, size int64, f copyFlags, resume bool) (disks.Sink, error) {
	rg, name, ok := strings.Cut(strings.TrimPrefix(arg, managedPrefix), "/")
	if !ok || rg == "" || name == "" || strings.Contains(name, "/") {
		return nil, badInputf("%s: want disk:<resource-group>/<name>", arg)
	}
	if size%(1<<20) != 0 {
		return nil, badInputf("%s: a managed disk's size must be a whole number of MiB; the source is %d bytes", arg, size)
	}
	inv, err := a.optionalInventory()
	if err != nil {
		return nil, err
	}
	drv, closeDriver, err := a.openDriver(ctx, inv, nil)
	if err != nil {
		return nil, err
	}
	compute, ok1 := drv.(cloud.Compute)
	data, ok2 := drv.(cloud.DiskData)
	if !ok1 || !ok2 {
		_ = closeDriver()
		return nil, badInputf("driver %s cannot write managed disks", a.cfg.Driver)
	}
	d, err := compute.GetDisk(ctx, rg, name)
	switch {
	case errors.Is(err, cloud.ErrNotFound):
		loc := f.location
		if loc == "" && inv != nil {
			loc = inv.DefaultLocation
		}
		if loc == "" {
			_ = closeDriver()
			return nil, badInputf("%s does not exist: give --location to create it", arg)
		}
		d = cloud.ManagedDisk{ResourceGroup: rg, Name: name, Location: loc, AccountType: f.accountType,
			SizeBytes: size, CreateOption: cloud.CreateUpload}
		if err := compute.CreateDisk(ctx, d); err != nil {
			_ = closeDriver()
			return nil, fmt.Errorf("create managed disk %s/%s: %w", rg, name, err)
		}
	case err != nil:
		_ = closeDriver()
		return nil, fmt.Errorf("managed disk %s/%s: %w", rg, name, err)
	case d.CreateOption != cloud.CreateUpload || (d.State != cloud.DiskReadyToUpload && d.State != cloud.DiskActiveUpload):
		_ = closeDriver()
		return nil, badInputf("managed disk %s/%s is %s (%s): only a disk created for Upload and not yet written can be copied to", rg, name, d.State, d.CreateOption)
	}
	sink, err := data.OpenUpload(ctx, rg, name, size, resume)
	if err != nil {
		_ = closeDriver()
		return nil, fmt.Errorf("open upload of %s/%s: %w", rg, name, err)
	}
	return &managedSink{Sink: sink, data: data, rg: rg, name: name, closeDriver: closeDriver}, nil
}

// managedSink ends the upload (revoking the write access) once the copy
// has finished.
type managedSink struct {
	disks.Sink
	data        cloud.DiskData
	rg, name    string
	closeDriver func() error
}

func (m *managedSink) Finish(ctx context.Context, s disks.Summary) error {
	if err := m.Sink.Finish(ctx, s); err != nil {
		return err
	}
	if err := m.data.EndUpload(ctx, m.rg, m.name); err != nil {
		return fmt.Errorf("end upload of %s/%s: %w", m.rg, m.name, err)
	}
	return nil
}

func (m *managedSink) Close() error {
	return errors.Join(m.Sink.Close(), m.closeDriver())
}

// Sync and State keep the copier's crash safety and resume working through
// the wrapper.
func (m *managedSink) Sync(ctx context.Context) error {
	if s, ok := m.Sink.(disks.Syncer); ok {
		return s.Sync(ctx)
	}
	return nil
}

// openManagedDiskSource reads a managed disk through the driver; closing
// the source revokes the read access.
func (a *app) openManagedDiskSource(ctx context.Context, arg string) (disks.Source, error) {
	rg, name, ok := strings.Cut(strings.TrimPrefix(arg, managedPrefix), "/")
	if !ok || rg == "" || name == "" || strings.Contains(name, "/") {
		return nil, badInputf("%s: want disk:<resource-group>/<name>", arg)
	}
	inv, err := a.optionalInventory()
	if err != nil {
		return nil, err
	}
	drv, closeDriver, err := a.openDriver(ctx, inv, nil)
	if err != nil {
		return nil, err
	}
	data, ok := drv.(cloud.DiskData)
	if !ok {
		_ = closeDriver()
		return nil, badInputf("driver %s cannot read managed disks", a.cfg.Driver)
	}
	src, err := data.OpenManaged(ctx, rg, name)
	if err != nil {
		_ = closeDriver()
		if errors.Is(err, cloud.ErrNotFound) {
			return nil, badInputf("%s: no such managed disk", arg)
		}
		return nil, fmt.Errorf("open %s: %w", arg, err)
	}
	return &managedSource{Source: src, closeDriver: closeDriver}, nil
}

type managedSource struct {
	disks.Source
	closeDriver func() error
}

func (m *managedSource) Close() error { return errors.Join(m.Source.Close(), m.closeDriver()) }
