// Package cloud defines what the phases need from a cloud: small, ctx-first
// driver interfaces whose comments state their contracts, the platform's
// migration states, and the errors callers branch on. The conformance suite
// every driver must pass lives in cloudtest.
package cloud
