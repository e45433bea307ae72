package smapi

import "encoding/xml"

// VNetGateway is GET /{sub}/services/networking/{vnet}/gateway: the VNet
// gateway's type, size and state (azure-asm-network's GatewayOperations.get
// reads Gateway/GatewayType, GatewaySize, State, VIPAddress). A VNet with no
// gateway answers 404.
type VNetGateway struct {
	XMLName     xml.Name `xml:"http://schemas.microsoft.com/windowsazure Gateway"`
	State       string   `xml:"State,omitempty"`
	VIPAddress  string   `xml:"VIPAddress,omitempty"`
	GatewayType string   `xml:"GatewayType,omitempty"`
	GatewaySize string   `xml:"GatewaySize,omitempty"`
}

// GatewayConnections is GET
// /{sub}/services/networking/{vnet}/gateway/connections
// (GatewayOperations.listConnections reads Connections/Connection with
// LocalNetworkSiteName and ConnectivityState).
type GatewayConnections struct {
	XMLName     xml.Name            `xml:"http://schemas.microsoft.com/windowsazure Connections"`
	Connections []GatewayConnection `xml:"Connection"`
}

// GatewayConnection is one site-to-site connection's state: Connected,
// Connecting or NotConnected.
type GatewayConnection struct {
	LocalNetworkSiteName string `xml:"LocalNetworkSiteName"`
	ConnectivityState    string `xml:"ConnectivityState"`
}

// RouteTableAssociation is GET
// /{sub}/services/networking/virtualnetwork/{vnet}/subnets/{subnet}/routetables
// (azure-asm-network's RouteOperations.getRouteTableForSubnet reads
// RouteTableAssociation/RouteTableName). A subnet with none answers 404.
type RouteTableAssociation struct {
	XMLName        xml.Name `xml:"http://schemas.microsoft.com/windowsazure RouteTableAssociation"`
	RouteTableName string   `xml:"RouteTableName"`
}

// ApplicationGateways is GET /{sub}/services/networking/ApplicationGateways
// (azure-asm-network's ApplicationGatewayOperations.list reads
// ApplicationGateways/ApplicationGateway with Name, VnetName, Subnets).
type ApplicationGateways struct {
	XMLName  xml.Name             `xml:"http://schemas.microsoft.com/windowsazure ApplicationGateways"`
	Gateways []ApplicationGateway `xml:"ApplicationGateway"`
}

// ApplicationGateway is one classic application gateway and the VNet it
// is deployed in.
type ApplicationGateway struct {
	Name     string   `xml:"Name"`
	VnetName string   `xml:"VnetName"`
	Subnets  []string `xml:"Subnets>Subnet,omitempty"`
}

// DedicatedCircuits is GET /{sub}/services/networking/dedicatedcircuits:
// the ExpressRoute circuits the subscription owns (List Dedicated
// Circuits, learn.microsoft.com previous-versions azure reference
// dn606295 for one; x-ms-version 2014-01-01 or later).
type DedicatedCircuits struct {
	XMLName  xml.Name           `xml:"http://schemas.microsoft.com/windowsazure DedicatedCircuits"`
	Circuits []DedicatedCircuit `xml:"DedicatedCircuit"`
}

// AuthorizedDedicatedCircuits is GET
// /{sub}/services/networking/authorizeddedicatedcircuits: the circuits
// another subscription owns and authorized this one to link to (List
// Authorized Dedicated Circuits, previous-versions reference dn919273).
type AuthorizedDedicatedCircuits struct {
	XMLName  xml.Name           `xml:"http://schemas.microsoft.com/windowsazure AuthorizedDedicatedCircuits"`
	Circuits []DedicatedCircuit `xml:"AuthorizedDedicatedCircuit"`
}

// DedicatedCircuit is one ExpressRoute circuit, named by its service key.
type DedicatedCircuit struct {
	ServiceKey  string `xml:"ServiceKey"`
	CircuitName string `xml:"CircuitName"`
	Location    string `xml:"Location,omitempty"`
	Status      string `xml:"Status,omitempty"`
}

// DedicatedCircuitLinks is GET
// /{sub}/services/networking/dedicatedcircuits/{serviceKey}/vnets: the
// classic VNets linked to a circuit (List Dedicated Circuit Links,
// previous-versions reference dn606290).
type DedicatedCircuitLinks struct {
	XMLName xml.Name               `xml:"http://schemas.microsoft.com/windowsazure DedicatedCircuitLinks"`
	Links   []DedicatedCircuitLink `xml:"DedicatedCircuitLink"`
}

// DedicatedCircuitLink is one VNet linked to a circuit.
type DedicatedCircuitLink struct {
	State    string `xml:"State,omitempty"`
	VnetName string `xml:"VnetName"`
}
