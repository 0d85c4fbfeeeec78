package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
	"ecoreport/internal/auth"
	"ecoreport/internal/captcha"
	"ecoreport/internal/config"
	"ecoreport/internal/db"
	"ecoreport/internal/idempotency"
	"ecoreport/internal/ledger"
	"ecoreport/internal/notify"
	"ecoreport/internal/office"
	"ecoreport/internal/reward"
	"ecoreport/internal/secret"
	"ecoreport/internal/upload"
	"ecoreport/internal/web"
	"ecoreport/portal"
)

// Main is the running service: what serve starts and stops. Tests start it
// on 127.0.0.1:0 and drive it over HTTP.
type Main struct {
	Config config.Config
	Log    *slog.Logger
	Out    io.Writer // where the first admin password is printed

	DB     *db.DB
	Keys   *secret.Keys
	Ledger *ledger.Service
	Users  *auth.Store
	Engine *gin.Engine
	Office *office.Handler
	Reward *reward.Service
	Portal *portal.Handler

	// Checkpoints signs the audit chain's checkpoints into the file beside
	// the key: every CheckpointEvery and when the service stops.
	Checkpoints *audit.Checkpointer

	Outbox *notify.Outbox

	// filings is the group commit of filings (nil with --filing-window 0).
	filings *ledger.Batcher

	// Uploads is where photos are kept (--uploads): every instance on the
	// same database or object store sees the same files with db or s3.
	Uploads upload.Store

	// Registry holds the metrics /metrics serves (the engine's and the
	// outbox's).
	Registry  *prometheus.Registry
	worker    *notify.Worker
	scheduler *notify.Scheduler

	listener      net.Listener
	server        *http.Server
	drain         *web.Drain
	metricsL      net.Listener // --metrics-addr; nil when off
	metrics       *http.Server
	firstPassword string // the first administrator's, until announced
	stopBG        context.CancelFunc
	bgDone        chan struct{}
}

// Run opens everything and starts serving in the background; Addr tells
// where. It returns once the service accepts connections.
func (m *Main) Run(ctx context.Context) error {
	cfg := &m.Config
	log := m.Log
	var err error
	if m.DB, err = openDB(ctx, cfg); err != nil {
		return err
	}
	if err := ensureSchema(ctx, m.DB, cfg.Migrate, log); err != nil {
		return err
	}
	if m.Keys, err = loadKeys(ctx, cfg, m.DB, log); err != nil {
		return err
	}
	m.Checkpoints = &audit.Checkpointer{DB: m.DB, File: checkpoints(cfg, m.Keys)}
	if m.Uploads, err = openUploads(ctx, cfg, m.DB, cfg.Uploads.Store); err != nil {
		return err
	}
	m.Ledger = newLedger(cfg, m.DB, m.Keys)
	if n, err := m.Ledger.IndexIfEmpty(ctx); err != nil {
		return fmt.Errorf("建立查找索引失败：%w", err)
	} else if n > 0 {
		log.Info("已为现有的举报件和问题建立查找索引 (built the search index)", "documents", n)
	}
	m.Users = auth.NewStore(m.DB)
	m.Users.Keys = m.Keys
	m.Reward = newReward(m.DB, m.Keys, m.Ledger)
	if err := m.wireNotify(); err != nil {
		return err
	}
	if err := m.bootstrapAdmin(ctx); err != nil {
		return err
	}
	if cfg.Captcha == "off" {
		log.Warn("验证码已关闭：仅用于压测和内网终端 (captcha is off)")
	}
	reg := m.Registry // wireNotify made it, with the outbox's metrics
	m.drain = &web.Drain{}
	m.Engine = web.New(web.Options{Logger: log, DB: m.DB, StaffPrefixes: []string{"/office"}, TrustedProxies: cfg.Proxies(),
		Registry: reg, PublicURL: cfg.PublicURL, MetricsToken: cfg.MetricsToken, Drain: m.drain})
	if err := m.register(); err != nil {
		return err
	}

	// Listen before serving, so a busy port fails at once.
	if m.listener, err = net.Listen("tcp", cfg.Addr); err != nil {
		return fmt.Errorf("配置错误 --addr：无法监听 %s：%v", cfg.Addr, err)
	}
	if cfg.MetricsAddr != "off" {
		if m.metricsL, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			return fmt.Errorf("配置错误 --metrics-addr：无法监听 %s：%v", cfg.MetricsAddr, err)
		}
		m.metrics = &http.Server{Handler: web.MetricsHandler(reg), ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		go func() {
			if err := m.metrics.Serve(m.metricsL); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics server stopped", "error", err)
			}
		}()
	}
	m.server = &http.Server{
		Handler:           web.Wrap(m.Engine, m.drain),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // photo uploads from slow phones
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if cfg.FilingWindow > 0 {
		m.filings = m.Ledger.StartBatching(ledger.BatchOptions{Window: cfg.FilingWindow, Max: cfg.FilingBatch, Writers: ledger.DefaultBatch.Writers})
	}
	bg, stop := context.WithCancel(context.Background())
	m.stopBG, m.bgDone = stop, make(chan struct{})
	go func() {
		defer close(m.bgDone)
		m.background(bg)
	}()
	go func() {
		if err := m.server.Serve(m.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("server stopped", "error", err)
		}
	}()
	attrs := []any{"url", "http://" + m.Addr(), "db", m.DB.Engine, "version", version}
	if m.metricsL != nil {
		attrs = append(attrs, "metrics", "http://"+m.MetricsAddr()+"/metrics")
	}
	log.Info("ecoreport 已启动 (serving)", attrs...)
	m.announceAdmin()
	return nil
}

