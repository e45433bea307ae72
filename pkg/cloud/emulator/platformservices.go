package emulator

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// The Resource Manager lists of platform services that can run in a
// classic VNet, served from the classic estate's platformServices: one
// resource per VNet and service, named by a hash of both, naming the VNet
// (and its first subnet) by the classic VNet's Resource Manager id. Shapes
// and paths follow Azure/azure-rest-api-specs (cited per list); only the
// fields a client needs to place the service are filled. Dynamics
// Lifecycle Services has no Resource Manager resource (see the driver's
// platformservices.go) and is not served.

// defaultClassicSubnet names the subnet of a VNet the estate lists none
// for: the classic portal's default, as in the same example.
const defaultClassicSubnet = "Subnet-1"

// platformServiceSite is where one platform service runs: its
// subscription, the classic VNet and subnet, and the names of its own
// resource and resource group.
type platformServiceSite struct {
	sub, location     string
	vnetID, subnetID  string
	subnet            string
	name, group, hash string
}

// id is the Resource Manager id of the site's resource of type typ.
func (p platformServiceSite) id(typ string) string {
	return armapi.ResourceID(p.sub, p.group, typ, p.name)
}

// platformServiceRoutes adds the platform service lists by subscription.
func (s *Server) platformServiceRoutes(mux *http.ServeMux) {
	const sub = "/subscriptions/{sub}/providers/"
	mux.Handle("GET "+sub+"Microsoft.Web/hostingEnvironments",
		s.arm(s.listPlatformService(inventory.PlatformAppServiceEnvironment, "Microsoft.Web", "ase", hostingEnvironment)))
	mux.Handle("GET "+sub+"Microsoft.HDInsight/clusters",
		s.arm(s.listPlatformService(inventory.PlatformHDInsight, "Microsoft.HDInsight", "hdi", hdinsightCluster)))
	mux.Handle("GET "+sub+"Microsoft.ApiManagement/service",
		s.arm(s.listPlatformService(inventory.PlatformApiManagement, "Microsoft.ApiManagement", "apim", apiManagementService)))
	mux.Handle("GET "+sub+"Microsoft.AAD/domainServices", s.arm(func(w http.ResponseWriter, r *http.Request) {
		replicaSets := r.URL.Query().Get("api-version") >= firstReplicaSetsAPI
		s.listPlatformService(inventory.PlatformAzureADDomainServices, "Microsoft.AAD", "aadds", func(p platformServiceSite) any {
			return domainService(p, replicaSets)
		})(w, r)
	}))
}

// listPlatformService answers the list of service's resources, each
// rendered by render; prefix starts their names. A subscription not
// registered for namespace is refused (refuseUnregistered).
func (s *Server) listPlatformService(service, namespace, prefix string, render func(platformServiceSite) any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.refuseUnregistered(w, namespace) {
			return
		}
		inv, err := s.d.Discover(r.Context())
		if err != nil {
			status, code, msg, _ := errorStatus(err)
			armError(w, status, code, msg)
			return
		}
		sub := r.PathValue("sub")
		value := []any{}
		for _, vn := range inv.VirtualNetworks {
			if !hasPlatformService(vn, service) {
				continue
			}
			sum := sha256.Sum256([]byte(service + "\x00" + inventory.Key(vn.Name)))
			h := hex.EncodeToString(sum[:])
			loc := vn.Location
			if loc == "" {
				loc = inv.DefaultLocation
			}
			subnet := defaultClassicSubnet
			if len(vn.Subnets) > 0 {
				subnet = vn.Subnets[0].Name
			}
			vnetID := armapi.ResourceID(sub, armapi.ClassicNetworkingResourceGroup, armapi.TypeClassicVirtualNetworks, vn.Name)
			name := prefix + "-" + h[:8]
			value = append(value, render(platformServiceSite{
				sub: sub, location: armapi.Location(loc), vnetID: vnetID, subnetID: vnetID + "/subnets/" + subnet,
				subnet: subnet, name: name, group: name + "-rg", hash: h,
			}))
		}
		writeJSON(w, http.StatusOK, map[string]any{"value": value})
	}
}

// hasPlatformService reports whether vn holds service.
func hasPlatformService(vn inventory.VirtualNetwork, service string) bool {
	for _, s := range vn.PlatformServices {
		if strings.EqualFold(s, service) {
			return true
		}
	}
	return false
}

// hostingEnvironment is an App Service Environment v1 as
// AppServiceEnvironments_List answers it (specification/web/
// resource-manager/Microsoft.Web/stable/2022-03-01/
// AppServiceEnvironments.json, AppServiceEnvironmentResource: kind,
// properties.virtualNetwork a VirtualNetworkProfile of the VNet's id and
// the subnet's name).
func hostingEnvironment(p platformServiceSite) any {
	return map[string]any{
		"id": p.id("Microsoft.Web/hostingEnvironments"), "name": p.name, "type": "Microsoft.Web/hostingEnvironments",
		"kind": "ASEV1", "location": p.location,
		"properties": map[string]any{
			"provisioningState": "Succeeded", "status": "Ready",
			"virtualNetwork": map[string]any{
				"id": p.vnetID, "name": armapi.NameOf(p.vnetID), "type": "Microsoft.ClassicNetwork/virtualNetworks", "subnet": p.subnet,
			},
			"internalLoadBalancingMode": "None", "multiSize": "Standard_D1_V2", "frontEndScaleFactor": 15,
			"dnsSuffix": p.name + ".p.azurewebsites.net",
		},
	}
}

