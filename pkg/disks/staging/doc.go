// Package staging reads and writes the encrypted staging image, version 1,
// of /work/shared/spec/disks.md: NAME.img, the virtual disk XTS-AES
// encrypted sector by sector with holes left as holes, and
// NAME.manifest.json, which carries the wrapped data key, the extents, the
// content hash and the MACs.
//
// # Keys
//
// The key-encryption key (KEK) is the 32 bytes of the key file
// (LoadKeyFile). Each image has a random data key of 32 bytes (xts-aes-128)
// or 64 bytes (xts-aes-256); first half the XTS data key, second half the
// XTS tweak key. key.wrapped is AES-256-GCM.Seal(KEK, key.nonce, data key,
// no additional data) in standard base64 with padding, the 16-byte tag
// appended as usual; key.nonce is 12 random bytes, standard base64;
// key.kekSha256 is lowercase hex SHA-256 of the KEK.
//
// The MAC key is HKDF-SHA256 (RFC 5869) with the whole data key as input
// keying material, no salt, info "migrate-staging/1 mac", 32 bytes.
//
// # Image
//
// Byte 512*n of NAME.img holds plain sector n encrypted with XTS-AES, tweak n
// as a little-endian 128-bit integer (x/crypto/xts sector number n,
// dm-crypt aes-xts-plain64). Only the extents are ever written; everything
// else is a hole and means zeros whatever the image holds there: readers
// skip it (BlobStore's reader reads through short holes and zeroes them).
//
// # MACs
//
// chunkMacs holds, for every chunkSize (4 MiB) aligned chunk of the virtual
// disk that overlaps an extent, [offset, lowercase hex HMAC-SHA256(MAC key,
// C)], sorted by offset, where C is the chunk's bytes of NAME.img from offset
// to min(offset+chunkSize, virtualSize) with every byte outside the extents
// taken as zero (a chunk's hole is zero whatever the file holds there).
//
// mac is lowercase hex HMAC-SHA256(MAC key, M) where M is the manifest
// without its "mac" member, serialized as compact JSON (no whitespace, no
// trailing newline) with the members in this order:
//
//	format, cipher, sectorSize, virtualSize, extents, key (wrap, kekSha256,
//	nonce, wrapped), contentSha256, chunkSize, chunkMacs
//
// Numbers are decimal integers, strings are hex or base64 and need no
// escaping; this is exactly what Go's encoding/json produces for Manifest
// with MAC empty. Readers recompute M from the parsed fields, so the
// whitespace of the file itself does not matter; the file is written
// indented for people.
//
// contentSha256 is lowercase hex SHA-256 over every extent in order, each as
// its offset and its length (8 bytes big-endian each) then its plain bytes:
// disks.Summary.ContentSHA256.
//
// # Trust
//
// Open refuses a wrong key (ErrWrongKey) and a manifest whose MAC does not
// verify (ErrManifestMAC) before anything is read from the image; Verify
// checks every chunk MAC (a *TamperError names the chunk) and must be called
// before a byte of plain data is written anywhere; VerifyContent compares a
// copy's content hash with the manifest's. No error or state carries key
// material: State holds only the wrapped key.
//
// # Stores
//
// The image and manifest are reached through Store: DirStore keeps them in a
// local folder (NAME.img a sparse file), BlobStore in a blob container
// through a SAS (NAME.img a page blob whose unwritten pages are the holes,
// NAME.manifest.json a block blob written by one Put Blob). ParseLocation
// turns what follows "staging:" on the command line into either.
package staging
