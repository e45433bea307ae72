package smapi

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
)

// maxBody bounds what the parsers read: a classic document is small, and a
// runaway body must not exhaust memory.
const maxBody = 32 << 20

// Decode reads one XML document of type T from r. The root element must be
// the one T declares (namespace included when T declares one).
func Decode[T any](r io.Reader) (*T, error) {
	var v T
	b, err := io.ReadAll(io.LimitReader(r, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(b) > maxBody {
		return nil, fmt.Errorf("body larger than %d bytes", maxBody)
	}
	if err := xml.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("decode %T: %w", v, err)
	}
	return &v, nil
}

// Encode renders v as an XML document with its declaration.
func Encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return buf.Bytes(), nil
}

// ParseDeploymentMigration reads a Validate or Prepare body of a
// deployment: a DeploymentNetworkResource document, the only shape the
// Node client sends (see DeploymentMigration). Anything else, an empty body
// included, is an error; the emulator answers it with the platform's 400
// InvalidXmlRequest.
func ParseDeploymentMigration(b []byte) (*DeploymentMigration, error) {
	m, err := Decode[DeploymentMigration](bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decode deployment migration: %w", err)
	}
	switch m.DestinationVirtualNetwork {
	case DestinationNew:
	case DestinationExisting:
		if m.ResourceGroupName == "" || m.VirtualNetworkName == "" || m.SubNetName == "" {
			return nil, fmt.Errorf("decode deployment migration: DestinationVirtualNetwork Existing needs ResourceGroupName, VirtualNetworkName and SubNetName")
		}
	default:
		return nil, fmt.Errorf("decode deployment migration: DestinationVirtualNetwork %q: want New or Existing", m.DestinationVirtualNetwork)
	}
	return m, nil
}

// ParseOperation reads an Operation status document and checks its Status.
func ParseOperation(b []byte) (*Operation, error) {
	op, err := Decode[Operation](bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	switch op.Status {
	case StatusInProgress, StatusSucceeded, StatusFailed:
	default:
		return nil, fmt.Errorf("operation %s: unknown status %q", op.ID, op.Status)
	}
	return op, nil
}

// ParseError reads an error body. A body that is not an Error document
// yields ok false, so callers fall back to the HTTP status.
func ParseError(b []byte) (e *Error, ok bool) {
	e, err := Decode[Error](bytes.NewReader(b))
	if err != nil || (e.Code == "" && e.Message == "") {
		return nil, false
	}
	return e, true
}