// hdinsightCluster is an HDInsight cluster as Clusters_List answers it
// (specification/hdinsight/resource-manager/Microsoft.HDInsight/stable/
// 2021-06-01/cluster.json, Cluster: properties.computeProfile.roles[],
// each with a virtualNetworkProfile of the VNet's id and the subnet, as
// the spec's examples give it, by its id). A cluster in a classic VNet is
// a Windows one, the only kind that ran there.
func hdinsightCluster(p platformServiceSite) any {
	role := func(name string, n int) map[string]any {
		return map[string]any{
			"name": name, "minInstanceCount": 1, "targetInstanceCount": n,
			"hardwareProfile":       map[string]any{"vmSize": "Standard_D3_V2"},
			"virtualNetworkProfile": map[string]any{"id": p.vnetID, "subnet": p.subnetID},
		}
	}
	return map[string]any{
		"id": p.id("Microsoft.HDInsight/clusters"), "name": p.name, "type": "Microsoft.HDInsight/clusters",
		"location": p.location, "etag": p.hash[8:40],
		"properties": map[string]any{
			"clusterVersion": "3.3.1000.0", "osType": "Windows", "tier": "Standard",
			"clusterId":         p.hash[:32],
			"clusterDefinition": map[string]any{"kind": "Hadoop"},
			"computeProfile":    map[string]any{"roles": []any{role("headnode", 2), role("workernode", 4)}},
			"provisioningState": "Succeeded", "clusterState": "Running",
		},
	}
}

// apiManagementService is an API Management service as
// ApiManagementService_List answers it (specification/apimanagement/
// resource-manager/Microsoft.ApiManagement/stable/2021-08-01/
// apimdeployment.json, ApiManagementServiceResource: sku and the
// publisher required; properties.virtualNetworkConfiguration with the
// subnetResourceId its pattern allows in Microsoft.ClassicNetwork, and
// the read-only vnetid GUID and subnetname). A service in a classic VNet
// runs on the stv1 platform.
func apiManagementService(p platformServiceSite) any {
	return map[string]any{
		"id": p.id("Microsoft.ApiManagement/service"), "name": p.name, "type": "Microsoft.ApiManagement/service",
		"location": p.location, "etag": p.hash[8:40],
		"sku": map[string]any{"name": "Developer", "capacity": 1},
		"properties": map[string]any{
			"publisherEmail": "admin@" + p.name + ".example.com", "publisherName": p.name,
			"provisioningState": "Succeeded", "targetProvisioningState": "",
			"gatewayUrl":         "https://" + p.name + ".azure-api.net",
			"virtualNetworkType": "External", "platformVersion": "stv1",
			"virtualNetworkConfiguration": map[string]any{
				"vnetid": guidOf(p.hash), "subnetname": p.subnet, "subnetResourceId": p.subnetID,
			},
		},
	}
}

// guidOf formats the first 32 hex digits of h as a GUID.
func guidOf(h string) string {
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// firstReplicaSetsAPI is the first Microsoft.AAD version that reports a
// managed domain's network per replica set (specification/domainservices/
// resource-manager/Microsoft.AAD/stable/2020-01-01/domainservices.json,
// ReplicaSet); earlier ones report it on the domain's properties.
const firstReplicaSetsAPI = "2020-01-01"

// domainService is an Azure AD Domain Services managed domain as
// DomainServices_List answers it. Up to 2017-06-01 (the 2017-01-01
// example ListDomainServicesBySubscription.json) properties.subnetId is
// the classic subnet's Resource Manager id beside vnetSiteId, the classic
// VNet site's GUID; from 2020-01-01 the same two are in each of
// properties.replicaSets[].
func domainService(p platformServiceSite, replicaSets bool) any {
	domain := p.name + ".onmicrosoft.com"
	props := map[string]any{
		"tenantId": guidOf(p.hash[32:]), "domainName": domain,
		"provisioningState": "Succeeded",
	}
	network := map[string]any{
		"vnetSiteId": guidOf(p.hash[16:48]), "subnetId": p.subnetID,
		"domainControllerIpAddress": []string{}, "serviceStatus": "Running",
	}
	if replicaSets {
		network["replicaSetId"] = guidOf(p.hash)
		network["location"] = p.location
		props["replicaSets"] = []any{network}
		props["deploymentId"] = guidOf(p.hash[24:56])
	} else {
		for k, v := range network {
			props[k] = v
		}
	}
	return map[string]any{
		// A managed domain's resource is named by its domain, as in the
		// example.
		"id":   armapi.ResourceID(p.sub, p.group, "Microsoft.AAD/domainServices", domain),
		"name": domain, "type": "Microsoft.AAD/domainServices",
		"location": p.location, "etag": "W/\"" + p.hash[8:40] + "\"", "properties": props,
	}
}

// refuseUnregistered answers a call on namespace as Resource Manager does
// when the subscription is not registered for it (Options.Providers says
// so): 409 MissingSubscriptionRegistration (azure-docs articles/
// azure-resource-manager/troubleshooting/error-register-resource-provider.md).
// It reports whether it answered.
func (s *Server) refuseUnregistered(w http.ResponseWriter, namespace string) bool {
	for k, v := range s.o.Providers {
		if strings.EqualFold(k, namespace) && !strings.EqualFold(v, "Registered") {
			armError(w, http.StatusConflict, "MissingSubscriptionRegistration",
				"The subscription is not registered to use namespace '"+namespace+"'. See https://aka.ms/rps-not-found for how to register subscriptions.")
			return true
		}
	}
	return false
}

// registered is h behind refuseUnregistered.
func (s *Server) registered(namespace string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.refuseUnregistered(w, namespace) {
			h(w, r)
		}
	}
}
