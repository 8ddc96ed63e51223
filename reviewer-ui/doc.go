// Package reviewerui will serve the moderators' web UI: the review queue,
// case pages and actions, server-rendered with html/template and htmx. It
// depends only on engine; it never imports Kafka, OPA or ONNX code.
package reviewerui
