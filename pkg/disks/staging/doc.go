// Package staging reads and writes the encrypted staging image of
// docs/spec/disks.md: NAME.img, the virtual disk XTS-AES encrypted sector by
// sector with holes left as holes, and NAME.manifest.json, which carries the
// wrapped data key, the extents, the content hash and the MACs. Version 2
// (migrate-staging/2) is written; version 1 is still read (Open, Verify,
// Source), never written.
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
// # Image
//
// Byte 512*n of NAME.img holds plain sector n encrypted with XTS-AES, tweak n
// as a little-endian 128-bit integer (x/crypto/xts sector number n,
// dm-crypt aes-xts-plain64). Only the extents are ever written; everything
// else is a hole and means zeros whatever the image holds there: readers
// skip it (BlobStore's reader reads through short holes and zeroes them).
//
// # Version 2 (written)
//
// content is {"alg": "sha256-tree-4m", "value": hex}: disks.HashTree, a
// SHA-256 tree over 4 MiB leaves, each leaf the chunk's runs of non-zero
// sectors, so the copier hashes chunks in parallel and never a hole; or
// {"alg": "blake3-tree-4m", ...}, the same tree with BLAKE3 (disks
// copy --hash blake3), which a copy out of the image then uses too. The
// MAC key is HKDF-SHA256(data key, no salt, info "migrate-staging/2 gmac",
// 32 bytes); a MAC is AES-256-GMAC (GCM, no plaintext, the message as
// additional data) with a fresh random 12-byte nonce, written as hex nonce
// then tag. chunkMacs.value holds [offset, MAC] of each chunk holding data,
// the message being the ciphertext of the extents inside the chunk packed in
// disk order; mac is the MAC of the manifest without mac, compact JSON in
// manifestV2's member order. Random nonces mean a chunk rewritten after a
// resume never reuses one. The Sink encrypts in the copier's buffer and
// packs the ciphertext there, so it allocates nothing per chunk.
//
// # Version 1 (read only)
//
// The MAC key is HKDF-SHA256 (RFC 5869) with the whole data key as input
// keying material, no salt, info "migrate-staging/1 mac", 32 bytes.
// chunkMacs holds, for every chunkSize (4 MiB) aligned chunk of the virtual
// disk that overlaps an extent, [offset, lowercase hex HMAC-SHA256(MAC key,
// C)], sorted by offset, where C is the chunk's bytes of NAME.img from offset
// to min(offset+chunkSize, virtualSize) with every byte outside the extents
// taken as zero. mac is lowercase hex HMAC-SHA256(MAC key, M) where M is the
// manifest without its "mac" member, serialized as compact JSON with the
// members in this order:
//
//	format, cipher, sectorSize, virtualSize, extents, key (wrap, kekSha256,
//	nonce, wrapped), contentSha256, chunkSize, chunkMacs
//
// contentSha256 is lowercase hex SHA-256 over every extent in order, each as
// its offset and its length (8 bytes big-endian each) then its plain bytes:
// disks.HashRuns, which a copy out of a version 1 image computes because
// Source declares it (disks.ContentHashSource) and its extents are exactly
// the runs.
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
