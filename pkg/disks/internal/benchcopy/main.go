// Command benchcopy copies one disk to another with the disks copier and
// prints what it measured; scripts/bench-disks.sh drives it until the CLI's
// `migrate disks copy` exists.
//
//	benchcopy [-max-bandwidth 16MB] [-workers N] [-no-sync] [-key-file F] [-hash blake3-tree-4m] SRC DST
//
// SRC ending in .vhd is read as a VHD, anything else as a raw image; DST
// ending in .vhd is written as a fixed VHD, staging:DIR/NAME as an
// encrypted staging image (-key-file), anything else as a raw image.
// -no-sync skips the destination's fsyncs, to compare with tools that do
// not fsync (qemu-img convert); the scripts time both ways.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"time"

	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/disks/staging"
	"github.com/migrate-tool/migrate/pkg/disks/vhd"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchcopy:", err)
		os.Exit(1)
	}
}

func run() (err error) {
	bw := flag.String("max-bandwidth", "0", "cap in bytes per second (145MB, 16MiB)")
	workers := flag.Int("workers", 0, "chunks in flight (0: default)")
	noSync := flag.Bool("no-sync", false, "skip the destination's fsyncs")
	keyFile := flag.String("key-file", "", "key-encryption key for a staging:DIR/NAME destination")
	hash := flag.String("hash", disks.HashTree, "content hash: "+disks.HashTree+" or "+disks.HashTreeBLAKE3)
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the copy to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			_ = f.Close() // a profile, not data
		}()
	}
	if flag.NArg() != 2 {
		return fmt.Errorf("usage: benchcopy [-max-bandwidth RATE] SRC DST")
	}
	rate, err := disks.ParseBandwidth(*bw)
	if err != nil {
		return err
	}
	srcPath, dstPath := flag.Arg(0), flag.Arg(1)
	var src disks.Source
	if strings.HasSuffix(srcPath, ".vhd") {
		src, err = vhd.Open(srcPath)
	} else {
		src, err = disks.OpenRaw(srcPath)
	}
	if err != nil {
		return err
	}
	defer func() { _ = src.Close() }() // read only
	ctx := context.Background()
	counted := &countingSource{Source: src}
	alloc, err := src.Allocated(ctx)
	if err != nil {
		return err
	}
	var allocated int64
	for _, e := range alloc {
		allocated += e.Len
	}
	start := time.Now()
	var dst disks.Sink
	switch {
	case strings.HasPrefix(dstPath, "staging:"):
		kek, kerr := staging.LoadKeyFile(*keyFile)
		if kerr != nil {
			return kerr
		}
		p := strings.TrimPrefix(dstPath, "staging:")
		var st staging.Store = staging.DirStore{Dir: filepath.Dir(p), Name: filepath.Base(p)}
		if *noSync {
			st = noSyncStore{st}
		}
		dst, err = staging.NewSink(ctx, st, kek, "", src.Size())
	case strings.HasSuffix(dstPath, ".vhd"):
		dst, err = vhd.CreateFixed(dstPath, src.Size())
	default:
		var r *disks.RawSink
		r, err = disks.CreateRaw(dstPath, src.Size())
		dst = r
		if err == nil && *noSync {
			dst = noSyncRaw{r}
		}
	}
	if err != nil {
		return err
	}
	defer func() {
		if cerr := dst.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close %s: %w", dstPath, cerr)
		}
	}()
	sum, err := disks.Copy(ctx, counted, dst, disks.CopyOptions{MaxBandwidth: rate, Workers: *workers, Hash: *hash})
	if err != nil {
		return err
	}
	el := time.Since(start)
	var written int64
	for _, e := range sum.Extents {
		written += e.Len
	}
	fmt.Printf("size=%d allocated=%d read=%d written=%d seconds=%.3f rate_MBps=%.2f sha256=%x\n",
		sum.Size, allocated, counted.n.Load(), written, el.Seconds(), float64(written)/el.Seconds()/1e6, sum.ContentSHA256)
	return nil
}

// noSyncRaw is a raw sink without fsync: the file is sized at creation, so
// Finish has nothing else to do. It hides RawSink.Sync (benchcopy keeps no
// checkpoint).
type noSyncRaw struct{ r *disks.RawSink }

func (n noSyncRaw) WriteChunk(ctx context.Context, c *disks.Chunk) error {
	return n.r.WriteChunk(ctx, c)
}
func (n noSyncRaw) Finish(context.Context, disks.Summary) error { return nil }
func (n noSyncRaw) Close() error                                { return n.r.Close() }

// noSyncStore is a staging store whose image never fsyncs (the manifest
// still does, once).
type noSyncStore struct{ staging.Store }

func (n noSyncStore) CreateImage(ctx context.Context) (staging.WritableImage, error) {
	img, err := n.Store.CreateImage(ctx)
	if err != nil {
		return nil, err
	}
	return noSyncImage{img}, nil
}

type noSyncImage struct{ staging.WritableImage }

func (noSyncImage) Sync(context.Context) error { return nil }

// countingSource counts the bytes read from the source: the goal is
// exactly the allocated bytes, each read once.
type countingSource struct {
	disks.Source
	n atomic.Int64
}

func (c *countingSource) ReadAt(ctx context.Context, p []byte, off int64) error {
	c.n.Add(int64(len(p)))
	return c.Source.ReadAt(ctx, p, off)
}
