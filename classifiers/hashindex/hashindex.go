// Package hashindex finds every stored 256-bit perceptual hash (PDQ) within a
// Hamming radius of a query, fast enough to match each uploaded image against
// banks of millions of known hashes.
//
// The index uses multi-index hashing (Norouzi, Punjani and Fleet, "Fast
// Search in Hamming Space with Multi-Index Hashing", CVPR 2012). The 256 bits
// are cut into 16 disjoint 16-bit chunks and each chunk gets a table mapping a
// chunk value to the ids holding it. By the pigeonhole principle a hash within
// distance r of the query is within floor(r/16) bits of it on at least one
// chunk (with the refinement in Search, on a known subset of chunks), so a
// query probes the few chunk values near its own, and checks each candidate
// with the full distance. Radii whose probes would cost more than a scan, and
// all radii above 63, use a linear scan instead; results are exact either way.
//
// Build once with a Builder, then share the immutable Index between
// goroutines.
package hashindex

import (
	"encoding/binary"
	"math"
	"math/bits"
	"runtime"
	"sync"
)

// DefaultRadius is the PDQ match threshold used by the image pipeline.
const DefaultRadius = 31

const (
	numChunks   = 16
	chunkBits   = 16
	chunkValues = 1 << chunkBits
	// maxProbeRadius is the largest per-chunk radius with precomputed probe
	// masks; with 16 chunks it covers query radii up to 63.
	maxProbeRadius = 3
	// MaxIndexedRadius is the largest radius that may be served from the
	// chunk tables. Larger radii always scan every hash.
	MaxIndexedRadius = numChunks*(maxProbeRadius+1) - 1
	// minIndexed is the size below which tables are not built: the 4 MiB of
	// chunk offsets would dwarf the hashes and a scan is already cheap.
	minIndexed = 4096
)

// Hash is a 256-bit PDQ hash. Bit j of the hash is bit j%8 (least significant
// first) of byte j/8, so byte i holds bits 8i..8i+7. Distance does not depend
// on the bit order, but chunking does: chunk c is bytes 2c and 2c+1.
type Hash [32]byte

// Distance returns the Hamming distance between a and b, in [0, 256].
func Distance(a, b Hash) int { return distance(&a, &b) }

func distance(a, b *Hash) int {
	return bits.OnesCount64(binary.LittleEndian.Uint64(a[0:])^binary.LittleEndian.Uint64(b[0:])) +
		bits.OnesCount64(binary.LittleEndian.Uint64(a[8:])^binary.LittleEndian.Uint64(b[8:])) +
		bits.OnesCount64(binary.LittleEndian.Uint64(a[16:])^binary.LittleEndian.Uint64(b[16:])) +
		bits.OnesCount64(binary.LittleEndian.Uint64(a[24:])^binary.LittleEndian.Uint64(b[24:]))
}

func (h *Hash) chunk(c int) uint16 { return binary.LittleEndian.Uint16(h[2*c:]) }

// Match is one stored hash found by Search.
type Match struct {
	ID       uint32 // as returned by Builder.Add
	Distance int    // Hamming distance to the query
}

// Builder collects hashes for an Index. It is not safe for concurrent use.
type Builder struct {
	hashes []Hash
}

// NewBuilder returns a Builder with room for capacity hashes.
func NewBuilder(capacity int) *Builder {
	return &Builder{hashes: make([]Hash, 0, max(capacity, 0))}
}

// Add appends h and returns its id, which is its insertion order starting at
// 0. Duplicate hashes get distinct ids and are all returned by Search.
func (b *Builder) Add(h Hash) uint32 {
	if len(b.hashes) >= math.MaxUint32 {
		panic("hashindex: more than 2^32-1 hashes")
	}
	b.hashes = append(b.hashes, h)
	return uint32(len(b.hashes) - 1)
}

// Len reports how many hashes have been added.
func (b *Builder) Len() int { return len(b.hashes) }

// Build returns an Index over every hash added so far. The Index shares the
// Builder's hash storage without copying it; the Builder may keep adding
// hashes (they are invisible to this Index) and Build again.
func (b *Builder) Build() *Index {
	return build(b.hashes[:len(b.hashes):len(b.hashes)], cap(b.hashes), len(b.hashes) >= minIndexed)
}

