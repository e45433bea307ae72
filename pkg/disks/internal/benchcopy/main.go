// Command benchcopy copies one disk to another with the disks copier and
// prints what it measured; scripts/bench-disks.sh drives it until the CLI's
// `migrate disks copy` exists.
//
//	benchcopy [-max-bandwidth 16MB] [-workers N] SRC DST
//
// SRC ending in .vhd is read as a VHD, anything else as a raw image; DST
// ending in .vhd is written as a fixed VHD, anything else as a raw image.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/pkg/disks"
	"github.com/migrate-tool/migrate/pkg/disks/vhd"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchcopy:", err)
		os.Exit(1)
	}
}

func run() error {
	bw := flag.String("max-bandwidth", "0", "cap in bytes per second (145MB, 16MiB)")
	workers := flag.Int("workers", 0, "chunks in flight (0: default)")
	flag.Parse()
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
	defer src.Close()
	var dst disks.Sink
	if strings.HasSuffix(dstPath, ".vhd") {
		dst, err = vhd.CreateFixed(dstPath, src.Size())
	} else {
		dst, err = disks.CreateRaw(dstPath, src.Size())
	}
	if err != nil {
		return err
	}
	defer dst.Close()
	start := time.Now()
	sum, err := disks.Copy(context.Background(), src, dst, disks.CopyOptions{MaxBandwidth: rate, Workers: *workers})
	if err != nil {
		return err
	}
	el := time.Since(start)
	var written int64
	for _, e := range sum.Extents {
		written += e.Len
	}
	fmt.Printf("size=%d written=%d seconds=%.3f rate_MBps=%.2f sha256=%x\n",
		sum.Size, written, el.Seconds(), float64(written)/el.Seconds()/1e6, sum.ContentSHA256)
	return nil
}
