package disks

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Place is everything one side of a copy reads or writes, for Distinct:
// the source's files (a VHD's whole parent chain, a staging image's image,
// manifest and checkpoint, the key file) or the destination's (the disk,
// what the format keeps beside it, the checkpoint).
type Place struct {
	// Files are local paths, existing or not.
	Files []string
	// Patterns are filepath.Match patterns of local paths that may be
	// created beside the files (a staging manifest's temporary file).
	Patterns []string
	// Blobs are blob URLs; their query (a SAS) is ignored.
	Blobs []string
	// Names are other identities, compared case-insensitively, such as a
	// managed disk's disk:RG/NAME (Resource Manager names are
	// case-insensitive).
	Names []string
}

// SameFileError is a destination that is the source, or a file of it: a
// copy would destroy what it reads. Nothing has been opened for writing
// when Distinct returns it; the command line reports it as bad input.
type SameFileError struct {
	// Source and Destination are the paths or URLs (without a SAS) found
	// to be the same thing.
	Source, Destination string
	// Why says how they were found to be the same.
	Why string
}

// Error implements error.
func (e *SameFileError) Error() string {
	return fmt.Sprintf("destination %s is the source %s (%s): refusing to write over what is being read", e.Destination, e.Source, e.Why)
}

// Distinct returns a *SameFileError when anything dst writes is something
// src reads: the same device and inode (a hard link, a symlink, a path
// through "..", the same path), the same canonical path for a file that
// does not exist yet (it would be created where the source keeps one), the
// same block device under another node, or the same blob (see BlobKey).
// It opens nothing; it only stats.
func Distinct(src, dst Place) error {
	srcFiles := make([]fileID, 0, len(src.Files))
	for _, p := range src.Files {
		srcFiles = append(srcFiles, identify(p))
	}
	for _, d := range dst.Files {
		did := identify(d)
		for _, s := range srcFiles {
			if why := s.same(did); why != "" {
				return &SameFileError{Source: s.path, Destination: d, Why: why}
			}
		}
		for _, pat := range src.Patterns {
			if ok, _ := filepath.Match(canonicalPattern(pat), did.canon); ok {
				return &SameFileError{Source: pat, Destination: d, Why: "a file the source keeps beside its image"}
			}
		}
	}
	for _, s := range srcFiles {
		for _, pat := range dst.Patterns {
			if ok, _ := filepath.Match(canonicalPattern(pat), s.canon); ok {
				return &SameFileError{Source: s.path, Destination: pat, Why: "a file the destination writes beside its image"}
			}
		}
	}
	for _, d := range dst.Blobs {
		dk, err := BlobKey(d)
		if err != nil {
			continue
		}
		for _, s := range src.Blobs {
			if sk, err := BlobKey(s); err == nil && sk == dk {
				return &SameFileError{Source: withoutQuery(s), Destination: withoutQuery(d), Why: "the same blob"}
			}
		}
	}
	for _, d := range dst.Names {
		for _, s := range src.Names {
			if strings.EqualFold(s, d) {
				return &SameFileError{Source: s, Destination: d, Why: "the same resource"}
			}
		}
	}
	return nil
}

// fileID is what identifies a local file: its canonical path (symlinks
// resolved as far as the path exists) and, when it exists, its stat.
type fileID struct {
	path  string
	canon string
	fi    os.FileInfo
}

func identify(p string) fileID {
	id := fileID{path: p, canon: canonicalPath(p)}
	if fi, err := os.Stat(p); err == nil {
		id.fi = fi
	}
	return id
}

func (a fileID) same(b fileID) string {
	if a.fi != nil && b.fi != nil {
		if os.SameFile(a.fi, b.fi) {
			return "the same file: same device and inode"
		}
		if sameBlockDevice(a.fi, b.fi) {
			return "the same block device"
		}
	}
	if a.canon == b.canon {
		return "the same path"
	}
	return ""
}

// canonicalPath is p absolute and clean with every symlink resolved in the
// part of it that exists, so that a file not created yet is still named
// the way the source's files are.
func canonicalPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		abs = filepath.Clean(p)
	}
	// Resolve the longest existing prefix; the rest cannot hold symlinks.
	rest := ""
	for cur := abs; ; {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(r, rest)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

// canonicalPattern canonicalises a pattern's folder (patterns only have
// wildcards in their last element).
func canonicalPattern(pat string) string {
	return filepath.Join(canonicalPath(filepath.Dir(pat)), filepath.Base(pat))
}

// BlobKey is the identity of a blob URL: two URLs with the same key name
// the same blob whatever their SAS. The host is compared without case and
// without its scheme's default port, and http and https to the same host
// are the same blob (the service answers both). The account (in a
// path-style URL such as Azurite's http://127.0.0.1:10000/ACCOUNT/...) and
// the container are lower-cased: Azure's names for both are lower-case only
// and DNS is case-insensitive. The blob name keeps its case: blob names
// are case-sensitive ("Naming and Referencing Containers, Blobs, and
// Metadata", learn.microsoft.com/rest/api/storageservices). A URL with no
// container path names the $root container.
func BlobKey(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("blob URL %s: %w", RedactURL(raw), err)
	}
	scheme := strings.ToLower(u.Scheme)
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	segs := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	lower := 1 // the container
	if net.ParseIP(host) != nil || host == "localhost" {
		lower = 2 // the account, then the container
	}
	if len(segs) == lower {
		// https://ACCOUNT.blob.core.windows.net/BLOB is in $root.
		segs = append(segs[:lower-1], append([]string{"$root"}, segs[lower-1:]...)...)
	}
	for i := 0; i < lower && i < len(segs); i++ {
		segs[i] = strings.ToLower(segs[i])
	}
	return host + ":" + port + "/" + strings.Join(segs, "/"), nil
}

// withoutQuery is a blob URL without its query (the SAS), for messages.
func withoutQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return RedactURL(raw)
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}
