package azure

import (
	"strings"
	"testing"
)

func TestClassicVNetOf(t *testing.T) {
	const sub = "0a1b2c3d-0000-4000-8000-000000000001"
	for _, tc := range []struct {
		id, name string
	}{
		{"/subscriptions/" + sub + "/resourceGroups/Default-Networking/providers/Microsoft.ClassicNetwork/virtualNetworks/vnet1", "vnet1"},
		// The AAD Domain Services example's form: a subnet of the VNet.
		{"/subscriptions/" + sub + "/resourceGroups/Default-Networking/providers/Microsoft.ClassicNetwork/virtualNetworks/DCIaasTmpWusNet/subnets/Subnet-1", "DCIaasTmpWusNet"},
		{"/SUBSCRIPTIONS/" + strings.ToUpper(sub) + "/resourcegroups/rg/providers/microsoft.classicnetwork/VIRTUALNETWORKS/v/SUBNETS/s", "v"},
		// Resource Manager VNets, other subscriptions and broken ids are
		// not classic VNets of this subscription.
		{"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet1", ""},
		{"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/s", ""},
		{"/subscriptions/other/resourceGroups/rg/providers/Microsoft.ClassicNetwork/virtualNetworks/vnet1", ""},
		{"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.ClassicNetwork/virtualNetworks/vnet1/subnets/", ""},
		{"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.ClassicNetwork/virtualNetworks/vnet1/other/s", ""},
		{"/subscriptions/" + sub + "/resourceGroups//providers/Microsoft.ClassicNetwork/virtualNetworks/vnet1", ""},
		{"", ""},
		{"vnet1", ""},
	} {
		name, ok := classicVNetOf(tc.id, sub)
		if name != tc.name || ok != (tc.name != "") {
			t.Errorf("classicVNetOf(%q) = %q, %v; want %q", tc.id, name, ok, tc.name)
		}
	}
}

func FuzzClassicVNetOf(f *testing.F) {
	f.Add("/subscriptions/s/resourceGroups/Default-Networking/providers/Microsoft.ClassicNetwork/virtualNetworks/v/subnets/a", "s")
	f.Add("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v", "s")
	f.Fuzz(func(t *testing.T, id, sub string) {
		name, ok := classicVNetOf(id, sub)
		if ok && (name == "" || strings.Contains(name, "/") || !strings.Contains(id, name)) {
			t.Errorf("classicVNetOf(%q, %q) = %q", id, sub, name)
		}
		if !ok && name != "" {
			t.Errorf("classicVNetOf(%q, %q) = %q, false", id, sub, name)
		}
	})
}
