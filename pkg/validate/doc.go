// Package validate holds the offline validation rules of shared/spec/rules.md,
// one small function each, and the findings they return. Check runs every
// rule over an inventory and its plan and collects every finding (never
// first-error), sorted deterministically; FromPlatform turns the platform's
// own Validate messages into findings of rule "platform"; Blocked says which
// units an error finding blocks.
//
// The rules catch what the platform documents as unsupported, what its
// Validate reports, and what only fails at Prepare (inside a change window):
// catching those offline is one of the reasons this tool exists.
package validate
