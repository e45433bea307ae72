package convert_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud/sim"
	"github.com/migrate-tool/migrate/pkg/convert"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

func TestImage(t *testing.T) {
	ctx := context.Background()
	inv := loadEstate(t, "small.json")
	inv.StorageAccounts[0].Images = []inventory.Image{
		{Name: "golden", VHDURI: "https://smallstd.blob.core.windows.net/images/golden.vhd", OS: "Windows", Generalized: true},
		{Name: "snowflake", VHDURI: "https://smallstd.blob.core.windows.net/images/snowflake.vhd", OS: "Linux"},
	}
	dir := t.TempDir()
	migrate(t, dir, inv)
	e := openEnv(t, dir, sim.Options{Seed: 2, FaultRate: 0.1})
	base := convert.ImageOptions{Inventory: inv, Compute: e.sim, Migrator: e.reader, Sleep: func(context.Context, time.Duration) error { return nil }}
	for _, tc := range []struct {
		name string
		o    func(o *convert.ImageOptions)
		err  error
	}{
		{"classic image", func(o *convert.ImageOptions) { o.Name = "golden" }, nil},
		{"again", func(o *convert.ImageOptions) { o.Name = "golden" }, nil},
		{"specialized image", func(o *convert.ImageOptions) { o.Name = "snowflake" }, convert.ErrSpecialized},
		{"unknown", func(o *convert.ImageOptions) { o.Name = "nope" }, convert.ErrUnknownImage},
		{"VHD not said generalized", func(o *convert.ImageOptions) {
			o.Name, o.VHDURI = "web", inv.StorageAccounts[0].Disks[0].VHDURI
		}, convert.ErrSpecialized},
		{"generalized VHD", func(o *convert.ImageOptions) {
			o.Name, o.VHDURI, o.Generalized = "web", inv.StorageAccounts[0].Disks[0].VHDURI, true
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			tc.o(&o)
			img, err := convert.Image(ctx, o)
			if !errors.Is(err, tc.err) {
				t.Fatalf("Image: %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			got, err := e.reader.GetImage(ctx, "smallstd-Migrated", o.Name)
			if err != nil || got.SourceURI != img.SourceURI || got.OSType == "" {
				t.Errorf("image in the cloud: %+v %v (made %+v)", got, err, img)
			}
		})
	}
}
