package validate

import "strings"

// VMCores returns the number of cores of a classic or Resource Manager VM
// size, and whether the size is known. Sizes are matched case-insensitively,
// with or without the "Standard_" prefix ("Standard_D2_v2", "d2_v2", "Small",
// "Basic_A1"). The shared-core sizes (ExtraSmall, A0, Basic_A0) count as one
// core, as the regional vCPU quota counts them.
func VMCores(size string) (int, bool) {
	s := strings.ToLower(strings.TrimSpace(size))
	s = strings.TrimPrefix(s, "standard_")
	n, ok := vmCores(s)
	return n, ok
}

// vmCores looks a folded size name up. A switch rather than a map keeps the
// table immutable without a package variable.
func vmCores(s string) (int, bool) {
	switch s {
	// Classic names and the A series (ExtraSmall..ExtraLarge are A0..A4).
	case "extrasmall", "a0", "basic_a0",
		"small", "a1", "basic_a1",
		"a1_v2",
		"d1", "ds1", "d1_v2", "ds1_v2",
		"f1", "f1s":
		return 1, true
	case "medium", "a2", "basic_a2", "a5",
		"a2_v2", "a2m_v2",
		"d2", "ds2", "d11", "ds11",
		"d2_v2", "ds2_v2", "d11_v2", "ds11_v2",
		"g1", "gs1",
		"f2", "f2s":
		return 2, true
	case "large", "a3", "basic_a3", "a6",
		"a4_v2", "a4m_v2",
		"d3", "ds3", "d12", "ds12",
		"d3_v2", "ds3_v2", "d12_v2", "ds12_v2",
		"g2", "gs2",
		"f4", "f4s":
		return 4, true
	case "extralarge", "a4", "basic_a4", "a7", "a8", "a10",
		"a8_v2", "a8m_v2",
		"d4", "ds4", "d13", "ds13",
		"d4_v2", "ds4_v2", "d13_v2", "ds13_v2",
		"g3", "gs3",
		"f8", "f8s":
		return 8, true
	case "a9", "a11",
		"d14", "ds14",
		"d5_v2", "ds5_v2", "d14_v2", "ds14_v2",
		"g4", "gs4",
		"f16", "f16s":
		return 16, true
	case "d15_v2", "ds15_v2":
		return 20, true
	case "g5", "gs5":
		return 32, true
	}
	return 0, false
}
