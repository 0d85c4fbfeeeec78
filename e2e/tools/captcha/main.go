// Command captcha prints the answer of a live captcha challenge, read from
// the shared captchas table. It exists only for the browser end-to-end tests
// (e2e/), which solve the captcha the way a test can and a bot cannot: by
// reading the server's own database.
//
//	go run ./e2e/tools/captcha --db sqlite:/tmp/x/e2e.db --id ID [--id ID2 …]
//
// Several ids may be given; one answer is printed per line, in order, and an
// unknown or expired id prints an empty line. The challenge is not used up.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"ecoreport/internal/db"
)

type ids []string

func (i *ids) String() string     { return strings.Join(*i, ",") }
func (i *ids) Set(v string) error { *i = append(*i, v); return nil }

func main() {
	var spec string
	var list ids
	flag.StringVar(&spec, "db", "", "database, as ecoreport's --db: sqlite:PATH or mysql:DSN")
	flag.Var(&list, "id", "captcha id (repeatable)")
	flag.Parse()
	if spec == "" || len(list) == 0 {
		fmt.Fprintln(os.Stderr, "usage: captcha --db SPEC --id ID [--id ID …]")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d, err := db.Open(ctx, spec)
	if err != nil {
		fmt.Fprintln(os.Stderr, "captcha:", err)
		os.Exit(1)
	}
	defer d.Close()
	for _, id := range list {
		var digits string
		err := d.GetContext(ctx, &digits, `SELECT digits FROM captchas WHERE id = ? AND expires_at >= ?`, id, db.Now())
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			fmt.Fprintln(os.Stderr, "captcha:", err)
			os.Exit(1)
		}
		fmt.Println(decode(digits))
	}
}

// decode turns the stored digits into what a person would type. The store
// keeps them as the characters '0'–'9' (internal/captcha encode).
func decode(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