// Index is an immutable set of hashes. It is safe for concurrent queries.
type Index struct {
	hashes  []Hash
	heldCap int // capacity of the hash storage, for SizeBytes
	// Chunk tables in CSR form: for chunk c and value v the ids whose chunk c
	// equals v are ids[c*n+offsets[c*(chunkValues+1)+v] : ...+v+1], ascending.
	// Both are nil when the index is too small to be worth tabling.
	offsets []uint32
	ids     []uint32
}

func build(hashes []Hash, heldCap int, tables bool) *Index {
	ix := &Index{hashes: hashes, heldCap: heldCap}
	n := len(hashes)
	if !tables || n == 0 {
		return ix
	}
	ix.offsets = make([]uint32, numChunks*(chunkValues+1))
	ix.ids = make([]uint32, numChunks*n)

	// Chunks are independent counting sorts; spread them over the CPUs.
	workers := min(runtime.GOMAXPROCS(0), numChunks)
	next := make(chan int, numChunks)
	for c := range numChunks {
		next <- c
	}
	close(next)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			cursor := make([]uint32, chunkValues)
			for c := range next {
				ix.fillChunk(c, cursor)
			}
		})
	}
	wg.Wait()
	return ix
}

// fillChunk counting-sorts the ids by chunk c. cursor is scratch.
func (ix *Index) fillChunk(c int, cursor []uint32) {
	n := len(ix.hashes)
	off := (*[chunkValues + 1]uint32)(ix.offsets[c*(chunkValues+1):])
	ids := ix.ids[c*n : (c+1)*n]
	for i := range ix.hashes {
		off[int(ix.hashes[i].chunk(c))+1]++ // int: 0xffff+1 must not wrap
	}
	for v := 1; v <= chunkValues; v++ {
		off[v] += off[v-1]
	}
	copy(cursor, off[:chunkValues])
	for i := range ix.hashes {
		v := ix.hashes[i].chunk(c)
		ids[cursor[v]] = uint32(i)
		cursor[v]++
	}
}

// Len returns the number of hashes in the index.
func (ix *Index) Len() int { return len(ix.hashes) }

// Hash returns the hash with the given id. It panics if id >= Len().
func (ix *Index) Hash(id uint32) Hash { return ix.hashes[id] }

// SizeBytes approximates the memory held by the index, including the hash
// storage it shares with its Builder.
func (ix *Index) SizeBytes() int {
	return ix.heldCap*len(Hash{}) + 4*(cap(ix.offsets)+cap(ix.ids)) + 64
}

// Search appends to dst every stored hash within Hamming distance radius of q
// (inclusive), in no particular order, and returns the extended slice. Each
// id appears at most once. A negative radius matches nothing. Search does not
// allocate beyond growing dst, so callers checking several variants of an
// image (e.g. the 8 dihedral transforms) should pass dst[:0] back in.
//
// Radii up to MaxIndexedRadius use the chunk tables when the query's exact
// candidate count makes that cheaper than a scan; larger radii, and indexes
// under 4096 hashes, scan every hash.
func (ix *Index) Search(q Hash, radius int, dst []Match) []Match {
	if radius < 0 || len(ix.hashes) == 0 {
		return dst
	}
	if ix.useTables(&q, radius) {
		return ix.searchTables(&q, radius, dst)
	}
	return ix.searchLinear(&q, radius, dst)
}

// Cost weights in nanoseconds, measured on the 2-core AMD EPYC dev box with
// a 1M-hash index: a probe reads one pair of offsets, a candidate is a random
// 32-byte read plus the distance, a scanned hash a sequential one.
const (
	probeCost     = 10
	candidateCost = 50
	scanCost      = 3
)

