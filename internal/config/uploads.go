package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Uploads says where uploaded files (photos) are kept: the local
// directory, the database, or an S3-compatible object store
// (internal/upload).
type Uploads struct {
	Store string // dir | db | s3
	Dir   string // the dir store's directory; DATA_DIR/uploads when empty

	S3Endpoint      string // host[:port]
	S3Bucket        string
	S3Prefix        string // e.g. ecoreport/
	S3AccessKey     string
	S3SecretKey     string
	S3SecretKeyFile string // read into S3SecretKey by Validate
	S3Region        string
	S3Insecure      bool // plain HTTP
	S3PathStyle     bool // endpoint/bucket instead of bucket.endpoint
}

// bindUploads registers the flags of the upload store.
func (c *Config) bindUploads(fs *flag.FlagSet) {
	u := &c.Uploads
	fs.StringVar(&u.Store, "uploads", u.Store, "上传文件（照片）存放在：dir 本机目录 | db 数据库 | s3 对象存储；多个实例时用 db 或 s3 (where uploads are kept)")
	fs.StringVar(&u.Dir, "upload-dir", u.Dir, "dir 存储的目录；缺省为 数据目录/uploads (directory of the dir store)")
	fs.StringVar(&u.S3Endpoint, "s3-endpoint", u.S3Endpoint, "对象存储地址 主机[:端口]，不带 https://，如 oss-cn-hangzhou.aliyuncs.com 或 minio.example.cn:9000")
	fs.StringVar(&u.S3Bucket, "s3-bucket", u.S3Bucket, "存储桶名称（私有，须已建立）(bucket)")
	fs.StringVar(&u.S3Prefix, "s3-prefix", u.S3Prefix, "对象名前缀，与他用共享存储桶时使用，如 ecoreport/ (object name prefix)")
	fs.StringVar(&u.S3AccessKey, "s3-access-key", u.S3AccessKey, "AccessKeyId")
	fs.StringVar(&u.S3SecretKey, "s3-secret-key", u.S3SecretKey, "SecretAccessKey（宜用 --s3-secret-key-file 或 ECOREPORT_S3_SECRET_KEY_FILE）")
	fs.StringVar(&u.S3SecretKeyFile, "s3-secret-key-file", u.S3SecretKeyFile, "存放 SecretAccessKey 的文件 (file holding the secret key)")
	fs.StringVar(&u.S3Region, "s3-region", u.S3Region, "地域，如 cn-hangzhou；不给则向对象存储查询 (region)")
	fs.BoolVar(&u.S3Insecure, "s3-insecure", u.S3Insecure, "以明文 HTTP 连接对象存储，仅限本机或内网 (plain HTTP)")
	fs.BoolVar(&u.S3PathStyle, "s3-path-style", u.S3PathStyle, "以 地址/存储桶 方式访问（MinIO、Ceph 等自建存储）；缺省按地址自动选择 (path-style bucket addressing)")
}

// validateUploads checks the store's settings and fills the defaults.
func (c *Config) validateUploads() error {
	u := &c.Uploads
	switch u.Store {
	case "dir", "db", "s3":
	default:
		return fmt.Errorf("配置错误 --uploads：只能是 dir、db 或 s3，而不是 %q", u.Store)
	}
	if u.Dir == "" {
		u.Dir = filepath.Join(c.DataDir, "uploads")
	}
	if u.S3SecretKeyFile != "" {
		b, err := os.ReadFile(u.S3SecretKeyFile)
		if err != nil {
			return fmt.Errorf("配置错误 --s3-secret-key-file：无法读取 %s：%v", u.S3SecretKeyFile, err)
		}
		u.S3SecretKey = strings.TrimRight(string(b), "\r\n")
	}
	if u.Store == "s3" {
		return u.CheckS3()
	}
	return nil
}

// CheckS3 names the first missing or bad setting of the s3 store.
func (u *Uploads) CheckS3() error {
	switch {
	case u.S3Endpoint == "":
		return errors.New("配置错误 --s3-endpoint：使用对象存储时不能为空")
	case strings.Contains(u.S3Endpoint, "://") || strings.Contains(u.S3Endpoint, "/"):
		return fmt.Errorf("配置错误 --s3-endpoint：%q 应为 主机[:端口]，不带 https:// 和路径（明文连接用 --s3-insecure）", u.S3Endpoint)
	case u.S3Bucket == "":
		return errors.New("配置错误 --s3-bucket：使用对象存储时不能为空")
	case u.S3AccessKey == "" || u.S3SecretKey == "":
		return errors.New("配置错误 --s3-access-key / --s3-secret-key：使用对象存储时不能为空")
	case u.S3Prefix != "" && !strings.HasSuffix(u.S3Prefix, "/"):
		return fmt.Errorf("配置错误 --s3-prefix：%q 应以 / 结尾，如 ecoreport/", u.S3Prefix)
	}
	return nil
}
