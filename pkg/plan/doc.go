// Package plan turns an inventory into the migration plan: the units that
// one Validate/Prepare/Commit call each covers, the dependencies between
// them, their waves, the critical path, and a forecast of how long a run
// takes with a given parallelism.
//
// A plan is an inert, deterministic artifact: the same inventory gives a
// byte-identical plan.
package plan
