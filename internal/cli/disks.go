package cli

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/disks/staging"
	"github.com/migrate-tool/migrate/pkg/disks/vhd"
	"github.com/migrate-tool/migrate/pkg/report"
)

func (a *app) newDisksCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "disks",
		Short: "Inspect, copy, encrypt and decrypt virtual disks",
		Long: `disks moves virtual disk data: the last mile of a migration.

Sources (SRC):
  FILE.vhd              a local VHD: fixed, dynamic, or differencing (its parent
                        chain is found through the parent locators)
  FILE                  a raw image (holes found with SEEK_DATA/SEEK_HOLE)
  https://...?SAS       a page blob; only its page ranges are read
  disk:RG/NAME          a managed disk, read through a SAS the driver grants
  staging:DIR/NAME      an encrypted staging image (DIR/NAME.img and
                        DIR/NAME.manifest.json); needs --key-file
  staging:https://ACCOUNT.blob.core.windows.net/CONTAINER/NAME?SAS
                        the same in a blob container (NAME.img a page blob,
                        NAME.manifest.json a block blob)

Destinations (DST):
  FILE.vhd              a fixed VHD: the data and its 512-byte footer (the
                        managed-disk upload format)
  FILE                  a sparse raw image
  https://...?SAS       a page blob (Put Page, 512-aligned, at most 4 MiB a call)
  staging:DIR/NAME      an encrypted staging image (XTS-AES per sector, the data
                        key sealed under --key-file, an HMAC per chunk and over
                        the manifest), in a folder or a blob container;
                        --no-encrypt writes a plain sparse image
  disk:RG/NAME          a managed disk, through the driver: created for Upload
                        if missing (--location, --account-type), written through
                        a write SAS the driver grants and revokes

Only allocated data is read and only non-zero sectors are written: a 1 TiB
disk holding 1 GiB moves 1 GiB. The SHA-256 content hash of the disk
(disks.md) is printed. A SAS is never printed, logged or checkpointed.`,
	}
	c.AddCommand(a.newDisksInspectCmd(), a.newDisksCopyCmd(), a.newDisksDecryptCmd(), a.newDisksConvertCmd(nil), a.newDisksCleanupCmd(), a.newDisksImageCmd())
	return c
}

func (a *app) newDisksInspectCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "inspect FILE",
		Short: "A VHD's type, virtual size, block size, allocated bytes, parent chain and checks",
		Long: `inspect reads a VHD's footer (and for dynamic and differencing disks the copy
at offset 0, the dynamic header, the block allocation table and the parent
locators), checks every structure before trusting it, and reports what it
found. A corrupt file is exit 2 naming the offset and the field.`,
		Example: `  migrate disks inspect web1-os.vhd
  migrate disks inspect diff.vhd -o json | jq .parent`,
		Args: wantArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := report.Validate(a.cfg.Output, "table", "json", "yaml"); err != nil {
				return badInput(err)
			}
			info, err := vhd.Inspect(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if a.structured() {
				return a.writeDoc(info)
			}
			depth := 0
			for in := &info; in != nil; in = in.Parent {
				indent := strings.Repeat("  ", depth)
				if depth > 0 {
					fmt.Fprintf(a.io.Out, "%sparent:\n", strings.Repeat("  ", depth-1))
				}
				t := newTable(a.io.Out, indent+"FIELD", "VALUE")
				t.row(indent+"path", in.Path)
				t.row(indent+"type", in.Type.String())
				t.row(indent+"virtual size", fmt.Sprintf("%d (%s)", in.VirtualSize, humanBytes(in.VirtualSize)))
				t.row(indent+"file size", fmt.Sprint(in.FileSize))
				if in.BlockSize > 0 {
					t.row(indent+"block size", fmt.Sprint(in.BlockSize))
				}
				t.row(indent+"allocated", fmt.Sprintf("%d (%s)", in.AllocatedBytes, humanBytes(in.AllocatedBytes)))
				t.row(indent+"unique id", in.UniqueID.String())
				t.row(indent+"creator", in.CreatorApp)
				t.row(indent+"checks", strings.Join(in.Checks, ", "))
				if depth == 0 {
					t.row(indent+"azure", azureReadiness(in.VirtualSize))
				}
				t.flush()
				depth++
			}
			return nil
		},
	}
}

// azureReadiness says whether Azure takes a disk of this virtual size as a
// fixed VHD or managed disk, and what a copy does when it does not.
func azureReadiness(size int64) string {
	if size%disks.MiB == 0 {
		return "ready (whole MiB)"
	}
	return fmt.Sprintf("not Azure-ready: %d bytes is not a whole number of MiB; a copy to a fixed VHD or a managed disk pads it with zeros to %d", size, disks.WholeMiB(size))
}

