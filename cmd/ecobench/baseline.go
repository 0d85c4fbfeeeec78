package main

import (
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// baseline is the in-process comparison server: bare gin handlers doing the
// same database work as our path with nothing of ours around them.
type baseline struct {
	db     *sql.DB // interpolateParams=true: one round trip per INSERT
	prep   *sql.DB // server-side prepared statements
	track  *sql.Stmt
	srv    *http.Server
	base   string
	codes  []string
	baseDB string
}

const baselineSchema = `CREATE TABLE IF NOT EXISTS bench_filing (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tracking_mac CHAR(64) NOT NULL UNIQUE,
  town VARCHAR(255) NOT NULL, address VARCHAR(500) NOT NULL, subject VARCHAR(255) NOT NULL,
  description TEXT NOT NULL, categories VARCHAR(128) NOT NULL, received_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`

type baseInput struct {
	Categories  []string `json:"categories"`
	Town        string   `json:"town"`
	Address     string   `json:"address"`
	Subject     string   `json:"subject"`
	Description string   `json:"description"`
	Identity    string   `json:"identity"`
	Code        string   `json:"code"`
}

func mac(code string) string {
	h := sha256.Sum256([]byte(code))
	return hex.EncodeToString(h[:])
}

func randCode() string {
	const alpha = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	var b [16]byte
	rand.Read(b[:])
	var s strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			s.WriteByte('-')
		}
		s.WriteByte(alpha[c&31])
	}
	return s.String()
}

