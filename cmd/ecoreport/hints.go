package main

import (
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"ecoreport/internal/config"
	"ecoreport/internal/demo"
)

// The commands print the next command a person should type. These helpers
// spell it as this binary was started, with the flags that differ from the
// defaults, so it can be copied as it stands.

// self is how the person started this binary: "./ecoreport", "ecoreport"
// (found on PATH), or "go run ./cmd/ecoreport" under go run.
func self() string {
	name := os.Args[0]
	if strings.Contains(name, "go-build") {
		return "go run ./cmd/ecoreport"
	}
	if !strings.ContainsRune(name, filepath.Separator) {
		return name
	}
	return shellQuote(name)
}

// shellQuote quotes v for a POSIX shell when it holds anything but the
// characters paths and DSNs usually consist of (a MySQL DSN's parentheses
// need quoting).
func shellQuote(v string) string {
	if v != "" && strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:@=,+-") == "" {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// keyFlags repeats the --db, --data-dir and --key-file flags that were
// given on the command line (fs): dbFlags for commands that take only --db,
// dataFlags for those that also take the data directory and the key. Values
// from ECOREPORT_* variables are not repeated (a DSN's password stays out of
// the output); the next command reads the same environment.
func keyFlags(cfg *config.Config, fs *flag.FlagSet) (dbFlags, dataFlags string) {
	given := map[string]bool{}
	if fs != nil {
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	}
	if given["db"] {
		dbFlags = " --db " + shellQuote(cfg.DB)
	}
	dataFlags = dbFlags
	if given["data-dir"] {
		dataFlags += " --data-dir " + shellQuote(cfg.DataDir)
	}
	if given["key-file"] {
		dataFlags += " --key-file " + shellQuote(cfg.KeyFile)
	}
	return dbFlags, dataFlags
}

// serveAddr is the address serve would listen on when started now: its
// default, or ECOREPORT_ADDR.
func serveAddr() string {
	cfg := config.Default()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.Bind(fs, config.WithServe)
	if err := config.ApplyEnv(fs, os.LookupEnv); err != nil {
		return config.Default().Addr
	}
	return cfg.Addr
}

// browserURL is the address a browser on this machine uses to reach a
// listener on addr: an unspecified host (":8080", "0.0.0.0:8080") is
// reached on 127.0.0.1.
func browserURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// demoNext tells the reader of `ecoreport demo` how to serve what it wrote
// and where to log in.
func demoNext(cfg *config.Config, fs *flag.FlagSet) demo.Next {
	dbFlags, dataFlags := keyFlags(cfg, fs)
	base := browserURL(serveAddr())
	return demo.Next{
		Serve:    self() + " serve" + dataFlags,
		Passwd:   self() + " user passwd" + dbFlags,
		LoginURL: base + "/office/login",
		Portal:   base + "/",
	}
}
