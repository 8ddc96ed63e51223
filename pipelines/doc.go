// Package pipelines will hold Haechi's Kafka side: consumer-group workers for
// chat, voice and image topics, producers for decisions and actions, the
// dead-letter topic and the embedded broker for single-machine mode. It
// depends only on engine; it never imports the reviewer UI.
package pipelines
