package cloud

import (
	"context"

	"github.com/migrate-tool/migrate/pkg/inventory"
)

// Discoverer reads a classic estate as it now stands. It is a separate,
// optional interface (found by type assertion on a driver) because discovery
// is a different job from migration: a driver may support one without the
// other.
type Discoverer interface {
	// Discover returns the classic resources the cloud holds now: resources
	// of committed units are gone. It changes nothing and is safe for
	// concurrent use; it may return *TransientError.
	Discover(ctx context.Context) (*inventory.Inventory, error)
}
