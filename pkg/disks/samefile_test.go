package disks

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDistinct(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile("src.raw", []byte("data"), 0o600))
	must(os.WriteFile("other.raw", []byte("data"), 0o600))
	must(os.Mkdir("sub", 0o700))
	must(os.Mkdir("st", 0o700))
	must(os.Link("src.raw", "hard.raw"))
	must(os.Symlink("src.raw", "sym.raw"))
	must(os.Symlink("st", "stlink"))
	must(os.WriteFile("st/a.img", nil, 0o600))
	stagingSrc := Place{
		Files:    []string{"st/a.img", "st/a.manifest.json", "st/a.checkpoint"},
		Patterns: []string{"st/a.manifest.*.tmp"},
	}
	const (
		sas1 = "?sv=2021&sig=one"
		sas2 = "?sig=two&sp=rw"
	)
	azure := "https://acct.blob.core.windows.net/vhds/Disk.vhd"
	azurite := "http://127.0.0.1:10000/devstoreaccount1/vhds/Disk.vhd"
	for _, tc := range []struct {
		name     string
		src, dst Place
		same     bool
	}{
		{"same path", Place{Files: []string{"src.raw"}}, Place{Files: []string{"src.raw"}}, true},
		{"dot path", Place{Files: []string{"src.raw"}}, Place{Files: []string{"./src.raw"}}, true},
		{"dot-dot path", Place{Files: []string{"src.raw"}}, Place{Files: []string{"sub/../src.raw"}}, true},
		{"absolute path", Place{Files: []string{"src.raw"}}, Place{Files: []string{filepath.Join(dir, "src.raw")}}, true},
		{"hard link", Place{Files: []string{"src.raw"}}, Place{Files: []string{"hard.raw"}}, true},
		{"symlink", Place{Files: []string{"src.raw"}}, Place{Files: []string{"sym.raw"}}, true},
		{"another file", Place{Files: []string{"src.raw"}}, Place{Files: []string{"other.raw"}}, false},
		{"a new file", Place{Files: []string{"src.raw"}}, Place{Files: []string{"new.raw"}}, false},
		{"a VHD's parent", Place{Files: []string{"child.vhd", "src.raw"}}, Place{Files: []string{"hard.raw"}}, true},
		{"staging image", stagingSrc, Place{Files: []string{"st/a.img"}}, true},
		{"staging manifest not yet written", stagingSrc, Place{Files: []string{"st/a.manifest.json"}}, true},
		{"staging checkpoint through a symlinked folder", stagingSrc, Place{Files: []string{"stlink/a.checkpoint"}}, true},
		{"staging temporary manifest", stagingSrc, Place{Files: []string{"st/a.manifest.123.tmp"}}, true},
		{"another image in the staging folder", stagingSrc, Place{Files: []string{"st/b.img"}}, false},
		{"destination staging over a raw source", Place{Files: []string{"st/a.img"}}, Place{Files: []string{"stlink/a.img", "st/a.manifest.json"}}, true},
		{"a file in a folder that does not exist", Place{Files: []string{"src.raw"}}, Place{Files: []string{"none/src.raw"}}, false},
		{"same blob", Place{Blobs: []string{azure + sas1}}, Place{Blobs: []string{azure + sas1}}, true},
		{"same blob, another SAS", Place{Blobs: []string{azure + sas1}}, Place{Blobs: []string{azure + sas2}}, true},
		{"same blob, host case and port", Place{Blobs: []string{azure}}, Place{Blobs: []string{"https://ACCT.Blob.Core.Windows.NET:443/vhds/Disk.vhd"}}, true},
		{"same blob, container case", Place{Blobs: []string{azure}}, Place{Blobs: []string{"https://acct.blob.core.windows.net/VHDS/Disk.vhd"}}, true},
		{"same blob, http", Place{Blobs: []string{azure}}, Place{Blobs: []string{"http://acct.blob.core.windows.net/vhds/Disk.vhd"}}, true},
		{"same blob, escaped", Place{Blobs: []string{azure}}, Place{Blobs: []string{"https://acct.blob.core.windows.net/vhds/%44isk.vhd"}}, true},
		{"blob name case differs", Place{Blobs: []string{azure}}, Place{Blobs: []string{"https://acct.blob.core.windows.net/vhds/disk.vhd"}}, false},
		{"another account", Place{Blobs: []string{azure}}, Place{Blobs: []string{"https://acct2.blob.core.windows.net/vhds/Disk.vhd"}}, false},
		{"path-style account case", Place{Blobs: []string{azurite + sas1}}, Place{Blobs: []string{"http://127.0.0.1:10000/DEVSTOREACCOUNT1/VHDS/Disk.vhd" + sas2}}, true},
		{"path-style another port", Place{Blobs: []string{azurite}}, Place{Blobs: []string{"http://127.0.0.1:10001/devstoreaccount1/vhds/Disk.vhd"}}, false},
		{"$root container", Place{Blobs: []string{"https://acct.blob.core.windows.net/Disk.vhd"}}, Place{Blobs: []string{"https://acct.blob.core.windows.net/$root/Disk.vhd"}}, true},
		{"managed disk", Place{Names: []string{"disk:rg/web1"}}, Place{Names: []string{"disk:RG/Web1"}}, true},
		{"another managed disk", Place{Names: []string{"disk:rg/web1"}}, Place{Names: []string{"disk:rg/web2"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Distinct(tc.src, tc.dst)
			var se *SameFileError
			if got := errors.As(err, &se); got != tc.same {
				t.Fatalf("Distinct = %v, want same=%v", err, tc.same)
			}
			if se != nil && (se.Source == "" || se.Destination == "") {
				t.Errorf("error names neither side: %v", se)
			}
			if se != nil {
				for _, secret := range []string{"sig=one", "sig=two"} {
					if strings.Contains(se.Error(), secret) {
						t.Errorf("error shows the SAS: %v", se)
					}
				}
			}
		})
	}
}
