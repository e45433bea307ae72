package journal

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzDecodeRecord checks that the record decoder never panics and that
// whatever it accepts survives an encode/decode round trip unchanged.
func FuzzDecodeRecord(f *testing.F) {
	for _, s := range []string{
		`{"seq":1,"kind":"intent","unit":"vnet/a","op":"Prepare","attempt":1,"phase":"Preparing","time":"2026-11-22T01:02:03Z"}`,
		`{"seq":2,"kind":"outcome","unit":"vnet/a","op":"Prepare","intent":1,"result":"transient","error":"Throttled","time":"2026-11-22T01:02:03.5Z"}`,
		`{"seq":3,"kind":"phase","unit":"vnet/a","phase":"Validated","time":"2026-11-22T01:02:03Z"}`,
		`{"seq":1}`, `null`, `[]`, `{"seq":-1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRecord(b)
		if err != nil {
			return
		}
		enc, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("encode accepted record %+v: %v", r, err)
		}
		r2, err := DecodeRecord(enc)
		if err != nil {
			t.Fatalf("re-decode %s: %v", enc, err)
		}
		if !r.Time.Equal(r2.Time) {
			t.Fatalf("time changed: %v -> %v", r.Time, r2.Time)
		}
		r.Time = r2.Time
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("round trip changed the record:\n%+v\n%+v", r, r2)
		}
	})
}

// FuzzDecodeUnit checks the unit record decoder never panics and keeps its
// invariants on what it accepts.
func FuzzDecodeUnit(f *testing.F) {
	f.Add([]byte(`{"unit":"vnet/a","phase":"Committing","pending":{"seq":4,"kind":"intent","unit":"vnet/a","op":"Commit","attempt":1}}`))
	f.Add([]byte(`{"unit":"vnet/a","pending":{"kind":"outcome"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := DecodeUnit(b)
		if err != nil {
			return
		}
		if u.Unit == "" || (u.Pending != nil && u.Pending.Unit != u.Unit) {
			t.Fatalf("accepted an invalid unit record: %+v", u)
		}
	})
}

// FuzzDecodeRun checks the command record decoder never panics and that
// what it accepts (older records without id or abandoned included)
// survives a round trip.
func FuzzDecodeRun(f *testing.F) {
	for _, s := range []string{
		`{"command":"run","units":null,"rehearse":false,"inventoryPath":"inv.json","inventorySha256":"abc","started":"2026-11-22T01:02:03Z","interrupted":true}`,
		`{"id":3,"command":"abort","units":["vnet/a"],"started":"2026-11-22T01:02:03Z","resumes":2,"abandoned":"2026-11-22T02:00:00Z"}`,
		`{"id":1,"command":"rehearse","rehearse":true,"finished":"2026-11-22T01:02:03Z"}`,
		`{"command":""}`, `{"id":-1}`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRun(b)
		if err != nil {
			return
		}
		if r.Command == "" {
			t.Fatalf("accepted a command record without command: %+v", r)
		}
		enc, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("encode accepted record %+v: %v", r, err)
		}
		r2, err := DecodeRun(enc)
		if err != nil {
			t.Fatalf("re-decode %s: %v", enc, err)
		}
		enc2, _ := json.Marshal(r2)
		if string(enc) != string(enc2) {
			t.Fatalf("round trip changed the record:\n%s\n%s", enc, enc2)
		}
	})
}

// FuzzDecodeFindings checks the findings decoder never panics and keeps
// its invariants.
func FuzzDecodeFindings(f *testing.F) {
	f.Add([]byte(`{"unit":"vnet/a","blocked":true,"errors":2,"warnings":1,"rules":["platform: x"]}`))
	f.Add([]byte(`{"unit":"","errors":-1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := DecodeFindings(b)
		if err != nil {
			return
		}
		if x.Unit == "" || x.Errors < 0 || x.Warnings < 0 {
			t.Fatalf("accepted invalid findings: %+v", x)
		}
	})
}
