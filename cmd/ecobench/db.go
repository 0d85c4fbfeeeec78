package main

import (
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
)

// dbServer is the MariaDB/MySQL server given with -db (mysql:DSN, the
// database name in the DSN is ignored: ecobench creates its own).
type dbServer struct {
	cfg *mysql.Config
	mu  sync.Mutex
	dbs []string // created, dropped at the end unless -keep
}

func parseDB(spec string) *dbServer {
	dsn, ok := strings.CutPrefix(spec, "mysql:")
	if !ok {
		fatalf("-db must be mysql:DSN (MariaDB/MySQL), e.g. 'mysql:root@tcp(127.0.0.1:3306)/'")
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		fatalf("-db: %v", err)
	}
	return &dbServer{cfg: cfg}
}

// dsn returns the DSN for database name ("" for none).
func (s *dbServer) dsn(name string, interpolate bool) string {
	c := s.cfg.Clone()
	c.DBName = name
	c.ParseTime = true
	c.InterpolateParams = interpolate
	c.Timeout = 5 * time.Second
	return c.FormatDSN()
}

// spec is the --db value for ecoreport.
func (s *dbServer) spec(name string) string { return "mysql:" + s.dsn(name, false) }

func (s *dbServer) open(name string, interpolate bool) *sql.DB {
	d, err := sql.Open("mysql", s.dsn(name, interpolate))
	if err != nil {
		fatalf("open %s: %v", name, err)
	}
	d.SetMaxOpenConns(poolConns)
	d.SetMaxIdleConns(poolConns)
	return d
}

// poolConns caps each of ecobench's pools: the baseline holds two (one
// interpolating, one preparing), 2 × 32 beside the server's 64 is 128
// connections, under MariaDB's default max_connections of 151, so that a
// run never starves other clients of the server. 32 is the default -c: a
// baseline handler never needs more connections than there are clients.
const poolConns = 32

// create makes a fresh, empty database and remembers it for dropping.
func (s *dbServer) create(name string) {
	d := s.open("", false)
	defer d.Close()
	if _, err := d.Exec("DROP DATABASE IF EXISTS `" + name + "`"); err != nil {
		fatalf("drop %s: %v", name, err)
	}
	if _, err := d.Exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		fatalf("create database %s: %v", name, err)
	}
	s.mu.Lock()
	s.dbs = append(s.dbs, name)
	s.mu.Unlock()
}

func (s *dbServer) dropAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.dbs) == 0 {
		return
	}
	d, err := sql.Open("mysql", s.dsn("", false))
	if err != nil {
		return
	}
	defer d.Close()
	for _, n := range s.dbs {
		if _, err := d.Exec("DROP DATABASE IF EXISTS `" + n + "`"); err != nil {
			logf("drop %s: %v", n, err)
		}
	}
	s.dbs = nil
}

func (s *dbServer) version() string {
	d := s.open("", false)
	defer d.Close()
	var v string
	if err := d.QueryRow("SELECT VERSION()").Scan(&v); err != nil {
		return fmt.Sprint("? ", err)
	}
	return v
}
