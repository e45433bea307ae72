package staging

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/migrate-tool/migrate/pkg/disks"
)

// ErrLocation is wrapped by every error about a staging location argument
// that cannot be parsed; the command line reports it as bad input.
var ErrLocation = errors.New("staging: bad location")

// ParseLocation parses what follows "staging:" on the command line into a
// Store. It does no I/O, so every error is a malformed argument (it wraps
// ErrLocation) and none shows a SAS.
//
//   - DIR/NAME (or NAME, in the working folder): DirStore, the files
//     DIR/NAME.img and DIR/NAME.manifest.json.
//   - https://ACCOUNT.blob.core.windows.net/CONTAINER/NAME?SAS (http:// too,
//     and path-style endpoints such as Azurite's
//     http://127.0.0.1:10000/ACCOUNT/CONTAINER/NAME?SAS): a BlobStore. The
//     last path element is NAME, everything before it the container, so
//     NAME holds no slash (no virtual folders); the image is the page blob
//     CONTAINER/NAME.img and the manifest the block blob
//     CONTAINER/NAME.manifest.json. The SAS is a container SAS (sr=c)
//     granting rcwd to write an image, r to read one.
//
// A URL needs no escaping beyond what a URL needs anyway; quote it for the
// shell, since a SAS holds '&'.
//
// A blob store gets azblob's default pipeline; NewBlobStore takes options.
func ParseLocation(arg string) (Store, error) {
	if lower := strings.ToLower(arg); strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://") {
		u, err := url.Parse(arg)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: not a URL", ErrLocation, disks.RedactURL(arg))
		}
		p := u.EscapedPath()
		i := strings.LastIndexByte(p, '/')
		if i <= 0 {
			return nil, fmt.Errorf("%w: %s: want https://ACCOUNT.blob.core.windows.net/CONTAINER/NAME?SAS", ErrLocation, disks.RedactURL(arg))
		}
		name, err := url.PathUnescape(p[i+1:])
		if err != nil || name == "" {
			return nil, fmt.Errorf("%w: %s: want https://ACCOUNT.blob.core.windows.net/CONTAINER/NAME?SAS, NAME not empty", ErrLocation, disks.RedactURL(arg))
		}
		c := *u
		c.Path, c.RawPath, c.Fragment, c.RawFragment = "", "", "", ""
		if c.Path, err = url.PathUnescape(p[:i]); err != nil {
			return nil, fmt.Errorf("%w: %s: bad escape in the container path", ErrLocation, disks.RedactURL(arg))
		}
		c.RawPath = p[:i]
		return NewStore(c.String(), name)
	}
	dir, name := filepath.Split(arg)
	if name == "" || name == "." || name == ".." {
		return nil, fmt.Errorf("%w: %q: want staging:DIR/NAME", ErrLocation, arg)
	}
	if dir == "" {
		dir = "."
	}
	return DirStore{Dir: dir, Name: name}, nil
}

// NewStore returns the Store of image name in location, which is a local
// folder or a blob container URL with a SAS
// (https://ACCOUNT.blob.core.windows.net/CONTAINER?SAS): a place holding
// several images, as disks convert --staging names one. It does no I/O;
// errors wrap ErrLocation and show no SAS.
func NewStore(location, name string) (Store, error) {
	if lower := strings.ToLower(location); strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://") {
		st, err := NewBlobStore(location, name, BlobOptions{})
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return st, nil
	}
	if location == "" || name == "" || name == "." || name == ".." || strings.ContainsRune(name, filepath.Separator) || strings.ContainsRune(name, '/') {
		return nil, fmt.Errorf("%w: folder %q, image name %q: want a folder and a name without a slash", ErrLocation, location, name)
	}
	return DirStore{Dir: location, Name: name}, nil
}
