// Package inventory is the inventory v1 model (shared/spec/inventory.md), its
// strict loader for JSON and YAML, and its cross-checks: every reference
// resolves, names are well formed and unique, a disk is attached once.
package inventory
