// Package inventorytest builds inventories for tests and benchmarks: a
// deterministic synthetic estate of any size that loads cleanly and trips no
// error or warning rule.
package inventorytest