// useTables reports whether probing beats a scan for this query. It counts
// the exact number of candidates (one offsets read per probe, a few µs at
// radius 31) rather than assuming uniform chunks, so banks dominated by
// near-duplicates or degenerate hashes fall back to a scan instead of
// verifying most of the index one random read at a time.
func (ix *Index) useTables(q *Hash, radius int) bool {
	if ix.offsets == nil || radius > MaxIndexedRadius {
		return false
	}
	s, a := radius/numChunks, radius%numChunks
	budget := len(ix.hashes) * scanCost
	cost := 0
	for c := range numChunks {
		rc := chunkRadius(c, s, a)
		if rc < 0 {
			break
		}
		cost += ballSize[rc] * probeCost
		if cost >= budget {
			return false
		}
		off := (*[chunkValues + 1]uint32)(ix.offsets[c*(chunkValues+1):])
		qc := q.chunk(c)
		candidates := 0
		for _, m := range probeMasks[:ballSize[rc]] {
			v := qc ^ m
			candidates += int(off[int(v)+1] - off[v])
		}
		cost += candidates * candidateCost
		if cost >= budget {
			return false
		}
	}
	return true
}

// chunkRadius is the probe radius of chunk c when radius = 16s + a; negative
// means chunk c is not probed.
func chunkRadius(c, s, a int) int {
	if c > a {
		return s - 1
	}
	return s
}

// searchTables probes the chunk tables. With radius = 16s + a, chunks 0..a
// are probed at radius s and chunks a+1..15 at radius s-1: a hash farther
// than that on every chunk differs in at least (a+1)(s+1) + (15-a)s =
// radius+1 bits. A hash found via chunk c is reported only if no earlier
// chunk was within its probe radius, so duplicates are dropped without
// per-query state.
func (ix *Index) searchTables(q *Hash, radius int, dst []Match) []Match {
	// Candidates of one chunk: about 260 for a million random hashes, so
	// they fit on the stack; more spill to the heap.
	var stack [1024]uint32
	scratch := stack[:0]
	n := len(ix.hashes)
	s, a := radius/numChunks, radius%numChunks
	var qc [numChunks]uint16
	for c := range qc {
		qc[c] = q.chunk(c)
	}
	for c := range numChunks {
		rc := chunkRadius(c, s, a)
		if rc < 0 {
			break
		}
		off := (*[chunkValues + 1]uint32)(ix.offsets[c*(chunkValues+1):])
		ids := ix.ids[c*n : (c+1)*n]
		// Gather the chunk's candidates first, then verify them in one
		// loop: the verification is a random 32-byte read per candidate,
		// and a loop that does not stop at every bucket boundary (about 15
		// candidates) keeps many of those reads in flight at once.
		cand := scratch[:0]
		for _, m := range probeMasks[:ballSize[rc]] {
			v := qc[c] ^ m
			cand = append(cand, ids[off[v]:off[int(v)+1]]...)
		}
		scratch = cand
		for _, id := range cand {
			h := &ix.hashes[id]
			d := distance(q, h)
			if d > radius || foundEarlier(&qc, h, c, s, a) {
				continue
			}
			dst = append(dst, Match{ID: id, Distance: d})
		}
	}
	return dst
}

// foundEarlier reports whether a chunk before c was within its probe radius,
// i.e. whether that chunk's probes already reported h.
func foundEarlier(qc *[numChunks]uint16, h *Hash, c, s, a int) bool {
	for j := range c {
		if bits.OnesCount16(qc[j]^h.chunk(j)) <= chunkRadius(j, s, a) {
			return true
		}
	}
	return false
}

func (ix *Index) searchLinear(q *Hash, radius int, dst []Match) []Match {
	for i := range ix.hashes {
		if d := distance(q, &ix.hashes[i]); d <= radius {
			dst = append(dst, Match{ID: uint32(i), Distance: d})
		}
	}
	return dst
}

// probeMasks lists every 16-bit XOR mask of weight at most maxProbeRadius,
// lightest first; ballSize[r] is how many have weight at most r.
var probeMasks, ballSize = func() ([]uint16, [maxProbeRadius + 1]int) {
	var masks []uint16
	var sizes [maxProbeRadius + 1]int
	for w := 0; w <= maxProbeRadius; w++ {
		for m := range chunkValues {
			if bits.OnesCount16(uint16(m)) == w {
				masks = append(masks, uint16(m))
			}
		}
		sizes[w] = len(masks)
	}
	return masks, sizes
}()
