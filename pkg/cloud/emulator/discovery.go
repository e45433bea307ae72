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
	e := smapi.FromInventory(inv)
	s.mu.Lock()
	for _, a := range e.Storage {
		s.classic[strings.ToLower(a.ServiceName)] = a
	}
	s.mu.Unlock()
	return e, true
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
// deployments are embedded, each role with its MigrationState.
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
			if !s.roleStates(w, r, hs.ServiceName, &hs.Deployments[i]) {
				return
			}
		}
		writeXML(w, http.StatusOK, hs)
		return
	}
	writeXMLError(w, http.StatusNotFound, "ResourceNotFound", "The hosted service does not exist.")
}

// roleStates sets the migration state of each role of dep, where Azure
// reports it (Deployment/RoleList/Role/MigrationState: azure-asm-compute's
// DeploymentOperations.getByName reads it there, and the deployment itself
// carries none). ok false means the error was answered.
func (s *Server) roleStates(w http.ResponseWriter, r *http.Request, svc string, dep *smapi.Deployment) bool {
	st, ok := s.state(w, r, smapi.Resource{Kind: smapi.KindCloudService, Name: svc, Deployment: dep.Name})
	if !ok {
		return false
	}
	for i := range dep.Roles {
		dep.Roles[i].MigrationState = st
	}
	return true
}

// getDeployment answers a deployment by name or by slot, each role with its
// MigrationState. A deployment whose classic resources are gone (after
// Commit) answers 404 like any unknown one: Commit deletes the classic
// resources ("the classic resources are deleted", learn.microsoft.com
// virtual-machines/migration-classic-resource-manager-deep-dive, Commit).
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
	if found == nil {
		writeXMLError(w, http.StatusNotFound, "ResourceNotFound", "No deployments were found.")
		return
	}
	if !s.roleStates(w, r, svc, found) {
		return
	}
	writeXML(w, http.StatusOK, found)
}

// listStorage answers every classic account with its MigrationState, a
// child of StorageService beside StorageServiceProperties
// (azure-asm-storage's StorageAccountOperations.list reads it there).
func (s *Server) listStorage(w http.ResponseWriter, r *http.Request) {
	e, ok := s.estate(w, r)
	if !ok {
		return
	}
	out := smapi.StorageServices{Services: []smapi.StorageService{}}
	for _, x := range e.Storage {
		st, ok := s.state(w, r, smapi.Resource{Kind: smapi.KindStorage, Name: x.ServiceName})
		if !ok {
			return
		}
		x.MigrationState = st
		out.Services = append(out.Services, x)
	}
	writeXML(w, http.StatusOK, out)
}

// getStorage answers one classic account with its MigrationState
// (StorageAccountOperations.get reads it beside the properties); a
// committed account is gone, 404.
func (s *Server) getStorage(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	e, ok := s.estate(w, r)
	if !ok {
		return
	}
	for _, x := range e.Storage {
		if !strings.EqualFold(x.ServiceName, name) {
			continue
		}
		st, ok := s.state(w, r, smapi.Resource{Kind: smapi.KindStorage, Name: x.ServiceName})
		if !ok {
			return
		}
		x.MigrationState = st
		writeXML(w, http.StatusOK, x)
		return
	}
	writeXMLError(w, http.StatusNotFound, "ResourceNotFound", "The storage account '"+name+"' was not found.")
}

