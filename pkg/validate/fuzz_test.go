package validate

import (
	"strings"
	"testing"
)

func TestBlobName(t *testing.T) {
	tests := map[string]string{
		"https://a.blob.core.windows.net/vhds/d.vhd":        "d.vhd",
		"https://a.blob.core.windows.net/vhds/2019/d.vhd":   "2019/d.vhd",
		"https://a.blob.core.windows.net/vhds/a%2Fb.vhd":    "a/b.vhd",
		"https://a.blob.core.windows.net/vhds":              "",
		"https://a.blob.core.windows.net/vhds/d.vhd?sv=x&a": "d.vhd",
		"vhds/x/y.vhd": "x/y.vhd",
	}
	for in, want := range tests {
		if got := blobName(in); got != want {
			t.Errorf("blobName(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzBlobName: the VHD URI parser never panics and never returns the
// container (the name is what follows it).
func FuzzBlobName(f *testing.F) {
	for _, s := range []string{"https://a.blob.core.windows.net/vhds/d.vhd", "vhds/a/b", "/", "", "%zz/x", "https://h/c/a%2Fb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		name := blobName(uri)
		if len(name) > len(uri)+1 && !strings.Contains(uri, "%") {
			t.Errorf("blobName(%q) = %q, longer than its input", uri, name)
		}
	})
}
