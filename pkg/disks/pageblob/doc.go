// Package pageblob reads and writes virtual disks held in Azure page blobs
// through a SAS URL: a Sink that creates the blob at the disk's size (plus a
// fixed VHD footer when asked) and uploads only the extents, and a Source
// whose Allocated comes from Get Page Ranges so empty ranges cost nothing.
// No error or log carries the SAS: every URL goes through disks.RedactURL.
package pageblob
