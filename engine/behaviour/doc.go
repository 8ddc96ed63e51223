// Package behaviour keeps the in-memory state behind Haechi's behavioural
// signals (issue 14): how fast a sender posts in a space, how often they
// repeat themselves, and how many distinct senders are posting near-copies
// of the same text at the same time (spam waves).
//
// # Fingerprints
//
// The caller normalises message text (classifiers/textnorm) and hands the
// normalised letters to NewFingerprint; this package does not import the
// classifiers, so dependencies keep pointing inward to engine. A Fingerprint
// carries an exact 64-bit hash of the letters (FNV-1a) and a 64-bit SimHash
// over overlapping letter 3-grams. Because the shingles are taken from the
// letters alone, spacing, most punctuation, emoji and the obfuscations textnorm
// undoes (jamo typed out, digits between syllables, look-alike letters) give
// the same SimHash (textnorm reads a run of "!!!" after a word as the leet
// letters "ii", which moves it a few bits); changing one word of a ten- to
// fifteen-word message moves it by 8-12 bits, unrelated texts differ in
// about half of the 64 bits (28-34 in the tests). Texts with
// fewer than MinSimLetters letters get no SimHash (there are too few shingles
// for the distance to mean anything) but still get the exact hash, so "ㅋㅋ"
// sent twenty times still counts as repetition.
//
// # Per-sender state
//
// Senders is owned by one worker: input topics are keyed by sender, so all of
// a sender's events reach the partition that owns its state. It is keyed by
// a 64-bit FNV-1a hash of (sender id, space id) rather than by the strings,
// which keeps each record a fixed-size value without pointers (nothing for
// the garbage collector to scan). Two pairs whose hashes collide share one
// record; for a million active pairs the chance that any two collide is
// about 3e-8, and sender ids are assigned by the platform, not chosen by
// users, so collisions cannot be forced cheaply.
//
// Rates are kept per window (three windows, by default 10 s, 60 s and
// 10 min) as a ring of WindowBuckets saturating counts; a rate is the sum of
// the ring, so it covers between (B-1)/B and all of the window and is exact
// to one bucket width. Repetition is judged against the sender's last
// RepeatDepth messages that fall in RepeatWindow. All times come from the
// events, never from the wall clock, so replaying a topic gives the same
// signals.
//
// Memory is bounded twice: records not touched for IdleTTL (measured in
// event time, against the latest event seen) expire a few at a time as new
// events arrive, or all at once with Sweep; and at MaxSenders the least
// recently touched record is evicted. AppendSnapshot and Restore turn the state
// into bytes so the owner of a partition can persist it and a worker that
// takes the partition over after a restart or rebalance can carry on.
//
// # Waves
//
// Waves indexes recent SimHashes from all senders with locality-sensitive
// hashing: the 64 bits are cut into bands (4×16 or 8×8 bits), and a message
// is compared only with earlier messages that agree exactly on at least one
// band. Identical and normalisation-equivalent texts always share every
// band; a pair at Hamming distance d ≤ 3 (with 16-bit bands) is guaranteed
// to share one; pairs further apart are found with falling probability.
// For one word changed in a fifteen-word message (distance about 8-12) the
// tests measure about half of pairs found with 4×16-bit bands and nearly
// all with 8×8-bit bands, which compare more candidates per lookup. A real
// wave has many members, and a message needs to meet only some of them. The index is a fixed ring of entries with bucket
// chains threaded through it, so memory is fixed at construction and old
// entries disappear as they are overwritten or fall out of the window.
// WaveCounter is the interface the pipeline consumes, so a shared-store
// implementation can replace the in-memory one for cross-partition waves.
//
// None of the types in this package are safe for concurrent use; each is
// owned by one goroutine.
package behaviour
