package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// children are the process groups ecobench started; cleanup kills what is
// still alive, on every exit path (normal end, fatal error, Ctrl-C).
var (
	childMu  sync.Mutex
	children = map[int]*exec.Cmd{}
)

func track(c *exec.Cmd)   { childMu.Lock(); children[c.Process.Pid] = c; childMu.Unlock() }
func untrack(c *exec.Cmd) { childMu.Lock(); delete(children, c.Process.Pid); childMu.Unlock() }

// cleanup kills every process group still registered (by its own pgid only).
func cleanup() {
	childMu.Lock()
	defer childMu.Unlock()
	for pid := range children {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
	for pid, c := range children {
		_, _ = c.Process.Wait()
		delete(children, pid)
	}
}

// startChild starts cmd in its own process group, logging to logPath.
func startChild(cmd *exec.Cmd, logPath string) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if logPath != "" {
		f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		if cmd.Stdout == nil {
			cmd.Stdout = f
		}
		if cmd.Stderr == nil {
			cmd.Stderr = f
		}
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	track(cmd)
	return nil
}

// freePort returns a loopback address with a port free right now.
func freePort() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatalf("no free port: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// buildBinary builds ./cmd/ecoreport into dir.
func buildBinary(root, dir string) string {
	bin := filepath.Join(dir, "ecoreport")
	t := time.Now()
	// The checkout is shared: another engineer may be half way through an
	// edit. Try a few times before giving up.
	for try := 1; ; try++ {
		cmd := exec.Command("go", "build", "-o", bin, "./cmd/ecoreport")
		cmd.Dir = root
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		err := cmd.Run()
		if err == nil {
			break
		}
		if try == 4 {
			fatalf("go build ./cmd/ecoreport: %v (pass -bin to use a built binary)", err)
		}
		logf("go build failed (%v); retrying in 20s", err)
		time.Sleep(20 * time.Second)
	}
	logf("built %s in %.1fs", bin, time.Since(t).Seconds())
	return bin
}

// server is a running `ecoreport serve` child.
type server struct {
	cmd     *exec.Cmd
	addr    string
	base    string
	logPath string
	done    chan struct{}
	state   *os.ProcessState
}

// startServer runs `ecoreport serve` on a free loopback port and waits for
// /healthz. Rate limits are off (--rate-limits=off), captcha off; extra
// flags come after those (a later one wins).
func startServer(ctx context.Context, bin, spec, dataDir, logPath, addr string, extra ...string) (*server, error) {
	if addr == "" {
		addr = freePort()
	}
	args := []string{"serve", "--db", spec, "--addr", addr, "--data-dir", dataDir,
		"--captcha", "off", "--migrate", "--rate-limits=off"}
	if hasFlag(bin, "metrics-addr") { // the default loopback port may be another run's
		args = append(args, "--metrics-addr", "127.0.0.1:0")
	}
	cmd := exec.Command(bin, append(args, extra...)...)
	if err := startChild(cmd, logPath); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, addr: addr, base: "http://" + addr, logPath: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		s.state = cmd.ProcessState
		untrack(cmd)
		close(s.done)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return nil, fmt.Errorf("ecoreport serve exited early (%v); log %s:\n%s", s.state, logPath, tail(logPath, 15))
		case <-ctx.Done():
			s.stop(5 * time.Second)
			return nil, ctx.Err()
		default:
		}
		r, err := http.Get(s.base + "/healthz")
		if err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return s, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.stop(5 * time.Second)
	return nil, fmt.Errorf("ecoreport serve not healthy after 60s; log %s:\n%s", logPath, tail(logPath, 15))
}

// hasFlag reports whether bin's serve knows --name (binaries of earlier
// versions are measured too, as they were).
func hasFlag(bin, name string) bool {
	out, _ := exec.Command(bin, "serve", "-h").CombinedOutput()
	return strings.Contains(string(out), "-"+name+" ")
}

// signal sends sig to the server's process group.
func (s *server) signal(sig syscall.Signal) { _ = syscall.Kill(-s.cmd.Process.Pid, sig) }

// stop sends SIGTERM, waits up to grace, then SIGKILL. It returns how long
// the shutdown took.
func (s *server) stop(grace time.Duration) time.Duration {
	t := time.Now()
	s.signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(grace):
		s.signal(syscall.SIGKILL)
		<-s.done
	}
	return time.Since(t)
}

// rssKiB reads VmRSS and VmHWM of pid from /proc (0 when gone).
func rssKiB(pid int) (rss, hwm int64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		for _, k := range []string{"VmRSS:", "VmHWM:"} {
			if strings.HasPrefix(line, k) {
				v, _ := strconv.ParseInt(strings.Fields(line[len(k):])[0], 10, 64)
				if k == "VmRSS:" {
					rss = v
				} else {
					hwm = v
				}
			}
		}
	}
	return rss, hwm
}

// rssPoller samples a process's VmRSS every interval and keeps the maximum.
type rssPoller struct {
	mu      sync.Mutex
	max     int64
	rssOnly bool // the peak could not be reset: VmRSS samples only
	stop    chan struct{}
	done    chan struct{}
}

func pollRSS(pid int, every time.Duration) *rssPoller {
	return startRSSPoll(pid, every)
}

// pollRowRSS is pollRSS for a process that ran before the row (the
// server): it first resets the process's peak (VmHWM, by writing 5 to
// /proc/PID/clear_refs), so that the maximum is the row's own, not the
// process's lifetime peak (the first start's password hash).
func pollRowRSS(pid int, every time.Duration) *rssPoller {
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		logf("cannot reset the peak RSS of %d (%v): the row shows samples of VmRSS only", pid, err)
		p := startRSSPoll(pid, every)
		p.rssOnly = true
		return p
	}
	return startRSSPoll(pid, every)
}

func startRSSPoll(pid int, every time.Duration) *rssPoller {
	p := &rssPoller{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			rss, hwm := rssKiB(pid)
			p.mu.Lock()
			if rss > p.max {
				p.max = rss
			}
			if hwm > p.max && !p.rssOnly {
				p.max = hwm
			}
			p.mu.Unlock()
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

// Stop ends polling and returns the maximum seen, in KiB.
func (p *rssPoller) Stop() int64 {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.max
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