// copyFlags are the copier's flags, shared by copy and decrypt.
type copyFlags struct {
	resume     bool
	checkpoint string
	bandwidth  string
	iops       int
	workers    int
	keyFile    string
	cipher     string
	noEncrypt  bool
	// location and accountType describe a managed disk destination the
	// copy creates.
	location    string
	accountType string
	// hash is the content hash: sha256 (the default, recomputable with
	// hashlib alone) or blake3 (a third of SHA-256's CPU).
	hash string
}

// hashAlgs are --hash's values and the tree hashes they name.
var hashAlgs = map[string]string{"sha256": disks.HashTree, "blake3": disks.HashTreeBLAKE3}

func (f *copyFlags) add(c *cobra.Command, encrypting bool) {
	c.Flags().BoolVar(&f.resume, "resume", false, "continue an interrupted copy from its checkpoint")
	c.Flags().StringVar(&f.checkpoint, "checkpoint", "", "checkpoint file (default: beside a local DST, else in the state directory)")
	c.Flags().StringVar(&f.bandwidth, "max-bandwidth", "", "cap the bytes written per second, e.g. 145MB or 16MiB; at least 1KiB (a smaller cap is a unit slip), 0 for none")
	c.Flags().IntVar(&f.iops, "max-iops", 0, "cap the write calls per second, e.g. 2300")
	c.Flags().IntVar(&f.workers, "workers", 0, "chunks in flight, at most 64 (each holds 4 MiB of memory; default: the copier's 4)")
	c.Flags().StringVar(&f.keyFile, "key-file", "", "key-encryption key: 32 raw bytes, mode 0600 or stricter")
	c.Flags().StringVar(&f.location, "location", "", "a new managed disk's location (disk: destinations; default: the inventory's defaultLocation)")
	c.Flags().StringVar(&f.accountType, "account-type", "Standard_LRS", "a new managed disk's type (disk: destinations)")
	c.Flags().StringVar(&f.hash, "hash", "sha256", "content hash: sha256 (a SHA-256 tree, recomputable with Python's hashlib) or blake3 (the same tree with BLAKE3, about a third of the CPU); a staging source keeps its own")
	if encrypting {
		c.Flags().StringVar(&f.cipher, "cipher", "xts-aes-128", "staging cipher: xts-aes-128 or xts-aes-256")
		c.Flags().BoolVar(&f.noEncrypt, "no-encrypt", false, "write a staging destination as a plain sparse image (explicit opt-out)")
	}
}

func (a *app) newDisksCopyCmd() *cobra.Command {
	var f copyFlags
	c := &cobra.Command{
		Use:   "copy SRC DST",
		Short: "Copy a virtual disk: sparse, pipelined, rate-capped, resumable, optionally encrypted",
		Long: `copy streams SRC to DST (see "migrate disks --help" for every kind of source and
destination). Several chunks are in flight at once and memory stays bounded
whatever the disk size. --max-bandwidth and --max-iops are token buckets
that start empty, so a copy does not open with a burst. A checkpoint of the
completed chunks is kept as the copy goes: after a kill, the same command
with --resume sends only what is missing and leaves no hole.

A staging destination is encrypted (staging format v2) under --key-file;
a staging source is verified (every MAC) and decrypted.`,
		Example: `  migrate disks copy web1-os.vhd web1-os.raw
  migrate disks copy web1-os.vhd staging:/mnt/usb/web1-os --key-file kek.bin --max-bandwidth 145MB
  migrate disks copy big.vhd 'https://acct.blob.core.windows.net/vhds/big.vhd?sv=...' --max-iops 2300 --resume`,
		Args: wantArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			a.continueCopy(cmd, args)
			return a.copyDisk(cmd.Context(), args[0], args[1], f, false)
		},
	}
	f.add(c, true)
	return c
}

func (a *app) newDisksDecryptCmd() *cobra.Command {
	var f copyFlags
	c := &cobra.Command{
		Use:   "decrypt SRC DST",
		Short: "Decrypt a staging image with a key you hold, verifying every MAC first",
		Long: `decrypt is the copier's inverse for a staging image: it checks the key, the
manifest's MAC and every chunk's MAC before it writes a byte (a mismatch is
exit 1 naming the chunk; a wrong or badly protected key is exit 2), then
decrypts to DST and checks the content hash against the manifest.`,
		Example: `  migrate disks decrypt staging:/mnt/usb/web1-os web1-os.vhd --key-file kek.bin`,
		Args:    wantArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			a.continueCopy(cmd, args)
			src := args[0]
			if !strings.HasPrefix(src, stagingPrefix) {
				src = stagingPrefix + src
			}
			if strings.HasPrefix(args[1], stagingPrefix) {
				return badInputf("decrypt: DST %s is a staging image; decrypt writes a plain disk", disks.RedactURL(args[1]))
			}
			return a.copyDisk(cmd.Context(), src, args[1], f, true)
		},
	}
	f.add(c, false)
	return c
}

