// Package secret holds the data key and what is derived from it: AES-256-GCM
// encryption of contact details (联系方式) and the HMAC that stands in the
// database for tracking codes. The key lives in a file; a fresh install
// generates one.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Keys are the subkeys derived from the data key, one per purpose, so that no
// key is used for two things.
type Keys struct {
	aead  cipher.AEAD
	mac   []byte
	rate  []byte
	audit []byte
}

// LoadOrCreate reads the hex data key from path, or writes a new random one
// (mode 0600) when the file does not exist; created says which happened.
func LoadOrCreate(path string) (k *Keys, created bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		master := make([]byte, 32)
		if _, err := rand.Read(master); err != nil {
			return nil, false, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, false, fmt.Errorf("配置错误 --key-file：无法创建目录：%w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, false, fmt.Errorf("配置错误 --key-file：无法写入 %s：%w", path, err)
		}
		if _, err := f.WriteString(hex.EncodeToString(master) + "\n"); err != nil {
			f.Close()
			return nil, false, err
		}
		if err := f.Close(); err != nil {
			return nil, false, err
		}
		k, err := New(master)
		return k, true, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("配置错误 --key-file：无法读取 %s：%w", path, err)
	}
	k, err = parse(path, b)
	return k, false, err
}

// Load reads the hex data key from path and never creates one: for the
// commands that must work with the key the data was sealed with (backup).
func Load(path string) (*Keys, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("配置错误 --key-file：数据密钥 %s 不存在：%w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("配置错误 --key-file：无法读取 %s：%w", path, err)
	}
	return parse(path, b)
}

func parse(path string, b []byte) (*Keys, error) {
	master, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(master) != 32 {
		return nil, fmt.Errorf("配置错误 --key-file：%s 不是 64 位十六进制密钥", path)
	}
	return New(master)
}

// New derives the subkeys from a 32-byte data key.
func New(master []byte) (*Keys, error) {
	if len(master) != 32 {
		return nil, errors.New("secret: data key must be 32 bytes")
	}
	block, err := aes.NewCipher(derive(master, "ecoreport/v1/field-encryption"))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Keys{aead: aead, mac: derive(master, "ecoreport/v1/tracking-mac"), rate: derive(master, "ecoreport/v1/rate-limit"),
		audit: derive(master, "ecoreport/v1/audit-checkpoint")}, nil
}

func derive(master []byte, purpose string) []byte {
	m := hmac.New(sha256.New, master)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

const sealPrefix = "v1:"

// Seal encrypts plaintext with AES-256-GCM; the result is text safe to store.
func (k *Keys) Seal(plaintext []byte) string {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return sealPrefix + base64.RawStdEncoding.EncodeToString(k.aead.Seal(nonce, nonce, plaintext, nil))
}

// Open decrypts what Seal produced.
func (k *Keys) Open(sealed string) ([]byte, error) {
	raw, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return nil, errors.New("secret: unknown ciphertext format")
	}
	b, err := base64.RawStdEncoding.DecodeString(raw)
	if err != nil || len(b) < k.aead.NonceSize() {
		return nil, errors.New("secret: corrupt ciphertext")
	}
	n := k.aead.NonceSize()
	pt, err := k.aead.Open(nil, b[:n], b[n:], nil)
	if err != nil {
		return nil, fmt.Errorf("secret: decrypt: %w", err)
	}
	return pt, nil
}

// MAC returns hex HMAC-SHA256 of the parts (joined by NUL) under the tracking
// key: what the database stores in place of a tracking code or a ticket +
// last-four-digits lookup.
func (k *Keys) MAC(parts ...string) string {
	m := hmac.New(sha256.New, k.mac)
	for i, p := range parts {
		if i > 0 {
			m.Write([]byte{0})
		}
		m.Write([]byte(p))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// RateKey is the key for hashing client addresses for rate limits (rotated
// daily by the limiter, never stored).
func (k *Keys) RateKey() []byte { return append([]byte(nil), k.rate...) }

// AuditSeed is the 32-byte seed of the Ed25519 key that signs the audit
// log's checkpoints (internal/audit): derived, so that the data key's
// backup is the signing key's backup, and public-key, so that a printed
// checkpoint can be checked by anyone who has the public half.
func (k *Keys) AuditSeed() []byte { return append([]byte(nil), k.audit...) }
