package emulator

import (
	"net/http"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud/azure/smapi"
)

// estate renders the discoverer's current classic estate; ok false means
// the error was answered.
func (s *Server) estate(w http.ResponseWriter, r *http.Request) (*smapi.Estate, bool) {
	inv, err := s.d.Discover(r.Context())
	if err != nil {
		writeCloudError(w, err)
		return nil, false
	}
	return smapi.FromInventory(inv), true
}

// state reads a resource's migration state; ok false means the error
// (404 for an unknown resource) was answered.
func (s *Server) state(w http.ResponseWriter, r *http.Request, res smapi.Resource) (string, bool) {
	st, err := s.m.State(r.Context(), targetOf(res))
	if err != nil {
		writeCloudError(w, err)
		return "", false
	}
	return string(st), true
}

func (s *Server) listHostedServices(w http.ResponseWriter, r *http.Request) {
	e, ok := s.estate(w, r)
	if !ok {
		return
	}
	out := smapi.HostedServices{Services: []smapi.HostedService{}}
	for _, hs := range e.Services {
		hs.Deployments = nil // the list names services; embed-detail is per service
		out.Services = append(out.Services, hs)
	}
	writeXML(w, http.StatusOK, out)
}

// getHostedService answers one service; with embed-detail=true its
// deployments are embedded, each with its MigrationState.
func (s *Server) getHostedService(w http.ResponseWriter, r *http.Request) {
	e, ok := s.estate(w, r)
	if !ok {
		return
	}
	for _, hs := range e.Services {
		if !strings.EqualFold(hs.ServiceName, r.PathValue("svc")) {
			continue
		}
		if r.URL.Query().Get("embed-detail") != "true" {
			hs.Deployments = nil
		}
		for i := range hs.Deployments {
			st, ok := s.state(w, r, smapi.Resource{Kind: smapi.KindCloudService, Name: hs.ServiceName, Deployment: hs.Deployments[i].Name})
			if !ok {
				return
			}
			hs.Deployments[i].MigrationState = st
		}
		writeXML(w, http.StatusOK, hs)
		return
	}
	writeXMLError(w, http.StatusNotFound, "ResourceNotFound", "The hosted service does not exist.")
}

// getDeployment answers a deployment by name or by slot, with its
// MigrationState. A deployment whose classic resources are gone (after
// Commit) but that the migrator still knows is answered with its name and
// state alone.
func (s *Server) getDeployment(w http.ResponseWriter, r *http.Request) {
	svc, dep, slot := r.PathValue("svc"), r.PathValue("dep"), r.PathValue("slot")
	e, ok := s.estate(w, r)
	if !ok {
		return
	}
	var found *smapi.Deployment
	for _, hs := range e.Services {
		if !strings.EqualFold(hs.ServiceName, svc) {
			continue
		}
		for i, d := range hs.Deployments {
			if (dep != "" && strings.EqualFold(d.Name, dep)) || (slot != "" && strings.EqualFold(d.DeploymentSlot, slot)) {
				found = &hs.Deployments[i]
			}
		}
	}
	if found == nil && dep == "" {
		writeXMLError(w, http.StatusNotFound, "ResourceNotFound", "No deployment in slot "+slot+".")
		return
	}
	if found == nil {
		found = &smapi.Deployment{Name: dep}
	}
	st, ok := s.state(w, r, smapi.Resource{Kind: smapi.KindCloudService, Name: svc, Deployment: found.Name})
	if !ok {
		return
	}
	found.MigrationState = st
	writeXML(w, http.StatusOK, found)
}

func (s *Server) listStorage(w http.ResponseWriter, r *http.Request) {
	if e, ok := s.estate(w, r); ok {
		writeXML(w, http.StatusOK, smapi.StorageServices{Services: e.Storage})
	}
}

