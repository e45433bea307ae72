package disks

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzCheckpoint feeds arbitrary bytes as a checkpoint to a resumed copy:
// it must never panic, and whatever it accepts must still produce the
// source's bytes (a damaged record may only make it copy more).
func FuzzCheckpoint(f *testing.F) {
	data := pattern(12*mib, Extent{mib, 9 * mib})
	f.Add([]byte(`{"version":2,"size":12582912,"chunkSize":4194304,"source":"x","hash":"sha256-tree-4m"}` + "\n"))
	f.Add([]byte(`{"version":2}` + "\n" + `{"c":1,"e":[[4194304,512]],"l":"00"}` + "\n"))
	f.Add([]byte(`{"version":1,"done":[[0,3]]}`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		cp := filepath.Join(t.TempDir(), "cp")
		if err := os.WriteFile(cp, b, 0o600); err != nil {
			t.Fatal(err)
		}
		dst := newMemSink(int64(len(data)))
		sum, err := Copy(t.Context(), &memSource{data: data}, dst, CopyOptions{Workers: 2, Checkpoint: cp, Resume: true})
		if err != nil {
			return // refused: fine
		}
		if _, h := reference(data); sum.ContentSHA256 != h {
			t.Fatalf("accepted checkpoint %q gave another hash", b)
		}
	})
}
