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
