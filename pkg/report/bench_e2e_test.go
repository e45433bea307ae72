package report_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/migrate-tool/migrate/pkg/convert"
	"github.com/migrate-tool/migrate/pkg/inventory"
	"github.com/migrate-tool/migrate/pkg/inventory/inventorytest"
	"github.com/migrate-tool/migrate/pkg/plan"
	"github.com/migrate-tool/migrate/pkg/report"
	"github.com/migrate-tool/migrate/pkg/validate"
)

// BenchmarkLoadPlanValidate measures what `migrate plan -o json` does, on
// synthetic estates of 1k, 10k and 100k VMs read from a JSON file written
// once per size (the same bytes as `go run ./testdata/gen -vms N`):
//
//   - all: Load + plan.Build + validate.Check (every rule) + Forecast +
//     convert.Build (the disk step's plan, which `migrate plan` reports
//     too) + Render JSON to io.Discard: the whole command minus process
//     start-up;
//   - load, build, check, forecast, convert, render: each stage alone, on
//     the output of the previous ones, so a stage that grows faster than
//     the estate shows.
//
// scripts/bench-plan.sh runs it; the numbers are in BENCHMARKS.md. The
// goal (issue #7) is linear growth: 100k within 11x of 10k. -short skips
// 100k.
func BenchmarkLoadPlanValidate(b *testing.B) {
	sizes := []int{1000, 10000, 100000}
	if testing.Short() {
		sizes = sizes[:2]
	}
	dir := b.TempDir()
	for _, vms := range sizes {
		// Each size sets itself up inside its own b.Run, so -bench
		// 'LoadPlanValidate/vms=10000' neither writes nor loads the others.
		b.Run(fmt.Sprintf("vms=%d", vms), func(b *testing.B) { benchLoadPlanValidate(b, dir, vms) })
	}
}

func benchLoadPlanValidate(b *testing.B, dir string, vms int) {
	file := filepath.Join(dir, fmt.Sprintf("estate-%d.json", vms))
	size := writeEstate(b, file, vms)
	inv, err := inventory.Load(file)
	if err != nil {
		b.Fatal(err)
	}
	p, err := plan.Build(inv)
	if err != nil {
		b.Fatal(err)
	}
	findings := validate.Check(inv, p)
	m := plan.DefaultModel()
	cp, err := convert.Build(inv, convert.PlanOptions{})
	if err != nil {
		b.Fatal(err)
	}

	b.Run("all", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			inv, err := inventory.Load(file)
			if err != nil {
				b.Fatal(err)
			}
			p, err := plan.Build(inv)
			if err != nil {
				b.Fatal(err)
			}
			cp, err := convert.Build(inv, convert.PlanOptions{})
			if err != nil {
				b.Fatal(err)
			}
			est := m.Window(p, 4, report.DiskJobs(cp))
			r := report.Report{Plan: p, Findings: validate.Check(inv, p), Forecast: est, Conversion: cp}
			if err := report.Render(io.Discard, r, report.FormatJSON); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("load", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := inventory.Load(file); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := plan.Build(inv); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("check", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			validate.Check(inv, p)
		}
	})
	b.Run("forecast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m.Window(p, 4, report.DiskJobs(cp))
		}
	})
	b.Run("convert", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := convert.Build(inv, convert.PlanOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("render", func(b *testing.B) {
		b.ReportAllocs()
		r := report.Report{Plan: p, Findings: findings, Forecast: m.Window(p, 4, report.DiskJobs(cp)), Conversion: cp}
		for b.Loop() {
			if err := report.Render(io.Discard, r, report.FormatJSON); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// writeEstate writes the synthetic estate of vms VMs to file as JSON and
// returns its size in bytes.
func writeEstate(b *testing.B, file string, vms int) int64 {
	b.Helper()
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := inventory.Write(w, inventorytest.Synthetic(vms, 1), inventory.FormatJSON); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(file)
	if err != nil {
		b.Fatal(err)
	}
	return st.Size()
}
