// Package uploadtest gives tests an S3-compatible object store in the test
// process (github.com/johannesboyne/gofakes3 in memory, on 127.0.0.1 port
// 0), so the s3 store is tested over real HTTP with no network.
package uploadtest

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"ecoreport/internal/upload"
)

// Bucket is the bucket FakeS3 creates.
const Bucket = "ecoreport-test"

// FakeS3 starts an in-memory S3 server with the bucket Bucket, stopped in
// tb.Cleanup, and returns the options that reach it.
func FakeS3(tb testing.TB) upload.S3Options {
	tb.Helper()
	be := s3mem.New()
	if err := be.CreateBucket(Bucket); err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(be).Server())
	tb.Cleanup(srv.Close)
	return upload.S3Options{Endpoint: strings.TrimPrefix(srv.URL, "http://"), Bucket: Bucket,
		AccessKey: "test-access", SecretKey: "test-secret", Region: "us-east-1", Insecure: true, PathStyle: true}
}
