package reviewerui

// HTMXVersion is the htmx release vendored as static/htmx.min.js by
// scripts/vendor-htmx.sh, from the npm registry's htmx.org package.
const HTMXVersion = "2.0.11"

// HTMXSHA256 is the SHA-256 of static/htmx.min.js. scripts/vendor-htmx.sh
// refuses a download that does not match it, and a test checks the
// embedded file against it, so the script served is the one reviewed.
const HTMXSHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"
