package web

import (
	"testing"

	"github.com/hotline-city/hotline/demo/demotest"
)

// DepsFor gives the external tests of this package the dependencies the package's own tests
// build their servers from.
func DepsFor(c *demotest.City) Deps { return depsFor(c) }

// NeedBrowser is needBrowser for the external tests' browser journeys.
func NeedBrowser(t *testing.T) { needBrowser(t) }
