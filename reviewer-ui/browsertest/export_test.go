package browsertest

// Unavailable is unavailable, for the tests of what happens when the
// browser or axe-core is missing.
var Unavailable = unavailable
