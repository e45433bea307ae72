//go:build !race

package convert_test

const raceBuild = false