// MetricsAddr is the address /metrics listens on ("" when off).
func (m *Main) MetricsAddr() string {
	if m.metricsL == nil {
		return ""
	}
	return m.metricsL.Addr().String()
}

// Addr is the address the service listens on.
func (m *Main) Addr() string {
	if m.listener == nil {
		return ""
	}
	return m.listener.Addr().String()
}

// background runs the jobs of serve until ctx ends: the audit sealer every
// background runs the jobs of serve until ctx ends: the audit sealer every
// second, the search index's catch-up every two seconds, a signed audit
// checkpoint every ten minutes, reward expiry hourly, contact retention
// daily, expired captchas every minute, the outbox's worker and scheduler,
// and expired sessions, forgotten login failures and expired second-factor
// challenges every ten minutes.
func (m *Main) background(ctx context.Context) {
	warn := func(f string, a ...any) { m.Log.Warn(fmt.Sprintf(f, a...)) }
	done := make(chan struct{})
	go func() {
		defer close(done)
		audit.Sealer(ctx, m.DB, time.Second, warn)
	}()
	go m.Reward.Run(ctx, time.Hour, warn)
	// Tickets imported with the index left for later (ecoreport import):
	// found by search within seconds of being filed.
	go m.Ledger.CatchUpJob(ctx, 2*time.Second, warn)
	t := &tool{DB: m.DB, Keys: m.Keys, Ledger: m.Ledger, Reward: m.Reward}
	go office.RetentionJob(ctx, m.Ledger, 24*time.Hour, office.DefaultRetentionYears, warn, rejectsRetention(t.importer(&m.Config)))
	// Photos held for report forms that were never sent again: removed once
	// their hour is over (files and rows), and on start, so a process killed
	// between holding and filing leaves nothing behind for long.
	go every(ctx, 5*time.Minute, func() {
		if _, err := m.Portal.SweepHeld(ctx); err != nil && ctx.Err() == nil {
			warn("sweep held photos: %v", err)
		}
	})
	// Captchas whose time is over: issuing one is a single INSERT, so they
	// are deleted here, not on every form.
	captchas := &captcha.Store{DB: m.DB, Now: time.Now, TTL: captcha.TTL}
	go every(ctx, captcha.ExpireEvery, func() {
		if _, err := captchas.Expire(ctx); err != nil && ctx.Err() == nil {
			warn("expire captchas: %v", err)
		}
	})
	go every(ctx, CheckpointEvery, func() { m.checkpoint(ctx) })
	go m.runNotifyJobs(ctx)
	// Idempotency keys of filings past their day (idempotency.TTL).
	keys := idempotency.New(m.DB, m.Keys, time.Now)
	every(ctx, 10*time.Minute, func() {
		if _, err := keys.Purge(ctx); err != nil && ctx.Err() == nil {
			warn("purge idempotency keys: %v", err)
		}
		if _, err := m.Office.Sessions.Purge(ctx); err != nil && ctx.Err() == nil {
			warn("purge sessions: %v", err)
		}
		if _, err := m.Users.PurgeLoginFailures(ctx); err != nil && ctx.Err() == nil {
			warn("purge login failures: %v", err)
		}
		if _, err := m.Office.TOTP.PurgeChallenges(ctx); err != nil && ctx.Err() == nil {
			warn("purge login challenges: %v", err)
		}
	})
	<-done
}

// CheckpointEvery is how often serve signs a checkpoint of the audit chain
// (when it grew): what was sealed after the newest checkpoint is held by
// the chain's own links only.
const CheckpointEvery = 10 * time.Minute

