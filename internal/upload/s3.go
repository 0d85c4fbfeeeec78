package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Options are the settings of an S3-compatible object store.
type S3Options struct {
	Endpoint  string // host[:port], no scheme: minio.example.cn:9000, oss-cn-hangzhou.aliyuncs.com
	Bucket    string
	Prefix    string // put before every key, e.g. "ecoreport/" to share a bucket; "" for none
	AccessKey string
	SecretKey string
	Region    string // "" lets the client ask the store
	Insecure  bool   // plain HTTP (a store on the same host or network only)
	// PathStyle addresses the bucket as endpoint/bucket rather than
	// bucket.endpoint (MinIO, Ceph and most on-premises stores); false lets
	// the client choose by endpoint.
	PathStyle bool
	// Transport replaces the HTTP transport (tests).
	Transport http.RoundTripper
}

// S3 keeps each file as one object: every instance that reaches the store
// sees it. A PUT of S3 is atomic, so a file is there whole or not at all.
// The objects are private: the service reads them and serves them to those
// allowed; no URL of the store is ever handed out.
type S3 struct {
	c      *minio.Client
	bucket string
	prefix string
	where  string
}

// NewS3 makes the client; it does not reach the store (Check does).
func NewS3(o S3Options) (*S3, error) {
	if o.Endpoint == "" || o.Bucket == "" {
		return nil, errors.New("upload: s3 needs an endpoint and a bucket")
	}
	if o.Prefix != "" && (!strings.HasSuffix(o.Prefix, "/") || !ValidKey(strings.TrimSuffix(o.Prefix, "/"))) {
		return nil, fmt.Errorf("upload: s3 prefix %q must be lower-case segments ending in /, e.g. ecoreport/", o.Prefix)
	}
	lookup := minio.BucketLookupAuto
	if o.PathStyle {
		lookup = minio.BucketLookupPath
	}
	c, err := minio.New(o.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(o.AccessKey, o.SecretKey, ""),
		Secure:       !o.Insecure,
		Region:       o.Region,
		BucketLookup: lookup,
		Transport:    o.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("upload: s3 %s: %w", o.Endpoint, err)
	}
	scheme := "https"
	if o.Insecure {
		scheme = "http"
	}
	return &S3{c: c, bucket: o.Bucket, prefix: o.Prefix, where: scheme + "://" + o.Endpoint + "/" + o.Bucket + "/" + o.Prefix}, nil
}

func (s *S3) Kind() string  { return KindS3 }
func (s *S3) Where() string { return s.where }

// Check reaches the store and makes sure the bucket is there; it is not
// created: a bucket's policy and lifecycle are the store owner's to set.
func (s *S3) Check(ctx context.Context) error {
	ok, err := s.c.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("无法连接对象存储 %s：%w", s.where, err)
	}
	if !ok {
		return fmt.Errorf("对象存储中没有存储桶 %q：请先在对象存储上建立它（私有，不公开读）", s.bucket)
	}
	return nil
}

func (s *S3) name(key string) string { return s.prefix + key }

// missing reports whether err is the store's "no such object".
func missing(err error) bool {
	r := minio.ToErrorResponse(err)
	return r.Code == minio.NoSuchKey || r.StatusCode == http.StatusNotFound && r.Code != minio.NoSuchBucket
}

func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := checkPut(key, size); err != nil {
		return err
	}
	ct := "application/octet-stream"
	switch path.Ext(key) {
	case ".jpg":
		ct = "image/jpeg"
	case ".png":
		ct = "image/png"
	}
	_, err := s.c.PutObject(ctx, s.bucket, s.name(key), exact(r, size), size, minio.PutObjectOptions{ContentType: ct})
	if err != nil {
		return fmt.Errorf("upload: put %s to %s: %w", key, s.where, err)
	}
	return nil
}

func (s *S3) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	obj, err := s.c.GetObject(ctx, s.bucket, s.name(key), minio.GetObjectOptions{})
	if err == nil {
		// GetObject only sends the request on the first read or Stat: ask
		// now, so that a missing object is an error of Open.
		if _, err = obj.Stat(); err != nil {
			obj.Close()
		}
	}
	switch {
	case err != nil && missing(err):
		return nil, notExist(key)
	case err != nil:
		return nil, fmt.Errorf("upload: open %s in %s: %w", key, s.where, err)
	}
	return obj, nil
}

func (s *S3) Stat(ctx context.Context, key string) (Object, error) {
	if err := checkKey(key); err != nil {
		return Object{}, err
	}
	info, err := s.c.StatObject(ctx, s.bucket, s.name(key), minio.StatObjectOptions{})
	switch {
	case err != nil && missing(err):
		return Object{}, notExist(key)
	case err != nil:
		return Object{}, fmt.Errorf("upload: stat %s in %s: %w", key, s.where, err)
	}
	return Object{Key: key, Size: info.Size, Modified: info.LastModified}, nil
}

func (s *S3) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := s.c.RemoveObject(ctx, s.bucket, s.name(key), minio.RemoveObjectOptions{}); err != nil && !missing(err) {
		return fmt.Errorf("upload: delete %s in %s: %w", key, s.where, err)
	}
	return nil
}

// Walk lists the objects under the prefix (S3 lists in key order). An
// object whose name is not a key (put there by something else) is an
// error naming it, as the dir store's.
func (s *S3) Walk(ctx context.Context, fn func(Object) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing when fn fails
	for info := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix, Recursive: true}) {
		if info.Err != nil {
			return fmt.Errorf("upload: list %s: %w", s.where, info.Err)
		}
		key := strings.TrimPrefix(info.Key, s.prefix)
		if !ValidKey(key) {
			return fmt.Errorf("对象存储 %s 中的 %s 不是本系统写入的对象（名称不符）", s.where, info.Key)
		}
		if err := fn(Object{Key: key, Size: info.Size, Modified: info.LastModified}); err != nil {
			return err
		}
	}
	return ctx.Err()
}
