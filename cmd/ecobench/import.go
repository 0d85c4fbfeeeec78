package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

var csvHeader = []string{"工单编号", "来电时间", "来电人", "来电号码", "是否匿名", "所属乡镇", "事发地址", "污染类型", "被举报对象", "举报内容", "办理时限"}

var (
	surnames  = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"}
	given     = []string{"伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇", "军", "杰"}
	townForms = []string{"城关镇", "城关", "石泉县饶峰镇", "两河镇", "迎丰镇", "池河镇", "后柳镇", "喜河镇", "熨斗镇", "云雾山镇", "中池镇", "曾溪镇"}
	catForms  = []string{"大气污染", "扬尘", "油烟", "水污染", "废水", "噪声", "噪音", "固废", "垃圾", "辐射", "土壤", "非法采砂", "其他"}
	subjects  = []string{"某建材有限公司", "某砂石厂", "某养殖场", "某餐馆", "某化工厂", "某建筑工地", "某洗车店", "某木材加工厂"}
	contents  = []string{
		"来电人反映该单位夜间生产时烟囱冒黑烟，气味刺鼻，附近居民无法开窗，要求尽快核查处理。",
		"来电人反映河道内有不明废水直排，水面发黑有泡沫，下游有村民取水灌溉，请求环保部门到现场查看。",
		"来电人反映工地夜间十点后仍在施工，噪声很大，影响周边居民休息，多次沟通无果。",
		"来电人反映村口有人倾倒建筑垃圾和生活垃圾，堆放已有半月，雨后污水流入农田。",
		"来电人反映河滩有人用挖掘机非法采砂，破坏河堤，夜间作业，请求查处。",
	}
)

// ticketRow is row i of the generated export: the same for the CSV and the
// baseline (seeded by i).
func ticketRow(i int) []string {
	r := rand.New(rand.NewPCG(uint64(i), 12369))
	at := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(i%1000000) * 94 * time.Second)
	anon := "否"
	name := surnames[r.IntN(len(surnames))] + given[r.IntN(len(given))]
	phone := fmt.Sprintf("1%d%09d", 3+r.IntN(6), r.IntN(1000000000))
	if r.IntN(5) == 0 {
		anon, name = "是", ""
	}
	town := townForms[r.IntN(len(townForms))]
	return []string{
		fmt.Sprintf("SQ12369%09d", i),
		at.Format("2006-01-02 15:04:05"),
		name, phone, anon, town,
		fmt.Sprintf("%s%s路%d号附近", town, []string{"河堤", "人民", "解放", "滨江"}[r.IntN(4)], r.IntN(300)+1),
		catForms[r.IntN(len(catForms))],
		subjects[r.IntN(len(subjects))],
		contents[r.IntN(len(contents))] + fmt.Sprintf("（回访电话%d）", r.IntN(100000)),
		at.AddDate(0, 0, 15).Format("2006-01-02"),
	}
}