// checkpoint signs a checkpoint of the audit chain, after checking what is
// new in it; a chain that does not verify gets none and an error in the
// log, every time, until someone looks.
func (m *Main) checkpoint(ctx context.Context) {
	_, err := m.Checkpoints.Write(ctx)
	var broken *audit.ErrChainBroken
	switch {
	case errors.As(err, &broken):
		m.Log.Error("审计链校验失败，未写入签名检查点 (audit chain broken: no checkpoint written)", "report", broken.Error())
	case err != nil && ctx.Err() == nil:
		m.Log.Warn("审计签名检查点写入失败 (audit checkpoint)", "error", err)
	}
}

// every runs fn now and then every interval until ctx ends.
func every(ctx context.Context, interval time.Duration, fn func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		fn()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close stops the service in an order that cuts no request: first /healthz
// fails and every response closes its connection (web.Drain), while the
// service keeps answering for --shutdown-grace, so the load balancer takes
// this instance out and clients leave their keep-alive connections; then
// it stops accepting, lets requests in flight finish (up to 25 s), writes
// the filings still in a batch, stops background jobs, seals the audit
// log, signs a checkpoint of it and closes the database.
func (m *Main) Close() error {
	var errs []error
	if m.server != nil {
		m.drain.Start()
		if g := m.Config.ShutdownGrace; g > 0 {
			m.Log.Info("停止中：健康检查已返回 503，继续服务以便负载均衡摘除 (draining)", "grace", g)
			time.Sleep(g)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
		errs = append(errs, m.server.Shutdown(ctx))
		cancel()
	}
	if m.server == nil && m.listener != nil { // Run failed after listening
		m.listener.Close()
	}
	if m.metrics != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, m.metrics.Shutdown(ctx))
		cancel()
	}
	if m.filings != nil {
		m.filings.Stop() // requests still waiting get their answers
	}
	if m.stopBG != nil {
		m.stopBG()
		<-m.bgDone
	}
	if m.DB != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, audit.SealAll(ctx, m.DB))
		if m.Checkpoints != nil {
			m.checkpoint(ctx)
		}
		cancel()
		errs = append(errs, m.DB.Close())
	}
	return errors.Join(errs...)
}

// bootstrapAdmin creates admin with a random password on the first start, so
// a newcomer can log in without reading anything else.
func (m *Main) bootstrapAdmin(ctx context.Context) error {
	n, err := m.Users.Count(ctx)
	if err != nil || n > 0 {
		return err
	}
	pw, err := m.Users.Create(ctx, auth.NewUser{Username: "admin", DisplayName: "系统管理员", Role: auth.Admin}, "system")
	if apperr.Is(err, apperr.ECONFLICT) { // another instance was quicker
		return nil
	}
	if err != nil {
		return err
	}
	m.firstPassword = pw
	return nil
}

// announceAdmin prints the first administrator's password, once, with the
// address where it logs in: the listener's, so it is printed once serving.
func (m *Main) announceAdmin() {
	if m.firstPassword == "" {
		return
	}
	login := browserURL(m.Addr()) + "/office/login"
	fmt.Fprintf(m.Out, "\n首次启动：已创建管理员账号 admin，密码 %s （只显示这一次）\n"+
		"请用浏览器打开 %s 登录后台，并点页面顶部的“修改密码”换成自己的密码。\n"+
		"First start: created user admin with password %s (shown once). Log in at %s and change it.\n\n",
		m.firstPassword, login, m.firstPassword, login)
	m.firstPassword = ""
}

func runServe(ctx context.Context, args []string, out, errOut io.Writer) int {
	cfg := config.Default()
	if _, code := flags("serve [参数]", "启动服务：居民举报门户、工作人员后台和对接接口。首次在 SQLite 上启动时自动建库。", args, &cfg,
		config.WithDB|config.WithServe|config.WithKeys|config.WithHotline|config.WithCounty|config.WithNotify|config.WithUploads, errOut, nil); code >= 0 {
		return code
	}
	// Log lines (one per request) are written out in batches: every 100 ms,
	// after every warning and at the end. Everything serve writes to errOut
	// goes through the buffer, so lines stay in order.
	lb := web.NewLogBuffer(errOut, 100*time.Millisecond)
	defer lb.Close()
	errOut = lb
	m := &Main{Config: cfg, Log: slog.New(lb.Handler(newLogger(&cfg, lb).Handler())), Out: out}
	if err := m.Run(ctx); err != nil {
		fmt.Fprintln(errOut, "启动失败："+oneLine(err))
		m.Close()
		return 1
	}
	<-ctx.Done()
	m.Log.Info("正在停止，等待处理中的请求完成 (shutting down)")
	if err := m.Close(); err != nil {
		fmt.Fprintln(errOut, "停止时出错："+oneLine(err))
		return 1
	}
	return 0
}

// oneLine keeps an error to one line for people.
func oneLine(err error) string {
	s := err.Error()
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}
