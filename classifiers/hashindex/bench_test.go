package hashindex

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// The 1M-hash data sets take about a second each to generate, so they are
// built only when a benchmark asks for them and then shared.
const benchN = 1_000_000

type benchSet struct {
	ix      *Index
	queries []Hash
}

// random1M: uniform hashes and uniform queries (almost never a match).
var random1M = sync.OnceValue(func() benchSet {
	r := rand.New(rand.NewPCG(11, 12))
	b := NewBuilder(benchN)
	for range benchN {
		b.Add(randHash(r))
	}
	qs := make([]Hash, 2000)
	for i := range qs {
		qs[i] = randHash(r)
	}
	return benchSet{b.Build(), qs}
})

// nearDup1M: 100k cluster centres, each stored with 9 variants at distance
// 1..20, in shuffled order; queries are centres moved by 0..8 bits, so each
// matches its ~10 cluster members, many of them via several chunks.
var nearDup1M = sync.OnceValue(func() benchSet {
	r := rand.New(rand.NewPCG(13, 14))
	const clusters = benchN / 10
	centres := make([]Hash, clusters)
	all := make([]Hash, 0, benchN)
	for i := range centres {
		centres[i] = randHash(r)
		all = append(all, centres[i])
		for range 9 {
			all = append(all, flipRandom(centres[i], 1+r.IntN(20), r))
		}
	}
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	b := NewBuilder(benchN)
	for _, h := range all {
		b.Add(h)
	}
	qs := make([]Hash, 2000)
	for i := range qs {
		qs[i] = flipRandom(centres[r.IntN(clusters)], r.IntN(9), r)
	}
	return benchSet{b.Build(), qs}
})

func BenchmarkSearch(b *testing.B) {
	cases := []struct {
		name   string
		set    func() benchSet
		radius int
		search func(ix *Index, q Hash, radius int, dst []Match) []Match
	}{
		{"random-1M", random1M, DefaultRadius, (*Index).Search},
		{"near-dup-1M", nearDup1M, DefaultRadius, (*Index).Search},
		{"random-1M-r47", random1M, 47, (*Index).Search},
		{"random-1M-r63-scan", random1M, 63, (*Index).Search},
		{"random-1M-r31-forced-scan", random1M, DefaultRadius, strategies[2].search},
		{"random-1M-r63-forced-tables", random1M, 63, strategies[1].search},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			s := c.set()
			dst := make([]Match, 0, 1024)
			matches := 0
			b.ResetTimer()
			for i := range b.N {
				dst = c.search(s.ix, s.queries[i%len(s.queries)], c.radius, dst[:0])
				matches += len(dst)
			}
			b.StopTimer()
			b.ReportMetric(float64(matches)/float64(b.N), "matches/op")
			p50, p99 := latencies(s, c.radius, c.search)
			b.ReportMetric(float64(p50.Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(p99.Nanoseconds()), "p99-ns")
		})
	}
}

// BenchmarkSearchDihedral is one image checked in all 8 orientations: 8
// searches sharing one dst, which must not allocate.
func BenchmarkSearchDihedral(b *testing.B) {
	s := random1M()
	dst := make([]Match, 0, 1024)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		dst = dst[:0]
		for k := range 8 {
			dst = s.ix.Search(s.queries[(8*i+k)%len(s.queries)], DefaultRadius, dst)
		}
	}
}

// latencies times each of the set's 2000 queries once, sequentially.
func latencies(s benchSet, radius int, search func(*Index, Hash, int, []Match) []Match) (p50, p99 time.Duration) {
	dst := make([]Match, 0, 1024)
	ds := make([]time.Duration, len(s.queries))
	for i, q := range s.queries {
		start := time.Now()
		dst = search(s.ix, q, radius, dst[:0])
		ds[i] = time.Since(start)
	}
	slices.Sort(ds)
	return ds[len(ds)/2], ds[len(ds)*99/100]
}

// BenchmarkBuild1M adds and indexes 1M random hashes per op and reports the
// live heap the index adds (measured after GC) and its own SizeBytes.
func BenchmarkBuild1M(b *testing.B) {
	r := rand.New(rand.NewPCG(15, 16))
	src := make([]Hash, benchN)
	for i := range src {
		src[i] = randHash(r)
	}
	var before, after runtime.MemStats
	var addTime, buildTime time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()

		start := time.Now()
		bl := NewBuilder(benchN)
		for _, h := range src {
			bl.Add(h)
		}
		mid := time.Now()
		ix := bl.Build()
		addTime += mid.Sub(start)
		buildTime += time.Since(mid)

		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(ix.SizeBytes())/(1<<20), "size-MiB")
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20), "heap-MiB")
		runtime.KeepAlive(ix)
		b.StartTimer()
	}
	b.ReportMetric(float64(addTime.Milliseconds())/float64(b.N), "add-ms")
	b.ReportMetric(float64(buildTime.Milliseconds())/float64(b.N), "build-ms")
}
