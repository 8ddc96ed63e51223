// Package reviewerui serves the moderators' web UI under /ui/: sign-in
// (with a password change first when somebody else chose the password,
// and an authenticator enrolment first for admins and senior reviewers),
// the queues overview, each queue's cases, and the case page where a
// reviewer decides (and may undo for a short while, undo.go), escalates,
// reassigns, holds while asking for help, or releases the case they
// claimed; for operators, the dashboards, the audit view and bulk
// outcomes. Pages are server-rendered with html/template from templates
// parsed at start-up (an embed.FS), refreshed in place with htmx
// (vendored, see vendor.go); the only scripts are static files, so the
// Content-Security-Policy allows no inline script.
//
// # Content, reveals and images
//
// The case page shows the content as it was when the case opened: the
// case's snapshots (the decided message, transcript or image with the
// earlier messages of its conversation, the context a report supplied),
// with personal information masked on the server, so that the masked
// text never reaches the browser (content.go). A reviewer whose role
// allows it reveals it by posting a typed reason (POST
// /ui/cases/{id}/reveal, reveal.go): the same page comes back unmasked,
// the reveal is written to the audit log, and the header counts the
// day's reveals. An image arrives as a blurred greyscale preview rendered
// on the server (GET /ui/cases/{id}/image/blurred, cached); its original
// is requested only when the reviewer clicks it (.../image/original,
// audited at every request, never cached) and is blurred again after
// Config.ReblurAfter (image.go). The case page reads only the snapshots'
// text and whether they hold an image; the image's bytes are read by the
// image routes alone. Wellbeing limits (a day's cap on the youth_safety
// queue, break reminders) are in wellbeing.go.
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
