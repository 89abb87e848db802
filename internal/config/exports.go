package config

import (
	"fmt"
	"strconv"
)

// loadExports reads HOTLINE_EXPORT_MAX_ROWS: how many rows one export of a list may hold
// (default 100,000). A longer list is refused with a message asking to narrow it.
func loadExports(c *Config, get func(name, def string) string) error {
	n, err := strconv.Atoi(get("HOTLINE_EXPORT_MAX_ROWS", "100000"))
	if err != nil || n < 1 || n > 1_000_000 {
		return fmt.Errorf("HOTLINE_EXPORT_MAX_ROWS: want a number of rows from 1 to 1000000 such as 100000")
	}
	c.ExportMaxRows = n
	return nil
}
