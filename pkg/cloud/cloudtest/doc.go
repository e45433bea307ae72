// Package cloudtest is the conformance suite every cloud.Migrator must pass
// (sim, the azure driver against `migrate sim serve`, and any test double),
// and the small classic estate it runs on. Drivers call Run from their own
// tests with a constructor that makes a fresh driver over a fresh cloud.
package cloudtest
