package routing

// CheckInvariant is checkInvariant for the external tests, which test the demo's rules (package
// demo imports routing, so the package's own tests cannot).
var CheckInvariant = checkInvariant