const (
	stagingPrefix = "staging:"
	// managedPrefix names a managed disk, disk:<resource-group>/<name>,
	// written through the driver (create with Upload, grant write access,
	// copy, revoke).
	managedPrefix = "disk:"
)

// copyResult is the JSON shape of a finished copy.
type copyResult struct {
	Source      string `json:"source" yaml:"source"`
	Destination string `json:"destination" yaml:"destination"`
	VirtualSize int64  `json:"virtualSize" yaml:"virtualSize"`
	DataBytes   int64  `json:"dataBytes" yaml:"dataBytes"`
	Extents     int    `json:"extents" yaml:"extents"`
	// ContentSHA256 is the content hash when it is a SHA-256 one (the
	// tree, or a v1 staging image's runs); ContentHash names the algorithm
	// and holds the value whatever it is.
	ContentSHA256 string   `json:"contentSha256,omitempty" yaml:"contentSha256,omitempty"`
	ContentHash   algValue `json:"contentHash" yaml:"contentHash"`
	Seconds       float64  `json:"seconds" yaml:"seconds"`
}

// algValue is a hash with the name of its algorithm, as a staging
// manifest records it.
type algValue struct {
	Alg   string `json:"alg" yaml:"alg"`
	Value string `json:"value" yaml:"value"`
}

