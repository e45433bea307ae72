package validate

import "testing"

func TestVMCores(t *testing.T) {
	tests := []struct {
		size  string
		cores int
		known bool
	}{
		{"ExtraSmall", 1, true}, {"Small", 1, true}, {"Medium", 2, true}, {"Large", 4, true}, {"ExtraLarge", 8, true},
		{"A0", 1, true}, {"A4", 8, true}, {"A5", 2, true}, {"A7", 8, true}, {"A8", 8, true}, {"A9", 16, true}, {"A10", 8, true}, {"A11", 16, true},
		{"Standard_A6", 4, true}, {"standard_a11", 16, true}, {"Basic_A0", 1, true}, {"Basic_A4", 8, true},
		{"Standard_A1_v2", 1, true}, {"A2m_v2", 2, true}, {"Standard_A8m_v2", 8, true}, {"A8_v2", 8, true},
		{"Standard_D1", 1, true}, {"D4", 8, true}, {"D11", 2, true}, {"Standard_D14", 16, true},
		{"Standard_D1_v2", 1, true}, {"D5_v2", 16, true}, {"Standard_D15_v2", 20, true}, {"D12_v2", 4, true},
		{"Standard_DS1", 1, true}, {"DS14", 16, true}, {"Standard_DS2_v2", 2, true}, {"DS15_v2", 20, true},
		{"G1", 2, true}, {"Standard_G5", 32, true}, {"GS3", 8, true}, {"Standard_GS5", 32, true},
		{"F1", 1, true}, {"Standard_F16", 16, true}, {"F1s", 1, true}, {"Standard_F8s", 8, true},
		{" STANDARD_D2 ", 2, true},
		{"", 0, false}, {"Standard_", 0, false}, {"Standard_Z9", 0, false}, {"D5", 0, false}, {"Standard_Basic_A1", 1, true},
	}
	for _, tt := range tests {
		cores, known := VMCores(tt.size)
		if cores != tt.cores || known != tt.known {
			t.Errorf("VMCores(%q) = %d, %v; want %d, %v", tt.size, cores, known, tt.cores, tt.known)
		}
	}
}
