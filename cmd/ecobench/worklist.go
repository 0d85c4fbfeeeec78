package main

// The rows of work management (issue 19): the inbox's first and last pages
// over 10,000 complaints waiting for a decision (keyset paging), and a
// search over 1,000,000 complaints. Both run in-process on a database of
// their own: the inbox through the back office's real handler and
// templates, the search through ledger.Search.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"ecoreport/internal/auth"
	"ecoreport/internal/bulletin"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
	"ecoreport/internal/office"
	"ecoreport/internal/secret"
)

// The words generated complaints are made of: reported parties, villages,
// problems, times and effects, combined at random so that each word is as
// common in the ledger as it would be in a county's.
var (
	wlFirms1   = []string{"恒达", "鑫源", "宏盛", "秦岭", "汉江", "金龙", "华泰", "永兴", "兴旺", "瑞丰", "天成", "通达", "顺发", "明珠", "富民", "长青", "银河", "东方", "安康", "石泉"}
	wlFirms2   = []string{"建材", "石材", "砂石", "养殖", "化工", "食品", "木业", "矿业", "混凝土", "塑料", "造纸", "印染", "钢构", "饲料", "酒业"}
	wlFirms3   = []string{"有限公司", "厂", "加工厂", "合作社", "搅拌站", "养殖场"}
	wlVillages = []string{"新华村", "红星村", "长岭村", "马岔村", "梨园村", "高桥村", "丝银坝村", "太平村", "金星村", "双桥村", "枫树村", "柏杨村", "龙泉村", "青龙村", "白果村", "田坝村"}
	wlProblems = []string{"夜间施工噪声扰民", "烟囱冒黑烟", "污水直排河道", "粉尘很大", "气味刺鼻", "倾倒建筑垃圾", "非法采砂", "露天焚烧秸秆",
		"养殖粪污外溢", "油烟扰民", "机器轰鸣", "偷排废水", "河水发黑发臭", "堆放危险废物", "破坏林地", "渣土车沿路撒漏", "鱼塘死鱼"}
	wlTimes   = []string{"每天夜里", "凌晨两点", "周末", "下雨天", "最近一个月", "每天早上", "傍晚", "长期"}
	wlEffects = []string{"周边居民无法入睡", "孩子咳嗽", "庄稼受损", "无法开窗", "严重影响生活", "群众意见很大", "多次反映未解决"}
)

func wlPick(r *rand.Rand, s []string) string { return s[r.IntN(len(s))] }

// wlText is one generated complaint's text.
type wlText struct {
	town                          int64
	subject, address, description string
}

func wlGen(r *rand.Rand) wlText {
	town := int64(1 + r.IntN(11))
	subject := wlPick(r, wlFirms1) + wlPick(r, wlFirms2) + wlPick(r, wlFirms3)
	return wlText{
		town:    town,
		subject: subject,
		address: fmt.Sprintf("%s%d组", wlPick(r, wlVillages), 1+r.IntN(12)),
		description: wlPick(r, wlTimes) + subject + wlPick(r, wlProblems) + "，" + wlPick(r, wlProblems) + "，" +
			wlPick(r, wlEffects) + "。",
	}
}

// wlDB opens a fresh migrated database for one row.
func wlDB(ctx context.Context, dbs *dbServer, suffix string) (*db.DB, string) {
	name := dbName(suffix)
	dbs.create(name)
	d, err := db.Open(ctx, dbs.spec(name))
	if err != nil {
		fatalf("%v", err)
	}
	if _, err := d.Migrate(ctx); err != nil {
		fatalf("migrate: %v", err)
	}
	return d, name
}

