// Command mysqldb creates or drops a throwaway MariaDB/MySQL database for the
// browser end-to-end tests (e2e/), so they need no mysql client.
//
//	go run ./e2e/tools/mysqldb create 'root@tcp(127.0.0.1:3306)/' NAME
//	go run ./e2e/tools/mysqldb drop   'root@tcp(127.0.0.1:3306)/' NAME
//
// create prints the DSN of the new database, ready for --db mysql:DSN.
package main

import (
	"database/sql"
	"fmt"
	"os"
	"regexp"

	"github.com/go-sql-driver/mysql"
)

var validName = regexp.MustCompile(`^[a-z0-9_]{1,60}$`)

func main() {
	if len(os.Args) != 4 || (os.Args[1] != "create" && os.Args[1] != "drop") || !validName.MatchString(os.Args[3]) {
		fmt.Fprintln(os.Stderr, "usage: mysqldb create|drop DSN NAME   (NAME: a-z 0-9 _)")
		os.Exit(2)
	}
	verb, dsn, name := os.Args[1], os.Args[2], os.Args[3]
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mysqldb:", err)
		os.Exit(2)
	}
	cfg.DBName = ""
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		fmt.Fprintln(os.Stderr, "mysqldb:", err)
		os.Exit(1)
	}
	defer admin.Close()
	stmt := "DROP DATABASE IF EXISTS " + name
	if verb == "create" {
		stmt = "CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
	}
	if _, err := admin.Exec(stmt); err != nil {
		fmt.Fprintln(os.Stderr, "mysqldb:", err)
		os.Exit(1)
	}
	if verb == "create" {
		cfg.DBName = name
		fmt.Println(cfg.FormatDSN())
	}
}
