package staging

import "path/filepath"

// Files lists every local file the image is made of or keeps beside it,
// existing or not: the image and the manifest, and as patterns the
// temporary manifests WriteManifest renames into place. The command line
// refuses a copy whose destination is any of them (disks.Distinct), so a
// change to what a DirStore keeps on disk must be reflected here.
func (d DirStore) Files() (files, patterns []string) {
	return []string{d.imgPath(), d.manifestPath()},
		[]string{filepath.Join(d.Dir, "."+d.Name+".manifest.json*")} // renameio's temporary names
}

// URLs lists the blobs of the image (with the SAS): the page blob and the
// manifest's block blob, for the same check as DirStore.Files.
func (b *BlobStore) URLs() []string {
	return []string{b.imgURL, b.man.URL()}
}
