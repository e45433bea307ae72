package vhd

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/disks"
)

func mkDynamic(t *testing.T, path, parent string) {
	t.Helper()
	w, err := CreateDynamic(path, 4*mib, DynamicOptions{Parent: parent})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// A parent-locator loop is one error naming the chain, not a pile of
// "parent of" prefixes down to the depth limit (issue 15 item 10).
func TestParentLoop(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }

	// self.vhd names itself.
	mkDynamic(t, p("self.vhd"), "")
	mkDynamic(t, p("tmp.vhd"), p("self.vhd"))
	if err := os.Rename(p("tmp.vhd"), p("self.vhd")); err != nil {
		t.Fatal(err)
	}
	// a.vhd -> b.vhd -> a.vhd.
	mkDynamic(t, p("b.vhd"), "")
	mkDynamic(t, p("a.vhd"), p("b.vhd"))
	// top.vhd -> a.vhd -> b.vhd -> a.vhd: the loop below the top.
	mkDynamic(t, p("top.vhd"), p("a.vhd"))
	mkDynamic(t, p("tmp.vhd"), p("a.vhd"))
	if err := os.Rename(p("tmp.vhd"), p("b.vhd")); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		open  string
		chain []string
	}{
		{"self.vhd", []string{"self.vhd", "self.vhd"}},
		{"a.vhd", []string{"a.vhd", "b.vhd", "a.vhd"}},
		{"top.vhd", []string{"top.vhd", "a.vhd", "b.vhd", "a.vhd"}},
	} {
		t.Run(tc.open, func(t *testing.T) {
			d, err := Open(p(tc.open))
			if err == nil {
				d.Close()
				t.Fatal("opened a looping chain")
			}
			var le *LoopError
			if !errors.As(err, &le) {
				t.Fatalf("Open = %v, want a *LoopError", err)
			}
			var got []string
			for _, c := range le.Chain {
				got = append(got, filepath.Base(c))
			}
			if !slices.Equal(got, tc.chain) {
				t.Errorf("chain %v, want %v", got, tc.chain)
			}
			if strings.Contains(err.Error(), "parent of") {
				t.Errorf("nested prefixes: %v", err)
			}
		})
	}
}

// A parent locator naming a directory is a typed error, not a read error.
func TestParentNotRegular(t *testing.T) {
	dir := t.TempDir()
	mkDynamic(t, filepath.Join(dir, "p.vhd"), "")
	mkDynamic(t, filepath.Join(dir, "c.vhd"), filepath.Join(dir, "p.vhd"))
	if err := os.Remove(filepath.Join(dir, "p.vhd")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "p.vhd"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := Open(filepath.Join(dir, "c.vhd"))
	var nr *disks.NotRegularError
	if !errors.As(err, &nr) || nr.Kind != "a directory" {
		t.Fatalf("Open = %v, want a NotRegularError for a directory", err)
	}
}
