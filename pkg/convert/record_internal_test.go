package convert

import (
	"testing"

	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/phases/journal"
)

// A record written by a release whose copies hashed sha256-runs (no "hash"
// member) loses its unverified hashes on load, so they are computed again
// as trees; a verified disk keeps them (nothing compares them again), and a
// record of this release keeps everything.
func TestRecordOfAnEarlierHashKind(t *testing.T) {
	j, err := journal.Open(t.TempDir(), journal.Holder{Command: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	old := `{"vm":"vm/a","step":"disks","disks":{
		"os":{"name":"os","movement":"upload","copied":true,"sourceSha256":"11"},
		"data":{"name":"data","movement":"upload","copied":true,"sourceSha256":"22","managedSha256":"22","verified":true}},"log":[]}`
	if err := j.PutDoc(docKey("vm/a"), []byte(old)); err != nil {
		t.Fatal(err)
	}
	r, err := loadRecord(j, "vm/a")
	if err != nil {
		t.Fatal(err)
	}
	if os := r.Disks["os"]; os.SourceSHA256 != "" || !os.Copied {
		t.Errorf("unverified disk of an earlier record: source hash %q kept, copied %v", os.SourceSHA256, os.Copied)
	}
	if d := r.Disks["data"]; d.SourceSHA256 != "22" || !d.Verified {
		t.Errorf("verified disk lost its hashes: %+v", d)
	}
	if r.Hash != disks.HashTree {
		t.Errorf("hash kind %q after load", r.Hash)
	}

	r.Disks["os"].SourceSHA256 = "33"
	if err := r.save(j, r.Updated); err != nil {
		t.Fatal(err)
	}
	again, err := loadRecord(j, "vm/a")
	if err != nil {
		t.Fatal(err)
	}
	if again.Disks["os"].SourceSHA256 != "33" {
		t.Error("a record of this release lost its source hash")
	}
}
