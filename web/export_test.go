package web

import "github.com/hotline-city/hotline/demo/demotest"

// DepsFor gives the external tests of this package the dependencies the package's own tests
// build their servers from.
func DepsFor(c *demotest.City) Deps { return depsFor(c) }