func (s *Server) getStorage(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	e, ok := s.estate(w, r)
	if !ok {
		return
	}
	st, ok := s.state(w, r, smapi.Resource{Kind: smapi.KindStorage, Name: name})
	if !ok {
		return
	}
	out := smapi.StorageService{ServiceName: name}
	for _, x := range e.Storage {
		if strings.EqualFold(x.ServiceName, name) {
			out = x
		}
	}
	out.Properties.MigrationState = st
	writeXML(w, http.StatusOK, out)
}

func (s *Server) listDisks(w http.ResponseWriter, r *http.Request) {
	if e, ok := s.estate(w, r); ok {
		writeXML(w, http.StatusOK, smapi.Disks{Disks: e.Disks})
	}
}

func (s *Server) listImages(w http.ResponseWriter, r *http.Request) {
	if e, ok := s.estate(w, r); ok {
		writeXML(w, http.StatusOK, smapi.Images{Images: e.Images})
	}
}

func (s *Server) listVMImages(w http.ResponseWriter, r *http.Request) {
	if e, ok := s.estate(w, r); ok {
		writeXML(w, http.StatusOK, smapi.VMImages{Images: e.VMImages})
	}
}

// listNetworking answers the VNet sites, reserved IPs, NSGs (with their
// rules, as detaillevel=Full would) and route tables (with their routes).
func (s *Server) listNetworking(w http.ResponseWriter, r *http.Request) {
	coll := r.PathValue("coll")
	if _, ok := collections[coll]; !ok {
		writeXMLError(w, http.StatusNotFound, "ResourceNotFound", "Unknown networking collection.")
		return
	}
	e, ok := s.estate(w, r)
	if !ok {
		return
	}
	switch collections[coll] {
	case smapi.KindVNet:
		writeXML(w, http.StatusOK, smapi.VirtualNetworkSites{Sites: e.Sites})
	case smapi.KindNSG:
		writeXML(w, http.StatusOK, smapi.NetworkSecurityGroups{Groups: e.NSGs})
	case smapi.KindRouteTable:
		writeXML(w, http.StatusOK, smapi.RouteTables{Tables: e.RouteTables})
	case smapi.KindReservedIP:
		writeXML(w, http.StatusOK, smapi.ReservedIPs{IPs: e.ReservedIPs})
	}
}

// getNetworking answers one VNet site, NSG, route table or reserved IP with
// its MigrationState.
func (s *Server) getNetworking(w http.ResponseWriter, r *http.Request) {
	res, ok := resourceOf(r)
	if !ok {
		writeXMLError(w, http.StatusNotFound, "ResourceNotFound", "Unknown networking collection.")
		return
	}
	e, ok := s.estate(w, r)
	if !ok {
		return
	}
	st, ok := s.state(w, r, res)
	if !ok {
		return
	}
	switch res.Kind {
	case smapi.KindVNet:
		out := byName(e.Sites, res.Name, func(x smapi.VirtualNetworkSite) string { return x.Name })
		if out.Name == "" {
			out.Name = res.Name
		}
		out.MigrationState = st
		writeXML(w, http.StatusOK, out)
	case smapi.KindNSG:
		out := byName(e.NSGs, res.Name, func(x smapi.NetworkSecurityGroup) string { return x.Name })
		if out.Name == "" {
			out.Name = res.Name
		}
		out.MigrationState = st
		writeXML(w, http.StatusOK, out)
	case smapi.KindRouteTable:
		out := byName(e.RouteTables, res.Name, func(x smapi.RouteTable) string { return x.Name })
		if out.Name == "" {
			out.Name = res.Name
		}
		out.MigrationState = st
		writeXML(w, http.StatusOK, out)
	case smapi.KindReservedIP:
		out := byName(e.ReservedIPs, res.Name, func(x smapi.ReservedIP) string { return x.Name })
		if out.Name == "" {
			out.Name = res.Name
		}
		out.MigrationState = st
		writeXML(w, http.StatusOK, out)
	}
}

// byName returns the last element of list named name (case-insensitive,
// Azure's rule), or the zero value when there is none.
func byName[T any](list []T, name string, nameOf func(T) string) T {
	var out T
	for _, x := range list {
		if strings.EqualFold(nameOf(x), name) {
			out = x
		}
	}
	return out
}