// timed runs fn n times after one warm-up and returns the durations, sorted.
func timed(n int, fn func() error) ([]time.Duration, error) {
	if err := fn(); err != nil {
		return nil, err
	}
	out := make([]time.Duration, 0, n)
	for range n {
		t := time.Now()
		if err := fn(); err != nil {
			return nil, err
		}
		out = append(out, time.Since(t))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// inboxRows fills a ledger of -inbox-ledger complaints over three years
// (bulletin.GenerateLedger) and -inbox complaints waiting for a decision
// (filed through ledger.FileManyTx, 500 a transaction, as an import does),
// then times GET /office/inbox (the first page) and /office/inbox?last=1
// through the back office's handler with an inspector's session: the whole
// page, its counts, duplicate suggestions and template included. A page
// deep in the middle, reached by its cursor, shows that every page costs
// the same; an OFFSET query to the same depth is the contrast.
func inboxRows(ctx context.Context, dbs *dbServer) []*row {
	first := &row{what: fmt.Sprintf("inbox first page (%d waiting)", opt.inbox), unit: "ms", target: "< 200 ms"}
	last := &row{what: fmt.Sprintf("inbox last page (%d waiting)", opt.inbox), unit: "ms", target: "< 200 ms"}
	middle := &row{what: "inbox middle page, by its cursor", unit: "ms", target: "< 200 ms"}
	d, name := wlDB(ctx, dbs, "inbox")
	defer func() {
		d.Close()
		if !opt.keep {
			dropOne(dbs, name)
		}
	}()
	t0 := time.Now()
	if err := bulletin.GenerateLedger(ctx, d, opt.inboxLedger, 7); err != nil {
		fatalf("generate ledger: %v", err)
	}
	keys, _, err := secret.LoadOrCreate(filepath.Join(opt.tmp, "inbox.key"))
	if err != nil {
		fatalf("%v", err)
	}
	l := ledger.NewService(d, keys)
	r := rand.New(rand.NewPCG(19, 10000))
	now := time.Now()
	for done := 0; done < opt.inbox; {
		n := min(500, opt.inbox-done)
		ins := make([]ledger.NewComplaint, n)
		for i := range ins {
			t := wlGen(r)
			ins[i] = ledger.NewComplaint{Channel: ledger.Channels[r.IntN(3)], Categories: ledger.Categories{ledger.AllCategories[r.IntN(7)]},
				TownID: t.town, Address: t.address, Subject: t.subject, Description: t.description, Identity: ledger.Anonymous,
				ReceivedAt: now.Add(-time.Duration(r.IntN(14*24*3600)) * time.Second)}
			if ins[i].Channel == ledger.ChannelHotline {
				ins[i].SourceRef = fmt.Sprintf("SN12369B%07d", done+i)
			}
		}
		if err := d.InTx(ctx, func(tx *sqlx.Tx) error { _, err := l.FileManyTx(ctx, tx, ins, ledger.System); return err }); err != nil {
			fatalf("file inbox: %v", err)
		}
		done += n
	}
	logf("inbox: a %d-complaint ledger and %d waiting in %.1fs", opt.inboxLedger, opt.inbox, time.Since(t0).Seconds())

	gin.SetMode(gin.ReleaseMode)
	users := auth.NewStore(d)
	if _, err := users.Create(ctx, auth.NewUser{Username: "bench", DisplayName: "压测", Role: auth.Inspector, Password: "bench password 19"}, "ecobench"); err != nil {
		fatalf("user: %v", err)
	}
	u, err := users.ByUsername(ctx, "bench")
	if err != nil {
		fatalf("%v", err)
	}
	h := office.New(office.Deps{Ledger: l, Users: users, DB: d, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	e := gin.New()
	h.Register(e)
	token, _, err := h.Sessions.Create(ctx, u.ID)
	if err != nil {
		fatalf("session: %v", err)
	}
	get := func(path string) func() error {
		return func() error {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.AddCookie(&http.Cookie{Name: office.SessionCookie, Value: token})
			w := httptest.NewRecorder()
			e.ServeHTTP(w, req)
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `class="box row"`) {
				return fmt.Errorf("GET %s: %d", path, w.Code)
			}
			return nil
		}
	}
	n := max(5, 3*opt.pairs)
	deep := opt.inbox / 2 / ledger.InboxPageSize * ledger.InboxPageSize
	var cur ledger.Cursor
	if err := d.QueryRowContext(ctx, `SELECT received_at, id FROM complaints WHERE status = 'received' ORDER BY received_at, id LIMIT 1 OFFSET ?`, deep-1).
		Scan(&cur.At, &cur.ID); err != nil {
		fatalf("inbox: middle cursor: %v", err)
	}
	var stats [4][]time.Duration
	for i, f := range []func() error{get("/office/inbox"), get("/office/inbox?last=1"), get("/office/inbox?after=" + cur.String()),
		func() error {
			rows, err := d.QueryContext(ctx, `SELECT id FROM complaints WHERE status = 'received' ORDER BY received_at, id LIMIT 50 OFFSET ?`, deep)
			if err != nil {
				return err
			}
			return rows.Close()
		}} {
		if stats[i], err = timed(n, f); err != nil {
			first.na, first.verdict = "failed: "+err.Error(), "FAIL"
			return []*row{first}
		}
	}
	med := func(ds []time.Duration) time.Duration { return ds[len(ds)/2] }
	describe := func(r *row, ds []time.Duration) {
		r.na = fmt.Sprintf("%.1f ms median of %d (min %.1f, max %.1f)", ms64(med(ds)), len(ds), ms64(ds[0]), ms64(ds[len(ds)-1]))
	}
	middle.what = fmt.Sprintf("inbox page %d of %d, by its cursor", deep/ledger.InboxPageSize+1, (opt.inbox+ledger.InboxPageSize-1)/ledger.InboxPageSize)
	rows := []*row{first, last, middle}
	for i, r := range rows {
		describe(r, stats[i])
		r.verdict = "PASS"
		if med(stats[i]) >= 200*time.Millisecond {
			r.verdict = "FAIL"
		}
	}
	logf("inbox: for contrast, the bare OFFSET %d query (ids only) %.1f ms median", deep, ms64(med(stats[3])))
	return rows
}

func ms64(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// searchRow writes -search-docs generated complaints with multi-row INSERTs
// (as bulletin.GenerateLedger does), builds the search index from them
// with ledger.Reindex (what ecoreport search reindex runs), and times
// ledger.Search, one page of 50 newest first, for a set of typical searches:
// a reported party, a village, a phrase, a common word, two words, a
// ticket number, a reference and a word found nowhere. The row shows the
// slowest search's median.
func searchRow(ctx context.Context, dbs *dbServer) *row {
	r := &row{what: fmt.Sprintf("search (%d complaints)", opt.searchDocs), unit: "ms", target: "< 200 ms each"}
	d, name := wlDB(ctx, dbs, "search")
	defer func() {
		d.Close()
		if !opt.keep {
			dropOne(dbs, name)
		}
	}()
	t0 := time.Now()
	rnd := rand.New(rand.NewPCG(19, 1000000))
	start := time.Now().AddDate(-3, 0, 0)
	const batch = 1000
	for i := 0; i < opt.searchDocs; i += batch {
		if ctx.Err() != nil {
			return r
		}
		var q strings.Builder
		q.WriteString(`INSERT INTO complaints (id, tracking_mac, channel, status, source_ref, categories, town_id, address, subject, description,
 identity, received_at, decide_due_at, updated_at, extra, warnings) VALUES `)
		args := make([]any, 0, batch*16)
		for j := 0; j < batch && i+j < opt.searchDocs; j++ {
			id := i + j + 1
			t := wlGen(rnd)
			at := start.Add(time.Duration(float64(3*365*24*time.Hour) * float64(id) / float64(opt.searchDocs)))
			if j > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '')")
			ch, ref := ledger.ChannelWeb, any(nil)
			if id%2 == 0 {
				ch, ref = ledger.ChannelHotline, fmt.Sprintf("SN12369%08d", id)
			}
			args = append(args, id, fmt.Sprintf("search%058d", id), ch, ledger.Refused, ref, "noise", t.town, t.address, t.subject,
				t.description, ledger.Anonymous, db.UTC(at), db.UTC(at.AddDate(0, 0, 15)), db.UTC(at))
		}
		if _, err := d.ExecContext(ctx, q.String(), args...); err != nil {
			fatalf("search: insert complaints: %v", err)
		}
	}
	logf("search: %d complaints written in %.1fs", opt.searchDocs, time.Since(t0).Seconds())
	l := ledger.NewService(d, nil)
	t1 := time.Now()
	docs, err := l.Reindex(ctx)
	if err != nil {
		fatalf("search: reindex: %v", err)
	}
	var terms int64
	d.GetContext(ctx, &terms, `SELECT COUNT(*) FROM search_terms`)
	logf("search: indexed %d documents (%d terms) in %.1fs (ecoreport search reindex)", docs, terms, time.Since(t1).Seconds())

	// The last two are the hard ones: common words that rarely meet (each
	// on about one complaint in ten), and two that never do (no reported
	// party is both), where the search checks its whole budget of the
	// rarest word's complaints and offers to go on.
	queries := []string{"恒达建材", "丝银坝村", "污水直排", "噪声", "鱼塘死鱼 龙泉村", "秦岭木业有限公司", fmt.Sprintf("SN12369%08d", opt.searchDocs/2),
		ledger.ComplaintRef(int64(opt.searchDocs / 3)), "不存在的厂名", "凌晨两点 破坏林地 孩子咳嗽", "建材 饲料"}
	worst, worstQ := time.Duration(0), ""
	n := max(5, 3*opt.pairs)
	for _, q := range queries {
		found, partial := 0, false
		ds, err := timed(n, func() error {
			p, err := l.Search(ctx, ledger.SearchQuery{Text: q, Kind: ledger.SearchComplaints}, ledger.Scope{All: true})
			if err == nil {
				found, partial = len(p.Complaints), p.Partial
			}
			return err
		})
		if err != nil {
			r.na, r.verdict = "failed: "+err.Error(), "FAIL"
			return r
		}
		m := ds[len(ds)/2]
		more := ""
		if partial {
			more = " (stopped at its budget, offers to go on)"
		}
		logf("search %q: %d results%s, %.1f ms median (min %.1f, max %.1f), load %s", q, found, more, ms64(m), ms64(ds[0]), ms64(ds[len(ds)-1]), loadavg())
		if m > worst {
			worst, worstQ = m, q
		}
	}
	r.na = fmt.Sprintf("slowest %.1f ms median (%s) of %d searches × %d", ms64(worst), worstQ, len(queries), n)
	r.verdict = "PASS"
	if worst >= 200*time.Millisecond {
		r.verdict = "FAIL"
	}
	return r
}