func startBaseline(dbs *dbServer, name string) *baseline {
	b := &baseline{db: dbs.open(name, true), prep: dbs.open(name, false), baseDB: name}
	for _, t := range []string{"bench_filing", "bench_track"} {
		if _, err := b.db.Exec(strings.Replace(baselineSchema, "bench_filing", t, 1)); err != nil {
			fatalf("baseline schema: %v", err)
		}
	}
	var err error
	if b.track, err = b.prep.Prepare("SELECT id, town, subject, description, received_at FROM bench_track WHERE tracking_mac = ?"); err != nil {
		fatalf("baseline prepare: %v", err)
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.POST("/file", func(c *gin.Context) {
		var in baseInput
		if err := json.NewDecoder(c.Request.Body).Decode(&in); err != nil {
			c.JSON(400, gin.H{"error": err.Error()})
			return
		}
		code := randCode()
		now := time.Now().UTC()
		if _, err := b.db.ExecContext(c, "INSERT INTO bench_filing (tracking_mac, town, address, subject, description, categories, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
			mac(code), in.Town, in.Address, in.Subject, in.Description, strings.Join(in.Categories, ","), now); err != nil {
			c.JSON(500, gin.H{"error": err.Error()})
			return
		}
		c.JSON(201, gin.H{"tracking_code": code, "status": "received", "received_at": now.Format(time.RFC3339)})
	})
	r.POST("/track", func(c *gin.Context) {
		var in baseInput
		if err := json.NewDecoder(c.Request.Body).Decode(&in); err != nil {
			c.JSON(400, gin.H{"error": err.Error()})
			return
		}
		var id int64
		var town, subject, desc string
		var at time.Time
		err := b.track.QueryRowContext(c, mac(in.Code)).Scan(&id, &town, &subject, &desc, &at)
		if err == sql.ErrNoRows {
			c.JSON(404, gin.H{"error": "not found"})
			return
		}
		if err != nil {
			c.JSON(500, gin.H{"error": err.Error()})
			return
		}
		c.JSON(200, gin.H{"ref": id, "town": town, "subject": subject, "received_at": at.Format(time.RFC3339)})
	})
	// /file-tx does the statements ecoreport's filing does (ledger.FileManyTx
	// with one complaint), on copies of the real tables, with nothing else:
	// a diagnostic that separates the SQL shape from our Go code.
	r.POST("/file-tx", func(c *gin.Context) {
		var in baseInput
		if err := json.NewDecoder(c.Request.Body).Decode(&in); err != nil {
			c.JSON(400, gin.H{"error": err.Error()})
			return
		}
		code := randCode()
		m := mac(code)
		now := time.Now().UTC()
		tx, err := b.db.BeginTx(c, nil)
		if err != nil {
			c.JSON(500, gin.H{"error": err.Error()})
			return
		}
		defer tx.Rollback()
		var id int64
		if _, err = tx.ExecContext(c, `INSERT INTO complaints (tracking_mac, channel, status, source_ref, lookup_mac, categories, category_text,
 town_id, town_text, address, subject, description, occurred_text, identity, contact_enc, wants_reward, received_at,
 decide_due_at, reply_due_at, extra, warnings, source_hash, created_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m, "api", "received", nil, nil, strings.Join(in.Categories, ","), "", 1, in.Town, in.Address, in.Subject, in.Description, "", "anonymous", nil, false, now, now.AddDate(0, 0, 7), nil, "{}", "[]", "", nil, now); err == nil {
			err = tx.QueryRowContext(c, "SELECT id FROM complaints WHERE tracking_mac = ?", m).Scan(&id)
		}
		if err == nil {
			_, err = tx.ExecContext(c, "INSERT INTO events (case_id, complaint_id, kind, from_status, to_status, actor_id, actor, public_note, internal_note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
				nil, id, "complaint.filed", "", "received", nil, "resident", "您的举报已收到（网上举报），我们将在2026年12月6日前决定是否受理。", "", now)
		}
		if err == nil {
			_, err = tx.ExecContext(c, "INSERT INTO audit_log (at, actor, action, object_type, object_id, detail) VALUES (?, ?, ?, ?, ?, ?)",
				now, "resident", "complaint.filed", "complaint", id, `{"from":"","to":"received"}`)
		}
		if err == nil {
			err = tx.Commit()
		}
		if err != nil {
			c.JSON(500, gin.H{"error": err.Error()})
			return
		}
		c.JSON(201, gin.H{"tracking_code": code, "status": "received", "received_at": now.Format(time.RFC3339)})
	})
	r.GET("/page", func(c *gin.Context) { c.JSON(200, gin.H{"ok": true, "service": "ecobench"}) })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatalf("baseline listen: %v", err)
	}
	b.base = "http://" + l.Addr().String()
	b.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go b.srv.Serve(l)
	return b
}

// seedTrack fills bench_track, a table of its own (the filing rounds'
// rows stay in bench_filing), with exactly n rows and keeps every one of
// their codes: the baseline's lookups then spread over as many keys of as
// large an index as ours.
func (b *baseline) seedTrack(n int) {
	b.db.Exec("DELETE FROM bench_track")
	b.codes = b.codes[:0]
	now := time.Now().UTC()
	desc := strings.Repeat("河边工厂夜间排放黑烟，气味刺鼻。", 4)
	for have := 0; have < n; {
		k := min(500, n-have)
		var q strings.Builder
		q.WriteString("INSERT INTO bench_track (tracking_mac, town, address, subject, description, categories, received_at) VALUES ")
		args := make([]any, 0, k*7)
		for i := 0; i < k; i++ {
			if i > 0 {
				q.WriteString(",")
			}
			q.WriteString("(?,?,?,?,?,?,?)")
			code := randCode()
			b.codes = append(b.codes, code)
			args = append(args, mac(code), "城关镇", "城关镇某路1号", "某化工厂", desc, "air", now)
		}
		if _, err := b.db.Exec(q.String(), args...); err != nil {
			fatalf("seed baseline: %v", err)
		}
		have += k
	}
}

// copyLedgerTables makes the diagnostic /file-tx's tables: copies of the
// service's complaints, events and audit_log (indexes, not foreign keys),
// with the events → complaints foreign key added back.
func (b *baseline) copyLedgerTables(svcDB string) {
	for _, t := range []string{"complaints", "events", "audit_log"} {
		if _, err := b.db.Exec("CREATE TABLE IF NOT EXISTS " + t + " LIKE `" + svcDB + "`." + t); err != nil {
			fatalf("copy table %s: %v", t, err)
		}
	}
	b.db.Exec("ALTER TABLE events ADD CONSTRAINT events_complaint_fk FOREIGN KEY (complaint_id) REFERENCES complaints(id)")
}

func (b *baseline) close() {
	b.srv.Close()
	b.track.Close()
	b.db.Close()
	b.prep.Close()
}
