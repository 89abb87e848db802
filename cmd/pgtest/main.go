// Command pgtest stops the private PostgreSQL cluster that the tests start under var/pgtest.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hotline-city/hotline/internal/pgmanaged"
)

func main() {
	if len(os.Args) != 2 || os.Args[1] != "stop" {
		fmt.Fprintln(os.Stderr, "usage: pgtest stop")
		os.Exit(2)
	}
	c, err := pgmanaged.New(filepath.Join("var", "pgtest"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		os.Exit(1)
	}
	if _, err := os.Stat(filepath.Join(c.Dir, "postmaster.pid")); err != nil {
		return // not running
	}
	if err := c.StopAlways(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		os.Exit(1)
	}
}
