// Package partner keeps the API keys of partner apps (合作应用接口密钥) that
// file complaints through Open311. A key is issued by `ecoreport open311
// add-key NAME`, printed once and stored as its SHA-256 (migration 00025):
// 32 random bytes cannot be guessed, so a plain hash (no salt, no
// stretching) is enough, and a leaked table reveals no key.
package partner

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
	"ecoreport/internal/db"
)

// KeyPrefix marks a key so that one pasted into the wrong place is
// recognisable (and findable by secret scanners).
const KeyPrefix = "eco311_"

// MaxName keeps "open311:"+name within the 64 characters of events.actor
// and audit_log.actor.
const MaxName = 40

// Key is one issued key as list-keys shows it (never the key itself).
type Key struct {
	ID        int64        `db:"id"`
	Name      string       `db:"name"` // the partner
	KeyHash   string       `db:"key_hash"`
	CreatedAt time.Time    `db:"created_at"`
	RevokedAt sql.NullTime `db:"revoked_at"`
}

// Keys keeps the partner keys. Now is the clock of issue and revocation.
type Keys struct {
	DB  *db.DB
	Now func() time.Time
}

// New returns Keys on the real clock.
func New(d *db.DB) *Keys { return &Keys{DB: d, Now: time.Now} }

func (k *Keys) now() time.Time { return db.UTC(k.Now()) }

// Hash is the stored form of a key.
func Hash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

func checkName(name string) error {
	msg := ""
	switch {
	case name == "":
		msg = "请给出合作方名称"
	case utf8.RuneCountInString(name) > MaxName:
		msg = fmt.Sprintf("合作方名称不能超过%d个字", MaxName)
	case !utf8.ValidString(name):
		msg = "合作方名称含有无法识别的字符"
	default:
		for _, r := range name {
			if r <= ' ' || r == 0x7f || r == ':' || r == '\u3000' {
				msg = "合作方名称不能含空格、冒号或控制字符"
				break
			}
		}
	}
	if msg != "" {
		return apperr.Invalid(map[string]string{"name": msg})
	}
	return nil
}

const (
	insertKeySQL  = `INSERT INTO open311_keys (name, key_hash, created_at) VALUES (?, ?, ?)`
	revokeKeysSQL = `UPDATE open311_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL`
	listKeysSQL   = `SELECT id, name, key_hash, created_at, revoked_at FROM open311_keys ORDER BY id DESC`
	keyByHashSQL  = `SELECT id, name, key_hash, created_at, revoked_at FROM open311_keys WHERE key_hash = ?`
)

// Add issues a new key for the partner name and returns it; only its
// SHA-256 is stored, so the caller must show it now or never. A partner may
// hold several live keys (to rotate without downtime). EINVALID for a bad
// name.
func (k *Keys) Add(ctx context.Context, name string) (string, error) {
	name = strings.TrimSpace(name)
	if err := checkName(name); err != nil {
		return "", err
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	key := KeyPrefix + hex.EncodeToString(b[:])
	now := k.now()
	err := k.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, insertKeySQL, name, Hash(key), now)
		if err != nil {
			return fmt.Errorf("partner: add key %s: %w", name, err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, "cli", "open311.key_added", "open311_key", id, map[string]string{"name": name})
	})
	if err != nil {
		return "", db.Classify(err)
	}
	return key, nil
}

// Revoke revokes every live key of the partner and returns how many.
// ENOTFOUND when the partner has no live key.
func (k *Keys) Revoke(ctx context.Context, name string) (int, error) {
	name = strings.TrimSpace(name)
	var n int64
	err := k.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		now := k.now()
		res, err := tx.ExecContext(ctx, revokeKeysSQL, now, name)
		if err != nil {
			return fmt.Errorf("partner: revoke keys of %s: %w", name, err)
		}
		if n, _ = res.RowsAffected(); n == 0 {
			return &apperr.Error{Code: apperr.ENOTFOUND, Message: "合作方 " + name + " 没有有效的密钥"}
		}
		return audit.Append(ctx, tx, now, "cli", "open311.key_revoked", "open311_key", name, map[string]int64{"keys": n})
	})
	return int(n), db.Classify(err)
}