// writeExport writes an n-row hotline export (UTF-8 CSV, CRLF) to path.
func writeExport(path string, n int) {
	if st, err := os.Stat(path); err == nil && st.Size() > 0 {
		return
	}
	f, err := os.Create(path)
	if err != nil {
		fatalf("%v", err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w := csv.NewWriter(bw)
	w.UseCRLF = true
	w.Write(csvHeader)
	for i := 0; i < n; i++ {
		w.Write(ticketRow(i))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		fatalf("write export: %v", err)
	}
	bw.Flush()
	f.Close()
}

// importRun is one `ecoreport import` child.
type importRun struct {
	elapsed time.Duration
	rssKiB  int64 // ru_maxrss of the child (and the /proc poll, whichever is higher)
	counts  importCounts
	exit    string
	killed  bool
}

type importCounts struct {
	Imported  int    `json:"imported"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	Rejected  int    `json:"rejected"`
	Warnings  int    `json:"warnings"`
	Error     string `json:"error"`
}

func migrateUp(bin, spec string) {
	out, err := exec.Command(bin, "migrate", "up", "--db", spec).CombinedOutput()
	if err != nil {
		fatalf("migrate up: %v: %s", err, out)
	}
}

// runImport runs `ecoreport import --json file`; killAfter > 0 SIGKILLs it
// after that long (the fault scenario).
func runImport(ctx context.Context, bin, spec, dataDir, file string, killAfter time.Duration) importRun {
	outPath := filepath.Join(opt.tmp, "import-out.json")
	out, err := os.Create(outPath)
	if err != nil {
		fatalf("%v", err)
	}
	cmd := exec.Command(bin, "import", "--json", "--db", spec, "--data-dir", dataDir, file)
	cmd.Stdout = out
	t := time.Now()
	if err := startChild(cmd, filepath.Join(opt.tmp, "import.log")); err != nil {
		fatalf("start import: %v", err)
	}
	p := pollRSS(cmd.Process.Pid, 50*time.Millisecond)
	var res importRun
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-ctx.Done():
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		case <-afterOrNever(killAfter):
			res.killed = true
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	}()
	err = cmd.Wait()
	close(done)
	res.elapsed = time.Since(t)
	untrack(cmd)
	res.rssKiB = p.Stop()
	// Only when the poller saw nothing (a very short run): Linux carries the
	// parent's peak RSS over fork into the child's ru_maxrss (signal->maxrss
	// is kept across exec), so wait4's figure includes ecobench's own memory
	// (the baseline's rows) and is not the importer's.
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && res.rssKiB == 0 {
		res.rssKiB = ru.Maxrss
	}
	out.Close()
	res.exit = cmd.ProcessState.String()
	if err == nil {
		b, _ := os.ReadFile(outPath)
		dec := json.NewDecoder(strings.NewReader(string(b)))
		if err := dec.Decode(&res.counts); err != nil {
			logf("import: cannot read --json output: %v", err)
		}
	} else if !res.killed {
		logf("import failed (%v): %s", err, tail(filepath.Join(opt.tmp, "import.log"), 5))
	}
	return res
}

func afterOrNever(d time.Duration) <-chan time.Time {
	if d <= 0 {
		return nil
	}
	return time.After(d)
}

// importBaseline inserts rows 0..n-1 into a scratch table, 500 rows a
// transaction, one multi-row INSERT each, no parsing (rows prepared before
// the clock starts).
func importBaseline(dbs *dbServer, name string, n int) time.Duration {
	d := dbs.open(name, true)
	defer d.Close()
	d.Exec("DROP TABLE IF EXISTS bench_import")
	if _, err := d.Exec(`CREATE TABLE bench_import (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ticket_no VARCHAR(64) NOT NULL UNIQUE, received_at DATETIME NOT NULL, caller_name VARCHAR(64) NOT NULL,
  caller_phone VARCHAR(32) NOT NULL, anonymous VARCHAR(8) NOT NULL, town VARCHAR(255) NOT NULL,
  address VARCHAR(500) NOT NULL, category VARCHAR(128) NOT NULL, subject VARCHAR(255) NOT NULL,
  content TEXT NOT NULL, due_at DATE NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`); err != nil {
		fatalf("baseline import table: %v", err)
	}
	const batch = 500
	args := make([]any, 0, n*len(csvHeader))
	for i := 0; i < n; i++ {
		for _, v := range ticketRow(i) {
			args = append(args, v)
		}
	}
	var q strings.Builder
	q.WriteString("INSERT INTO bench_import (ticket_no, received_at, caller_name, caller_phone, anonymous, town, address, category, subject, content, due_at) VALUES ")
	for i := 0; i < batch; i++ {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteString("(?,?,?,?,?,?,?,?,?,?,?)")
	}
	full := q.String()
	t := time.Now()
	w := len(csvHeader)
	for i := 0; i < n; i += batch {
		k := min(batch, n-i)
		stmt := full
		if k < batch {
			stmt = full[:strings.Index(full, "VALUES ")+7] + strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?,?,?),", k), ",")
		}
		tx, err := d.Begin()
		if err != nil {
			fatalf("baseline import: %v", err)
		}
		if _, err := tx.Exec(stmt, args[i*w:(i+k)*w]...); err != nil {
			fatalf("baseline import: %v", err)
		}
		if err := tx.Commit(); err != nil {
			fatalf("baseline import: %v", err)
		}
	}
	return time.Since(t)
}

// importRows runs the import row (A B pairs) and the memory-only check.
func importRows(ctx context.Context, dbs *dbServer, bin string) []*row {
	n := opt.rows
	file := filepath.Join(opt.tmp, fmt.Sprintf("export-%d.csv", n))
	t := time.Now()
	writeExport(file, n)
	st, _ := os.Stat(file)
	logf("import: generated %d-row export (%.0f MiB) in %.1fs", n, float64(st.Size())/(1<<20), time.Since(t).Seconds())
	impDB, baseDB := dbName("imp"), dbName("impbase")
	dbs.create(baseDB)
	dataDir := filepath.Join(opt.tmp, "data-import")
	r := &row{what: fmt.Sprintf("import (%d rows)", n), unit: "rows/s", target: "≥ 50%, RSS < 100 MiB"}
	var ours, base, catchUps []float64
	for i := 0; i < opt.pairs && ctx.Err() == nil; i++ {
		dbs.create(impDB)
		migrateUp(bin, dbs.spec(impDB))
		res := runImport(ctx, bin, dbs.spec(impDB), dataDir, file, 0)
		if res.counts.Imported != n {
			r.errors += n - res.counts.Imported
			logf("import: imported %d of %d (%+v, %s)", res.counts.Imported, n, res.counts, res.exit)
		}
		if res.rssKiB > r.rssKiB {
			r.rssKiB = res.rssKiB
		}
		cu := catchUp(bin, dbs.spec(impDB))
		catchUps = append(catchUps, float64(n)/cu.Seconds())
		bt := importBaseline(dbs, baseDB, n)
		o, b := float64(n)/res.elapsed.Seconds(), float64(n)/bt.Seconds()
		ours, base = append(ours, o), append(base, b)
		r.ratios = append(r.ratios, o/b)
		logf("import pair %d: ours %.0f rows/s (%.1fs, peak RSS %s), then search catch-up %.1fs; baseline %.0f rows/s (%.1fs), ratio %.0f%%, load %s",
			i+1, o, res.elapsed.Seconds(), mib(res.rssKiB), cu.Seconds(), b, bt.Seconds(), 100*o/b, loadavg())
	}
	r.ours, r.base, r.ratio = median(ours), median(base), median(r.ratios)
	r.verdict = "PASS"
	if r.ratio < 0.5 || r.rssKiB >= 100*1024 || r.errors > 0 {
		r.verdict = "FAIL"
	}
	if len(r.ratios) < opt.pairs {
		r.verdict = "INCOMPLETE"
	}
	// The import leaves the new tickets' search terms to the catch-up
	// indexer (serve's background job): the row below is that work, timed
	// on its own after each import, so that nothing the import skipped is
	// left out of the table.
	cr := &row{what: fmt.Sprintf("search catch-up after the import (%d rows, diagnostic)", n), unit: "rows/s", target: "— (diagnostic)",
		verdict: "—", ours: median(catchUps)}
	rows := []*row{r, cr}
	if opt.only["import-tx"] && ctx.Err() == nil {
		// Diagnostic: ours against the same SQL with nothing of ours around it.
		shapeDB := dbName("impshape")
		dbs.create(shapeDB)
		sr := &row{what: fmt.Sprintf("import vs same-SQL batches (diagnostic, %d rows)", n), unit: "rows/s", target: "— (diagnostic)", verdict: "—"}
		var o2, b2 []float64
		for i := 0; i < opt.pairs && ctx.Err() == nil; i++ {
			dbs.create(impDB)
			migrateUp(bin, dbs.spec(impDB))
			res := runImport(ctx, bin, dbs.spec(impDB), dataDir, file, 0)
			bt := importShapeBaseline(dbs, shapeDB, impDB, n)
			o, b := float64(n)/res.elapsed.Seconds(), float64(n)/bt.Seconds()
			o2, b2 = append(o2, o), append(b2, b)
			sr.ratios = append(sr.ratios, o/b)
			if res.rssKiB > sr.rssKiB {
				sr.rssKiB = res.rssKiB
			}
			logf("import vs same-SQL pair %d: ours %.0f rows/s, same-SQL %.0f rows/s, ratio %.0f%%, load %s", i+1, o, b, 100*o/b, loadavg())
		}
		sr.ours, sr.base, sr.ratio = median(o2), median(b2), median(sr.ratios)
		rows = append(rows, sr)
	}
	if opt.rowsMem > 0 && ctx.Err() == nil {
		m := opt.rowsMem
		mfile := filepath.Join(opt.tmp, fmt.Sprintf("export-%d.csv", m))
		writeExport(mfile, m)
		memDB := dbName("impmem")
		dbs.create(memDB)
		migrateUp(bin, dbs.spec(memDB))
		res := runImport(ctx, bin, dbs.spec(memDB), dataDir, mfile, 0)
		mr := &row{what: fmt.Sprintf("import memory (%d rows)", m), unit: "rows/s", target: "RSS < 100 MiB",
			ours: float64(res.counts.Imported) / res.elapsed.Seconds(), rssKiB: res.rssKiB, errors: m - res.counts.Imported}
		mr.verdict = "PASS"
		if mr.rssKiB >= 100*1024 || mr.errors != 0 {
			mr.verdict = "FAIL"
		}
		logf("import memory check: %d rows in %.1fs, peak RSS %s (%s)", res.counts.Imported, res.elapsed.Seconds(), mib(res.rssKiB), res.exit)
		rows = append(rows, mr)
		os.Remove(mfile)
		dropOne(dbs, memDB)
	}
	return rows
}

// catchUp runs `ecoreport search catch-up` and returns how long it took.
func catchUp(bin, spec string) time.Duration {
	t := time.Now()
	if out, err := exec.Command(bin, "search", "catch-up", "--db", spec).CombinedOutput(); err != nil {
		logf("search catch-up: %v: %s", err, out)
	}
	return time.Since(t)
}

func dropOne(dbs *dbServer, name string) {
	if opt.keep {
		return
	}
	d := dbs.open("", false)
	defer d.Close()
	d.Exec("DROP DATABASE IF EXISTS `" + name + "`")
}

// importShapeBaseline is a diagnostic: the statements `ecoreport import`
// sends per batch of 500 new tickets (lookup of known ticket numbers, one
// multi-row INSERT into complaints, read back the ids, multi-row INSERTs into
// events and audit_log, commit) on copies of the real tables, values
// prepared before the clock starts: the SQL shape without our Go code.
func importShapeBaseline(dbs *dbServer, name, svcDB string, n int) time.Duration {
	d := dbs.open(name, true)
	defer d.Close()
	for _, t := range []string{"audit_log", "events", "complaints"} {
		d.Exec("DROP TABLE IF EXISTS " + t)
	}
	for _, t := range []string{"complaints", "events", "audit_log"} {
		if _, err := d.Exec("CREATE TABLE " + t + " LIKE `" + svcDB + "`." + t); err != nil {
			fatalf("copy table %s: %v", t, err)
		}
	}
	d.Exec("ALTER TABLE events ADD CONSTRAINT events_complaint_fk FOREIGN KEY (complaint_id) REFERENCES complaints(id)")
	const batch = 500
	type tk struct {
		ref, mac string
		r        []string
	}
	rows := make([]tk, n)
	for i := range rows {
		r := ticketRow(i)
		rows[i] = tk{ref: r[0], mac: mac(randCode()), r: r}
	}
	now := time.Now().UTC()
	t := time.Now()
	for i := 0; i < n; i += batch {
		part := rows[i:min(i+batch, n)]
		tx, err := d.Begin()
		if err != nil {
			fatalf("%v", err)
		}
		refs := make([]any, len(part))
		macs := make([]any, len(part))
		for j, p := range part {
			refs[j], macs[j] = p.ref, p.mac
		}
		ph := strings.TrimSuffix(strings.Repeat("?,", len(part)), ",")
		rs, err := tx.Query("SELECT id, source_ref, source_hash FROM complaints WHERE channel = 'hotline' AND source_ref IN ("+ph+")", refs...)
		if err != nil {
			fatalf("%v", err)
		}
		rs.Close()
		var q strings.Builder
		q.WriteString(`INSERT INTO complaints (tracking_mac, channel, status, source_ref, lookup_mac, categories, category_text, town_id, town_text, address, subject, description, occurred_text, identity, contact_enc, wants_reward, received_at, decide_due_at, reply_due_at, extra, warnings, source_hash, created_by, updated_at) VALUES `)
		args := make([]any, 0, len(part)*24)
		for j, p := range part {
			if j > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
			args = append(args, p.mac, "hotline", "received", p.ref, mac(p.ref+p.r[3]), "air", p.r[7], 1, p.r[5], p.r[6], p.r[8], p.r[9], "", "named",
				"sealed-contact-"+p.r[2]+p.r[3], false, now, now.AddDate(0, 0, 7), now.AddDate(0, 0, 15), "{}", "[]", mac(strings.Join(p.r, "|")), nil, now)
		}
		if _, err := tx.Exec(q.String(), args...); err != nil {
			fatalf("shape insert: %v", err)
		}
		rs, err = tx.Query("SELECT id, tracking_mac FROM complaints WHERE tracking_mac IN ("+ph+")", macs...)
		if err != nil {
			fatalf("%v", err)
		}
		var ids []int64
		for rs.Next() {
			var id int64
			var m string
			rs.Scan(&id, &m)
			ids = append(ids, id)
		}
		rs.Close()
		q.Reset()
		q.WriteString("INSERT INTO events (case_id, complaint_id, kind, from_status, to_status, actor_id, actor, public_note, internal_note, created_at) VALUES ")
		args = args[:0]
		for j, id := range ids {
			if j > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?,?,?,?,?,?,?,?,?,?)")
			args = append(args, nil, id, "complaint.filed", "", "received", nil, "hotline", "您的举报已收到（12369热线），我们将在2026年12月6日前决定是否受理。", "", now)
		}
		if _, err := tx.Exec(q.String(), args...); err != nil {
			fatalf("shape events: %v", err)
		}
		q.Reset()
		q.WriteString("INSERT INTO audit_log (at, actor, action, object_type, object_id, detail) VALUES ")
		args = args[:0]
		for j, id := range ids {
			if j > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?,?,?,?,?,?)")
			args = append(args, now, "import", "complaint.filed", "complaint", id, `{"from":"","to":"received"}`)
		}
		if _, err := tx.Exec(q.String(), args...); err != nil {
			fatalf("shape audit: %v", err)
		}
		if err := tx.Commit(); err != nil {
			fatalf("%v", err)
		}
	}
	return time.Since(t)
}
