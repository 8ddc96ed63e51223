package hashindex

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

func randHash(r *rand.Rand) Hash {
	var h Hash
	for i := 0; i < len(h); i += 8 {
		binary.LittleEndian.PutUint64(h[i:], r.Uint64())
	}
	return h
}

func flipBit(h *Hash, j int) { h[j/8] ^= 1 << (j % 8) }

// flipRandom returns h with d distinct random bits flipped.
func flipRandom(h Hash, d int, r *rand.Rand) Hash {
	for _, j := range r.Perm(256)[:d] {
		flipBit(&h, j)
	}
	return h
}

// flipRun returns h with the d bits start, start+1, ... (mod 256) flipped,
// which packs the difference into as few chunks as possible: the worst case
// for the pigeonhole bound.
func flipRun(h Hash, start, d int) Hash {
	for k := range d {
		flipBit(&h, (start+k)%256)
	}
	return h
}

func bruteForce(hashes []Hash, q Hash, radius int) []Match {
	var out []Match
	for i, h := range hashes {
		if d := Distance(q, h); d <= radius {
			out = append(out, Match{ID: uint32(i), Distance: d})
		}
	}
	return out
}

func sortMatches(m []Match) []Match {
	slices.SortFunc(m, func(a, b Match) int { return int(a.ID) - int(b.ID) })
	return m
}

func equalMatches(t *testing.T, got, want []Match) {
	t.Helper()
	got, want = sortMatches(slices.Clone(got)), sortMatches(slices.Clone(want))
	if !slices.Equal(got, want) {
		t.Fatalf("got %d matches, want %d\n got: %v\nwant: %v", len(got), len(want), clip(got), clip(want))
	}
}

func clip(m []Match) []Match { return m[:min(len(m), 20)] }

// fixture is a 50k random index plus, for each query, planted hashes at every
// distance 0..40, half with random flips and half with runs of adjacent bits.
type fixture struct {
	hashes  []Hash
	queries []Hash
	dists   [][]uint16 // dists[q][id], computed once so tests stay fast under -race
	ix      *Index
}

// want is the brute-force answer for query qi.
func (f *fixture) want(qi, radius int) []Match {
	var out []Match
	for id, d := range f.dists[qi] {
		if int(d) <= radius {
			out = append(out, Match{ID: uint32(id), Distance: int(d)})
		}
	}
	return out
}

// sharedFixture is built once per test binary: the brute-force distances
// dominate the -race run time. Tests only read it.
var sharedFixture = sync.OnceValue(buildFixture)

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := sharedFixture()
	if f.ix.offsets == nil {
		t.Fatal("fixture index has no tables")
	}
	return f
}

func buildFixture() *fixture {
	r := rand.New(rand.NewPCG(1, 2))
	f := &fixture{}
	b := NewBuilder(60000)
	for range 50000 {
		b.Add(randHash(r))
	}
	for qi := range 24 {
		q := randHash(r)
		f.queries = append(f.queries, q)
		for d := 0; d <= 40; d++ {
			if qi%2 == 0 {
				b.Add(flipRandom(q, d, r))
			} else {
				b.Add(flipRun(q, r.IntN(256), d))
			}
		}
	}
	f.hashes = b.hashes
	f.ix = b.Build()
	for _, q := range f.queries {
		d := make([]uint16, len(f.hashes))
		for id := range f.hashes {
			d[id] = uint16(distance(&q, &f.hashes[id]))
		}
		f.dists = append(f.dists, d)
	}
	return f
}

type strategy struct {
	name   string
	search func(ix *Index, q Hash, radius int, dst []Match) []Match
}

var strategies = []strategy{
	{"auto", (*Index).Search},
	{"tables", func(ix *Index, q Hash, radius int, dst []Match) []Match { return ix.searchTables(&q, radius, dst) }},
	{"linear", func(ix *Index, q Hash, radius int, dst []Match) []Match { return ix.searchLinear(&q, radius, dst) }},
}

