package main

import (
	"context"
	"io"

	"ecoreport/internal/apperr"
)

func apperrFields(err error) map[string]string { return apperr.Fields(err) }

func runImport(ctx context.Context, args []string, out, errOut io.Writer) int {
	io.WriteString(errOut, "import: not wired yet\n")
	return 1
}

func runHotline(ctx context.Context, args []string, out, errOut io.Writer) int {
	io.WriteString(errOut, "hotline: not wired yet\n")
	return 1
}
