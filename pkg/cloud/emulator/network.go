package emulator

import (
	"net/http"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud/azure/smapi"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// networkRoutes serves the network reads discovery makes beyond the
// resource lists: a VNet's gateway and its connections, a subnet's route
// table, the application gateways and the ExpressRoute circuits with their
// VNet links, each from the estate the emulator serves.
func (s *Server) networkRoutes(mux *http.ServeMux) {
	mux.Handle("GET /{sub}/services/networking/{vnet}/gateway", s.sm(s.getGateway))
	mux.Handle("GET /{sub}/services/networking/{vnet}/gateway/connections", s.sm(s.listGatewayConnections))
	mux.Handle("GET /{sub}/services/networking/virtualnetwork/{vnet}/subnets/{subnet}/routetables", s.sm(s.subnetRouteTable))
	mux.Handle("GET /{sub}/services/networking/ApplicationGateways", s.sm(s.listApplicationGateways))
	mux.Handle("GET /{sub}/services/networking/dedicatedcircuits", s.sm(s.listCircuits))
	mux.Handle("GET /{sub}/services/networking/authorizeddedicatedcircuits", s.sm(s.listAuthorizedCircuits))
	mux.Handle("GET /{sub}/services/networking/dedicatedcircuits/{key}/vnets", s.sm(s.listCircuitLinks))
}

// siteGateway is the estate's gateway of the VNet in the path; ok false
// means the answer (404 for a VNet with no gateway, or none at all) was
// written.
func (s *Server) siteGateway(w http.ResponseWriter, r *http.Request) (*smapi.Estate, string, bool) {
	e, ok := s.estate(w, r)
	if !ok {
		return nil, "", false
	}
	k := inventory.Key(r.PathValue("vnet"))
	if _, ok := e.Gateways[k]; !ok {
		writeXMLError(w, http.StatusNotFound, "ResourceNotFound", "The virtual network has no gateway.")
		return nil, "", false
	}
	return e, k, true
}

func (s *Server) getGateway(w http.ResponseWriter, r *http.Request) {
	if e, k, ok := s.siteGateway(w, r); ok {
		writeXML(w, http.StatusOK, e.Gateways[k])
	}
}

func (s *Server) listGatewayConnections(w http.ResponseWriter, r *http.Request) {
	if e, k, ok := s.siteGateway(w, r); ok {
		writeXML(w, http.StatusOK, smapi.GatewayConnections{Connections: e.Connections[k]})
	}
}

// subnetRouteTable answers the subnet's route table association, 404 when
// it has none (or the VNet or subnet is unknown), as Azure does.
func (s *Server) subnetRouteTable(w http.ResponseWriter, r *http.Request) {
	e, ok := s.estate(w, r)
	if !ok {
		return
	}
	rt, ok := e.SubnetRouteTables[smapi.SubnetKey(r.PathValue("vnet"), r.PathValue("subnet"))]
	if !ok {
		writeXMLError(w, http.StatusNotFound, "ResourceNotFound", "The subnet has no route table.")
		return
	}
	writeXML(w, http.StatusOK, smapi.RouteTableAssociation{RouteTableName: rt})
}

func (s *Server) listApplicationGateways(w http.ResponseWriter, r *http.Request) {
	if e, ok := s.estate(w, r); ok {
		writeXML(w, http.StatusOK, smapi.ApplicationGateways{Gateways: e.AppGateways})
	}
}

func (s *Server) listCircuits(w http.ResponseWriter, r *http.Request) {
	if e, ok := s.estate(w, r); ok {
		writeXML(w, http.StatusOK, smapi.DedicatedCircuits{Circuits: e.Circuits})
	}
}

func (s *Server) listAuthorizedCircuits(w http.ResponseWriter, r *http.Request) {
	if e, ok := s.estate(w, r); ok {
		writeXML(w, http.StatusOK, smapi.AuthorizedDedicatedCircuits{Circuits: e.Authorized})
	}
}

// listCircuitLinks answers a circuit's VNet links; an unknown service key
// is 404.
func (s *Server) listCircuitLinks(w http.ResponseWriter, r *http.Request) {
	e, ok := s.estate(w, r)
	if !ok {
		return
	}
	key := r.PathValue("key")
	for _, c := range append(append([]smapi.DedicatedCircuit{}, e.Circuits...), e.Authorized...) {
		if strings.EqualFold(c.ServiceKey, key) {
			writeXML(w, http.StatusOK, smapi.DedicatedCircuitLinks{Links: e.CircuitLinks[c.ServiceKey]})
			return
		}
	}
	writeXMLError(w, http.StatusNotFound, "ResourceNotFound", "The dedicated circuit does not exist.")
}
