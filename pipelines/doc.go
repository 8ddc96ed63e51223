// Package pipelines is Haechi's Kafka side. Workers in a consumer group
// read chat, voice and image events, decide them, store the decisions,
// publish decisions, actions and dead letters, and only then commit
// offsets. The package also holds the producer the demo and the tests use,
// and topic creation. The message schemas are documented for
// world-platform developers in docs/streaming.md. The embedded broker for
// single-machine mode is in pipelines/broker, and demo traffic in
// pipelines/demo.
//
// It depends only on engine; it never imports the reviewer UI.
package pipelines