// List lists every issued key, newest first.
func (k *Keys) List(ctx context.Context) ([]Key, error) {
	var ks []Key
	if err := k.DB.SelectContext(ctx, &ks, listKeysSQL); err != nil {
		return nil, db.Classify(fmt.Errorf("partner: list keys: %w", err))
	}
	return ks, nil
}

// ErrBadKey is the one answer for a missing, unknown or revoked key.
var ErrBadKey = &apperr.Error{Code: apperr.EFORBIDDEN, Message: "api_key 缺失或无效，请向专班申请接口密钥"}

// Check returns the live key that key is. ErrBadKey (EFORBIDDEN) for a
// missing, unknown or revoked one.
func (k *Keys) Check(ctx context.Context, key string) (*Key, error) {
	key = strings.TrimSpace(key)
	if key == "" || len(key) > 200 {
		return nil, ErrBadKey
	}
	var row Key
	err := k.DB.GetContext(ctx, &row, keyByHashSQL, Hash(key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrBadKey
	}
	if err != nil {
		return nil, db.Classify(fmt.Errorf("partner: key lookup: %w", err))
	}
	if row.RevokedAt.Valid {
		return nil, ErrBadKey
	}
	return &row, nil
}

// Command runs `ecoreport open311 …`: add-key NAME (prints the key
// once), list-keys, revoke-key NAME. It returns the exit code: 0 done, 1
// failed, 2 bad usage.
func Command(ctx context.Context, d *db.DB, args []string, out, errOut io.Writer) int {
	usage := func() {
		fmt.Fprintln(errOut, "用法：ecoreport open311 add-key 名称 | list-keys | revoke-key 名称")
		fmt.Fprintln(errOut, "  add-key 名称     为合作应用签发 Open311 接口密钥（只显示这一次，库中只存其 SHA-256）")
		fmt.Fprintln(errOut, "  list-keys        列出已签发的密钥（不显示密钥本身）")
		fmt.Fprintln(errOut, "  revoke-key 名称  吊销该合作方的全部有效密钥")
	}
	if len(args) == 0 {
		usage()
		return 2
	}
	fs := flag.NewFlagSet("open311 "+args[0], flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.Usage = usage
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	fail := func(err error) int {
		switch apperr.Code(err) {
		case apperr.EINVALID, apperr.ENOTFOUND, apperr.ECONFLICT:
			fmt.Fprintln(errOut, "错误："+apperr.Message(err))
			return 2
		}
		fmt.Fprintf(errOut, "失败（数据库出错）：%v\n", err)
		return 1
	}
	switch args[0] {
	case "add-key":
		if fs.NArg() != 1 {
			usage()
			return 2
		}
		key, err := New(d).Add(ctx, fs.Arg(0))
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(out, "已为合作方 %s 签发 Open311 接口密钥（只显示这一次，请妥善交给对方）：\n%s\n", strings.TrimSpace(fs.Arg(0)), key)
		fmt.Fprintln(out, "提交举报时以表单字段 api_key 传入：POST /open311/v2/requests.json")
		return 0
	case "list-keys":
		if fs.NArg() != 0 {
			usage()
			return 2
		}
		ks, err := New(d).List(ctx)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintln(out, "编号\t合作方\t签发时间（UTC）\t状态\t密钥指纹")
		for _, k := range ks {
			st := "有效"
			if k.RevokedAt.Valid {
				st = "已吊销 " + k.RevokedAt.Time.UTC().Format("2006-01-02 15:04")
			}
			fmt.Fprintf(out, "%d\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.CreatedAt.UTC().Format("2006-01-02 15:04"), st, k.KeyHash[:12])
		}
		return 0
	case "revoke-key":
		if fs.NArg() != 1 {
			usage()
			return 2
		}
		n, err := New(d).Revoke(ctx, fs.Arg(0))
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(out, "已吊销合作方 %s 的 %d 个密钥\n", strings.TrimSpace(fs.Arg(0)), n)
		return 0
	}
	fmt.Fprintf(errOut, "错误：未知的子命令 %q\n", args[0])
	usage()
	return 2
}
