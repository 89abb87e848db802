// Package firsterr keeps the first error of many concurrent workers.
package firsterr

import "sync/atomic"

// Slot holds the first error set; errors of different types may race for it.
type Slot struct{ p atomic.Pointer[error] }

// Set keeps err if no error was kept before.
func (s *Slot) Set(err error) { s.p.CompareAndSwap(nil, &err) }

// Err returns the kept error, or nil.
func (s *Slot) Err() error {
	if e := s.p.Load(); e != nil {
		return *e
	}
	return nil
}
