// Package reviewerui serves the moderators' web UI under /ui/: sign-in
// (with a password change first when somebody else chose the password,
// and an authenticator enrolment first for admins and senior reviewers),
// the queues overview, each queue's cases, and the case page where a
// reviewer decides, escalates, reassigns, holds while asking for help, or
// releases the case they claimed. Pages are
// server-rendered with html/template from templates parsed at start-up
// (an embed.FS), refreshed in place with htmx (vendored, see vendor.go);
// the only scripts are static files, so the Content-Security-Policy
// allows no inline script.
//
// The package depends only on engine: it reads and changes review state
// through the Store and Accounts interfaces (both implemented by
// *store.Store) and never imports Kafka, OPA or ONNX code. The command
// wiring (cmd/haechi) mounts the Server at /ui/ beside the in-world API.
//
// # Security
//
// Every response carries a strict Content-Security-Policy, nosniff, no
// referrer, and (pages) Cache-Control: no-store. A signed-in reviewer
// holds a session cookie (HttpOnly, SameSite=Strict, Path=/ui/, Secure
// over TLS); every POST must carry the session's CSRF token, as the form
// field csrf or, for htmx and script requests, the X-CSRF-Token header,
// and cross-origin POSTs are refused outright. What a reviewer may do is
// checked on the server for every request: queues by role (store.QueueRole),
// bans by the senior role. Every refusal is a 403 page and an audit log
// entry. User content (chat text, ids, report details) is only ever
// rendered through html/template's escaping.
//
// # Language and time
//
// Pages are in Korean unless the reviewer chose English (?lang=en, kept in
// a cookie); every string comes from the catalogues in messages/, and a
// test checks that both hold the same keys. Times are shown in Korea
// Standard Time.
package reviewerui