func (a *app) copyDisk(ctx context.Context, srcArg, dstArg string, f copyFlags, decrypting bool) error {
	if err := report.Validate(a.cfg.Output, "table", "json", "yaml"); err != nil {
		return badInput(err)
	}
	o := disks.CopyOptions{MaxIOPS: f.iops, Workers: f.workers, Resume: f.resume, Hash: hashAlgs[f.hash]}
	if o.Hash == "" {
		return badInputf("--hash %q: want sha256 or blake3", f.hash)
	}
	var err error
	if o.MaxBandwidth, err = parseBandwidthFlag(f.bandwidth); err != nil {
		return err
	}
	if f.iops < 0 {
		return badInputf("--max-iops must not be negative")
	}
	if err := checkWorkers(f.workers); err != nil {
		return err
	}
	srcStaging := strings.HasPrefix(srcArg, stagingPrefix)
	dstStaging := strings.HasPrefix(dstArg, stagingPrefix)
	if srcStaging && dstStaging {
		return badInputf("copy: SRC and DST are both staging images; decrypt one first")
	}
	var kek []byte
	switch {
	case f.keyFile != "":
		if !srcStaging && !dstStaging {
			// Never a silent plain copy when a key was named.
			return badInputf("--key-file given but neither SRC nor DST is a staging image (staging:DIR/NAME): refusing a plain copy")
		}
		if dstStaging && f.noEncrypt {
			return badInputf("--key-file and --no-encrypt contradict each other")
		}
		k, err := staging.LoadKeyFile(f.keyFile)
		if err != nil {
			return err
		}
		kek = k
	case srcStaging:
		return badInputf("SRC %s is a staging image: --key-file is required to decrypt it", disks.RedactURL(srcArg))
	case dstStaging && !f.noEncrypt:
		return badInputf("DST %s is a staging image: give --key-file to encrypt it, or --no-encrypt to write it plain", disks.RedactURL(dstArg))
	}

	src, manifest, err := a.openDiskSource(ctx, srcArg, kek)
	if err != nil {
		return err
	}
	defer func() { _ = src.Close() }() // read only
	if o.Checkpoint, err = a.checkpointPath(f.checkpoint, dstArg); err != nil {
		return err
	}
	// Nothing has been opened for writing yet, and nothing will be if the
	// destination is the source or a file of it.
	if err := a.checkDistinct(srcArg, src, f.keyFile, dstArg, o.Checkpoint); err != nil {
		return err
	}
	if manifest != nil {
		// Every MAC is verified before a single byte is written.
		if err := manifest.Verify(ctx); err != nil {
			return fmt.Errorf("verify %s: %w", disks.RedactURL(srcArg), err)
		}
	}
	if manifest == nil && needsWholeMiB(dstArg) && src.Size()%disks.MiB != 0 {
		// Azure takes only whole-MiB fixed VHDs and managed disks; qemu-img
		// create -f vpc sizes from CHS geometry (issue 12 item 5).
		fmt.Fprintf(a.io.ErrOut, "note: %s is %d bytes, not a whole number of MiB; padding it with zeros to %d bytes, as Azure requires\n",
			disks.RedactURL(srcArg), src.Size(), disks.WholeMiB(src.Size()))
		src = disks.PadToMiB(src)
	}
	// With --resume, a missing or torn checkpoint is the copier's to judge:
	// a staging image whose copy died before its first checkpoint is
	// recreated, any other destination is refused (disks.ErrNoCheckpoint).
	if !f.resume {
		_ = os.Remove(o.Checkpoint)
	}
	dst, err := a.openDiskSink(ctx, dstArg, src.Size(), kek, f, f.resume)
	if err != nil {
		return err
	}
	// A copy that fails is reported by its own error, and what it wrote is
	// synced before the checkpoint records it: closing then is cleanup. A
	// copy that succeeds closes dst below and reports that close.
	dstOpen := true
	defer func() {
		if dstOpen {
			_ = dst.Close()
		}
	}()
	// The checkpoint's folder (the state directory's copies/ for a remote
	// DST) is made only once the copy goes ahead: a copy refused or failing
	// earlier leaves no state directory behind.
	if err := os.MkdirAll(filepath.Dir(o.Checkpoint), 0o700); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}

	var prog disks.Progress
	o.Progress = &prog
	stopBar := a.byteProgress(&prog)
	start := time.Now()
	// The first interrupt closes a.drain: the copier then starts no new
	// chunk, finishes those in flight and records them (issue 13 item 2).
	cctx, stopCopy := context.WithCancel(ctx)
	defer stopCopy()
	go func() {
		select {
		case <-a.drain:
			stopCopy()
		case <-cctx.Done():
		}
	}()
	sum, err := disks.Copy(cctx, src, dst, o)
	stopBar()
	if err != nil {
		if cctx.Err() != nil {
			why := ""
			if !errors.Is(err, context.Canceled) {
				why = fmt.Sprintf(" (%v)", err)
			}
			return &ExitError{Code: ExitInterrupted, Err: fmt.Errorf("copy interrupted%s; the chunks done are checkpointed in %s", why, o.Checkpoint)}
		}
		return fmt.Errorf("copy %s to %s: %w", disks.RedactURL(srcArg), disks.RedactURL(dstArg), err)
	}
	dstOpen = false
	if err := dst.Close(); err != nil {
		return fmt.Errorf("copy %s to %s: close the destination: %w", disks.RedactURL(srcArg), disks.RedactURL(dstArg), err)
	}
	if manifest != nil {
		if err := staging.VerifyContent(manifest.Manifest(), sum); err != nil {
			return fmt.Errorf("decrypt %s: %w", disks.RedactURL(srcArg), err)
		}
	}
	var data int64
	for _, e := range sum.Extents {
		data += e.Len
	}
	res := copyResult{
		Source: disks.RedactURL(srcArg), Destination: disks.RedactURL(dstArg),
		VirtualSize: sum.Size, DataBytes: data, Extents: len(sum.Extents),
		ContentHash: algValue{Alg: sum.ContentAlg, Value: hex.EncodeToString(sum.ContentSHA256[:])},
		Seconds:     time.Since(start).Seconds(),
	}
	label := "blake3"
	if sum.ContentAlg != disks.HashTreeBLAKE3 {
		res.ContentSHA256, label = res.ContentHash.Value, "sha256"
	}
	if a.structured() {
		return a.writeDoc(res)
	}
	fmt.Fprintf(a.io.Out, "copied %s of data (%s virtual, %d extents) in %s\n%s %s\n",
		humanBytes(data), humanBytes(sum.Size), len(sum.Extents), time.Since(start).Round(time.Millisecond), label, res.ContentHash.Value)
	return nil
}

// needsWholeMiB reports a destination Azure takes only in whole MiB: a
// fixed VHD (local, or a page blob named .vhd) or a managed disk.
func needsWholeMiB(dst string) bool {
	switch {
	case strings.HasPrefix(dst, stagingPrefix):
		return false
	case strings.HasPrefix(dst, managedPrefix):
		return true
	case isURL(dst):
		return blobIsVHD(dst)
	}
	return strings.EqualFold(filepath.Ext(dst), ".vhd")
}