// getStorageKeys answers Get Storage Keys for a classic account: Azurite's
// key as both keys (Azurite has one), after copying the account's VHDs
// into Azurite so Get Blob Properties through the configured blob endpoint
// reports their sizes. Without a blob endpoint the emulator has no Blob
// service to give keys to, and says so with 501 (as listKeys does); Azure
// always answers.
func (s *Server) getStorageKeys(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	e, ok := s.estate(w, r)
	if !ok {
		return
	}
	var acct *smapi.StorageService
	for i := range e.Storage {
		if strings.EqualFold(e.Storage[i].ServiceName, name) {
			acct = &e.Storage[i]
		}
	}
	if acct == nil {
		writeXMLError(w, http.StatusNotFound, "ResourceNotFound", "The storage account '"+name+"' was not found.")
		return
	}
	if s.blobs == nil || s.o.DiskData == nil {
		writeXMLError(w, http.StatusNotImplemented, "NotImplemented", "This emulator has no blob endpoint or disk data.")
		return
	}
	if err := s.seed(r.Context(), strings.ToLower(acct.ServiceName)); err != nil {
		writeCloudError(w, err)
		return
	}
	key := s.o.BlobAccountKey
	if key == "" {
		key = DevAccountKey
	}
	writeXML(w, http.StatusOK, smapi.StorageServiceKeys{
		URL:  strings.TrimSuffix(s.url, "/") + "/" + r.PathValue("sub") + "/services/storageservices/" + acct.ServiceName,
		Keys: smapi.StorageKeys{Primary: key, Secondary: key},
	})
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

// listNetworking answers the VNet sites (each with its MigrationState,
// where azure-asm-network's NetworkOperations.list reads it), reserved IPs,
// NSGs (with their rules, as detaillevel=Full would) and route tables (with
// their routes).
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
		out := smapi.VirtualNetworkSites{Sites: []smapi.VirtualNetworkSite{}}
		for _, x := range e.Sites {
			st, ok := s.state(w, r, smapi.Resource{Kind: smapi.KindVNet, Name: x.Name})
			if !ok {
				return
			}
			x.MigrationState = st
			out.Sites = append(out.Sites, x)
		}
		writeXML(w, http.StatusOK, out)
	case smapi.KindNSG:
		writeXML(w, http.StatusOK, smapi.NetworkSecurityGroups{Groups: e.NSGs})
	case smapi.KindRouteTable:
		writeXML(w, http.StatusOK, smapi.RouteTables{Tables: e.RouteTables})
	case smapi.KindReservedIP:
		writeXML(w, http.StatusOK, smapi.ReservedIPs{IPs: e.ReservedIPs})
	}
}

// getNetworking answers one NSG, route table or reserved IP with its
// MigrationState; a committed one is gone (404). The Node clients do not
// read MigrationState on these GETs, and no public source shows where Azure
// puts it for them, so the state stays on the resource's own document.
// There is no single VNet site GET in the real API (azure-asm-network's
// NetworkOperations has list only): the VNet path answers 404.
func (s *Server) getNetworking(w http.ResponseWriter, r *http.Request) {
	res, ok := resourceOf(r)
	if !ok || res.Kind == smapi.KindVNet {
		writeXMLError(w, http.StatusNotFound, "ResourceNotFound", "The specified resource does not exist.")
		return
	}
	e, ok := s.estate(w, r)
	if !ok {
		return
	}
	var (
		out   any
		found bool
	)
	switch res.Kind {
	case smapi.KindNSG:
		x, ok := byName(e.NSGs, res.Name, func(x smapi.NetworkSecurityGroup) string { return x.Name })
		if ok {
			if x.MigrationState, ok = s.state(w, r, res); !ok {
				return
			}
			out, found = x, true
		}
	case smapi.KindRouteTable:
		x, ok := byName(e.RouteTables, res.Name, func(x smapi.RouteTable) string { return x.Name })
		if ok {
			if x.MigrationState, ok = s.state(w, r, res); !ok {
				return
			}
			out, found = x, true
		}
	case smapi.KindReservedIP:
		x, ok := byName(e.ReservedIPs, res.Name, func(x smapi.ReservedIP) string { return x.Name })
		if ok {
			if x.MigrationState, ok = s.state(w, r, res); !ok {
				return
			}
			out, found = x, true
		}
	}
	if !found {
		writeXMLError(w, http.StatusNotFound, "ResourceNotFound", "The specified resource does not exist.")
		return
	}
	writeXML(w, http.StatusOK, out)
}

// byName returns the last element of list named name (case-insensitive,
// Azure's rule); ok false when there is none.
func byName[T any](list []T, name string, nameOf func(T) string) (out T, ok bool) {
	for _, x := range list {
		if strings.EqualFold(nameOf(x), name) {
			out, ok = x, true
		}
	}
	return out, ok
}