func TestDistance(t *testing.T) {
	var zero, ones Hash
	for i := range ones {
		ones[i] = 0xff
	}
	r := rand.New(rand.NewPCG(3, 4))
	h := randHash(r)
	tests := []struct {
		name string
		a, b Hash
		want int
	}{
		{"equal", h, h, 0},
		{"complement", zero, ones, 256},
		{"one bit", zero, flipRun(zero, 255, 1), 1},
		{"twenty bits", h, flipRandom(h, 20, r), 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Distance(tt.a, tt.b); got != tt.want {
				t.Errorf("Distance = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestSearchMatchesBruteForce(t *testing.T) {
	f := newFixture(t)
	for _, radius := range []int{0, 10, 31, 32, 40, 63} {
		want := make([][]Match, len(f.queries))
		for qi := range f.queries {
			want[qi] = f.want(qi, radius)
		}
		for _, s := range strategies {
			t.Run(s.name+"/r"+itoa(radius), func(t *testing.T) {
				var dst []Match
				for qi, q := range f.queries {
					dst = s.search(f.ix, q, radius, dst[:0])
					equalMatches(t, dst, want[qi])
				}
			})
		}
	}
}

// TestTablesEveryRadius checks each refined probe plan (all 64 radii the
// tables serve), not just the ones the cost model picks.
func TestTablesEveryRadius(t *testing.T) {
	f := newFixture(t)
	for radius := 0; radius <= MaxIndexedRadius; radius++ {
		for qi, q := range f.queries[:4] {
			equalMatches(t, f.ix.searchTables(&q, radius, nil), f.want(qi, radius))
		}
	}
}

func TestSearchEdgeCases(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	h := randHash(r)
	var ones Hash
	for i := range ones {
		ones[i] = 0xff
	}
	many := make([]Hash, 0, 5000)
	for range 5000 {
		many = append(many, randHash(r))
	}
	tests := []struct {
		name   string
		hashes []Hash
		q      Hash
		radius int
	}{
		{"empty", nil, h, 31},
		{"empty radius 256", nil, h, 256},
		{"duplicates radius 0", []Hash{h, h, flipRandom(h, 1, r), h}, h, 0},
		{"duplicates radius 31", []Hash{h, h, flipRandom(h, 31, r), flipRandom(h, 32, r)}, h, 31},
		{"negative radius", []Hash{h}, h, -1},
		{"radius 64 beyond tables", append(slices.Clone(many), flipRun(h, 0, 64), flipRun(h, 0, 65)), h, 64},
		{"radius 128", many, h, 128},
		{"radius 256 matches all", append(slices.Clone(many), ones), Hash{}, 256},
		{"radius above 256", many, h, 1000},
		{"exact match in many", append(slices.Clone(many), h), h, 0},
		// Chunk value 0xffff is the last CSR bucket; its end offset is
		// offsets[0x10000], which a uint16 index would wrap to 0.
		{"all-ones query", append(slices.Clone(many), ones, flipRandom(ones, 1, r), flipRandom(ones, 31, r), flipRun(ones, 8, 31)), ones, 31},
		{"all-zeros query", append(slices.Clone(many), Hash{}, flipRandom(Hash{}, 2, r), flipRun(Hash{}, 250, 31)), Hash{}, 31},
	}
	for _, tt := range tests {
		for _, tables := range []bool{false, true} {
			name := tt.name + "/scan"
			if tables {
				name = tt.name + "/tables"
			}
			t.Run(name, func(t *testing.T) {
				ix := build(tt.hashes, len(tt.hashes), tables)
				if ix.Len() != len(tt.hashes) {
					t.Fatalf("Len = %d, want %d", ix.Len(), len(tt.hashes))
				}
				equalMatches(t, ix.Search(tt.q, tt.radius, nil), bruteForce(tt.hashes, tt.q, tt.radius))
			})
		}
	}
}

func TestBuilderKeepsIDsAndIsolatesIndexes(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	b := NewBuilder(2)
	h0, h1, h2 := randHash(r), randHash(r), randHash(r)
	if id := b.Add(h0); id != 0 {
		t.Fatalf("first id = %d", id)
	}
	b.Add(h1)
	first := b.Build()
	if id := b.Add(h2); id != 2 {
		t.Fatalf("third id = %d", id)
	}
	second := b.Build()
	if first.Len() != 2 || second.Len() != 3 {
		t.Fatalf("Len = %d, %d; want 2, 3", first.Len(), second.Len())
	}
	if got := first.Search(h2, 0, nil); len(got) != 0 {
		t.Errorf("first index sees a later hash: %v", got)
	}
	if first.Hash(1) != h1 || second.Hash(2) != h2 {
		t.Error("Hash(id) does not return the added hash")
	}
	if got := second.Search(h2, 0, nil); len(got) != 1 || got[0].ID != 2 {
		t.Errorf("second.Search = %v", got)
	}
}

func TestConcurrentSearch(t *testing.T) {
	f := newFixture(t)
	want := make([][]Match, len(f.queries))
	for i := range f.queries {
		want[i] = sortMatches(f.want(i, DefaultRadius))
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			var dst []Match
			for k := range 3 * len(f.queries) {
				i := (g + k) % len(f.queries)
				dst = f.ix.Search(f.queries[i], DefaultRadius, dst[:0])
				got := sortMatches(slices.Clone(dst))
				if !slices.Equal(got, want[i]) {
					errs <- "query " + itoa(i) + " differs from brute force"
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestSearchDoesNotAllocate covers the dihedral case: 8 searches per image
// reusing one dst.
func TestSearchDoesNotAllocate(t *testing.T) {
	f := newFixture(t)
	dst := make([]Match, 0, 1024)
	allocs := testing.AllocsPerRun(20, func() {
		dst = dst[:0]
		for _, q := range f.queries[:8] {
			dst = f.ix.Search(q, DefaultRadius, dst)
		}
	})
	if allocs != 0 {
		t.Errorf("8 searches allocated %.1f times, want 0", allocs)
	}
}

func TestSizeBytes(t *testing.T) {
	f := newFixture(t)
	n := f.ix.Len()
	min := n*32 + 4*numChunks*(n+chunkValues)
	if got := f.ix.SizeBytes(); got < min || got > 2*min {
		t.Errorf("SizeBytes = %d, want about %d", got, min)
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func TestStrategyChoice(t *testing.T) {
	f := newFixture(t)
	r := rand.New(rand.NewPCG(9, 10))
	h := randHash(r)
	skewed := make([]Hash, 0, 20000)
	for range 20000 {
		skewed = append(skewed, flipRandom(h, r.IntN(4), r))
	}
	skewedIx := build(skewed, len(skewed), true)
	tests := []struct {
		name   string
		ix     *Index
		q      Hash
		radius int
		tables bool
	}{
		{"uniform r31", f.ix, f.queries[0], 31, true},
		{"uniform r0", f.ix, f.queries[0], 0, true},
		{"uniform r63", f.ix, f.queries[0], 63, false},
		{"uniform r64", f.ix, f.queries[0], 64, false},
		{"skewed bank r31", skewedIx, h, 31, false},
		{"skewed bank far query r31", skewedIx, randHash(r), 31, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ix.useTables(&tt.q, tt.radius); got != tt.tables {
				t.Errorf("useTables = %v, want %v", got, tt.tables)
			}
			if tt.ix == skewedIx {
				equalMatches(t, tt.ix.Search(tt.q, tt.radius, nil), bruteForce(skewed, tt.q, tt.radius))
			}
		})
	}
}
