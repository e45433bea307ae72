// Package cli is the command layer of migrate: cobra commands (one file per
// noun), viper configuration decoded once into a typed Config, IO streams,
// printers and the one function that maps errors to exit codes. Nothing
// below pkg/ imports cobra or viper; this package is where they stop.
package cli