// checkpointPath is where a copy keeps its checkpoint: beside a local
// destination, else in the state directory under a name that carries no
// secret.
func (a *app) checkpointPath(explicit, dst string) (string, error) {
	if explicit != "" {
		return explicit, nil
	}
	switch {
	case strings.HasPrefix(dst, stagingPrefix):
		st, err := stagingStore(dst)
		if err != nil {
			return "", err
		}
		if _, ok := st.(*staging.BlobStore); !ok {
			return st.String() + ".checkpoint", nil
		}
		// A container: the checkpoint lives in the state directory, named
		// after the location without its SAS, so a resume with a fresh
		// SAS finds it.
		return a.stateCheckpoint(st.String())
	case isURL(dst), strings.HasPrefix(dst, managedPrefix):
		return a.stateCheckpoint(disks.RedactURL(dst))
	}
	return dst + ".checkpoint", nil
}

// stateCheckpoint is a checkpoint file in the state directory named after
// a location that carries no secret. Its folder is made by the copy, once
// the copy is known to be allowed.
func (a *app) stateCheckpoint(location string) (string, error) {
	return filepath.Join(a.cfg.StateDir, "copies", shortHash(location)+".checkpoint"), nil
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}

// stagingStore parses staging:DIR/NAME or staging:https://.../CONTAINER/NAME?SAS.
func stagingStore(arg string) (staging.Store, error) {
	st, err := staging.ParseLocation(strings.TrimPrefix(arg, stagingPrefix))
	if err != nil {
		return nil, badInput(err)
	}
	return st, nil
}

// verifier is a source whose integrity can be checked before copying.
type verifier interface {
	Verify(ctx context.Context) error
	Manifest() *staging.Manifest
}

func (a *app) openDiskSource(ctx context.Context, arg string, kek []byte) (disks.Source, verifier, error) {
	switch {
	case strings.HasPrefix(arg, stagingPrefix):
		st, err := stagingStore(arg)
		if err != nil {
			return nil, nil, err
		}
		s, err := staging.OpenStore(ctx, st, kek)
		if err != nil {
			return nil, nil, fmt.Errorf("open %s: %w", disks.RedactURL(arg), err)
		}
		return s, s, nil
	case isURL(arg):
		s, err := openPageBlobSource(ctx, arg)
		return s, nil, err
	case strings.HasPrefix(arg, managedPrefix):
		s, err := a.openManagedDiskSource(ctx, arg)
		return s, nil, err
	case strings.EqualFold(filepath.Ext(arg), ".vhd"):
		d, err := vhd.Open(arg)
		if err != nil {
			return nil, nil, err
		}
		return d, nil, nil
	}
	r, err := disks.OpenRaw(arg)
	if err != nil {
		return nil, nil, badInput(fmt.Errorf("open %s: %w", arg, err))
	}
	return r, nil, nil
}

func (a *app) openDiskSink(ctx context.Context, arg string, size int64, kek []byte, f copyFlags, resume bool) (disks.Sink, error) {
	switch {
	case strings.HasPrefix(arg, stagingPrefix):
		st, err := stagingStore(arg)
		if err != nil {
			return nil, err
		}
		switch t := st.(type) {
		case staging.DirStore:
			if err := os.MkdirAll(t.Dir, 0o700); err != nil {
				return nil, fmt.Errorf("staging %s: %w", arg, err)
			}
			if f.noEncrypt {
				return openRawSink(filepath.Join(t.Dir, t.Name+".img"), size, resume)
			}
		case *staging.BlobStore:
			if f.noEncrypt {
				return openPageBlobSink(ctx, t.ImageURL(), size, resume)
			}
		}
		s, err := staging.NewSink(ctx, st, kek, f.cipher, size)
		if err != nil {
			err = fmt.Errorf("staging %s: %w", disks.RedactURL(arg), err)
			if errors.Is(err, staging.ErrFormat) || errors.Is(err, staging.ErrWrongKey) {
				return nil, badInput(err)
			}
			return nil, err
		}
		return s, nil
	case isURL(arg):
		return openPageBlobSink(ctx, arg, size, resume)
	case strings.HasPrefix(arg, managedPrefix):
		return a.openManagedDiskSink(ctx, arg, size, f, resume)
	case strings.EqualFold(filepath.Ext(arg), ".vhd"):
		if resume {
			return vhd.ReopenFixed(arg, size)
		}
		return vhd.CreateFixed(arg, size)
	}
	return openRawSink(arg, size, resume)
}

func openRawSink(path string, size int64, resume bool) (disks.Sink, error) {
	if resume {
		return disks.ReopenRaw(path, size)
	}
	return disks.CreateRaw(path, size)
}

// byteProgress shows bytes done of total, rate and ETA on a terminal while
// a copy runs (progress.go); it returns the function that stops it.
func (a *app) byteProgress(p *disks.Progress) func() { return a.copyProgress(p) }

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
