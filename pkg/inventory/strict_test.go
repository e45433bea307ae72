package inventory_test

import (
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Inputs that used to pass silently (issue 15 item 9): each error, in full,
// names the file and the position.
func TestStrictInputErrors(t *testing.T) {
	const y = "schemaVersion: 1\nsubscriptionId: 6c1b0b6f-0000-4000-8000-000000000001\n"
	for _, tc := range []struct {
		name, file, doc, want string
	}{
		{"lone high surrogate", "inv.json", strings.Replace(base, `"name": "cs1"`, `"name": "cs\ud800"`, 1),
			`inv.json: cloudServices[0].name: line 10, column 33: lone UTF-16 surrogate \ud800 in string (a surrogate is only valid as the first half of a pair, \ud800-\udbff then \udc00-\udfff)`},
		{"lone low surrogate", "inv.json", strings.Replace(base, `"name": "cs1"`, `"name": "\udc00cs1"`, 1),
			`inv.json: cloudServices[0].name: line 10, column 31: lone UTF-16 surrogate \udc00 in string (a surrogate is only valid as the first half of a pair, \ud800-\udbff then \udc00-\udfff)`},
		{"high surrogate before a non-surrogate", "inv.json", strings.Replace(base, `"name": "cs1"`, `"name": "cs\ud800\u0041"`, 1),
			`inv.json: cloudServices[0].name: line 10, column 33: lone UTF-16 surrogate \ud800 in string`},
		{"two high surrogates", "inv.json", strings.Replace(base, `"West US"`, `"\udbff\udbff"`, 1),
			`inv.json: defaultLocation: line 4, column 23: lone UTF-16 surrogate \udbff in string`},
		{"surrogate in a key", "inv.json", strings.Replace(base, `"reservedIPs": [`, `"\ud83d": 1, "reservedIPs": [`, 1),
			`inv.json: line 13, column 4: lone UTF-16 surrogate \ud83d in string`},
		{"second YAML document", "inv.yaml", y + "---\nschemaVersion: 2\n",
			"inv.yaml: line 3: a second YAML document starts here; an inventory file holds exactly one"},
		{"second YAML document, broken", "inv.yaml", y + "--- \n  [unclosed\n",
			"inv.yaml: line 3: a second YAML document starts here; an inventory file holds exactly one"},
		{"second YAML document after an explicit first", "inv.yaml", "# estate\n---\n" + y + "# next\n\n--- # again\n: :\n",
			"inv.yaml: line 7: a second YAML document starts here; an inventory file holds exactly one"},
		{"second YAML document after an end marker", "inv.yaml", y + "...\n# trailer\n%YAML 1.2\n---\nx: 1\n",
			"inv.yaml: line 5: a second YAML document starts here; an inventory file holds exactly one"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := inventory.Parse(tc.file, []byte(tc.doc))
			if !inventory.IsLoadError(err) {
				t.Fatalf("Parse = %v, want a *LoadError", err)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("got\n%v\nwant\n%s", err, tc.want)
			}
		})
	}
	// A valid pair is one character; an explicit start and an end marker
	// with only comments after it are still one document.
	ok := []struct{ file, doc string }{
		{"inv.json", strings.Replace(base, `"West US"`, `"West US \ud83d\ude00"`, 1)},
		{"inv.yaml", "---\n" + y + "...\n# the end\n"},
	}
	for _, c := range ok {
		if _, err := inventory.Parse(c.file, []byte(c.doc)); err != nil {
			t.Errorf("%s: %v", c.file, err)
		}
	}
}
