package journal

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

func TestDocs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".migrate")
	j, err := Open(dir, testHolder())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := j.Doc("convert/vm/a"); err != nil || ok {
		t.Fatalf("Doc before any write: ok=%v err=%v", ok, err)
	}
	for _, tc := range []struct {
		key, doc string
	}{
		{"convert/vm/rg/a", `{"step":"recorded"}`},
		{"convert/vm/rg/b", `{"step":"done"}`},
		{"other/x", `1`},
		{"convert/vm/rg/a", `{"step":"deallocated"}`},
	} {
		if err := j.PutDoc(tc.key, []byte(tc.doc)); err != nil {
			t.Fatalf("PutDoc(%s): %v", tc.key, err)
		}
	}
	if err := j.PutDoc("k", []byte("{not json")); !errors.Is(err, ErrBadRecord) {
		t.Errorf("PutDoc of bad JSON: %v, want ErrBadRecord", err)
	}
	if err := j.PutDoc("", []byte("1")); err == nil {
		t.Error("PutDoc with an empty key succeeded")
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	// Documents survive a reopen, read-only included.
	r, err := OpenReadOnly(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Docs("convert/")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"convert/vm/rg/a": `{"step":"deallocated"}`, "convert/vm/rg/b": `{"step":"done"}`}
	if len(got) != len(want) {
		t.Errorf("Docs = %d documents, want %d", len(got), len(want))
	}
	for k, v := range want {
		if string(got[k]) != v {
			t.Errorf("Docs[%s] = %s, want %s", k, got[k], v)
		}
	}
	if err := r.PutDoc("x", []byte("1")); !errors.Is(err, ErrReadOnly) {
		t.Errorf("PutDoc on a read-only journal: %v", err)
	}
	if units, err := r.Units(); err != nil || len(units) != 0 {
		t.Errorf("documents leaked into units: %v %v", units, err)
	}
	r.Close()

	j, err = Open(dir, testHolder())
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.DeleteDoc("convert/vm/rg/b"); err != nil {
		t.Fatal(err)
	}
	if err := j.DeleteDoc("missing"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := j.Doc("convert/vm/rg/b"); ok {
		t.Error("deleted document still there")
	}
}
