package behaviour

import (
	"math/bits"

	"github.com/haechi-tns/haechi/engine"
)

// MinSimLetters is the fewest normalised letters a text needs to get a
// SimHash. Below it a text has too few 3-grams for the Hamming distance to
// separate near-copies from unrelated texts.
const MinSimLetters = 8

// Fingerprint identifies a normalised text for repetition and wave
// detection. The zero Fingerprint stands for a message with no text (an
// image, an empty chat line) and never matches anything.
//
// Exact is an FNV-1a hash of the normalised letters (0 when there are
// none); Sim is the SimHash of the letter 3-grams, meaningful only when
// HasSim, which reports whether the text had at least MinSimLetters
// letters. It is the engine's TextFingerprint, which text classifiers
// fill with NewFingerprint.
type Fingerprint = engine.TextFingerprint

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// NewFingerprint fingerprints normalised letters, such as
// textnorm.Normalize(s).Letters(). It does not allocate.
//
// The exact hash leaves out lone jamo (ㅋㅋ, ㅎㅎ, ㅠㅠ: laughter and tears,
// not content) when the text has other letters, so "렉 걸림", "렉 걸림 ㅋㅋ"
// and "렉 걸림ㅠㅠ" repeat one another; a text of jamo alone ("ㅋㅋㅋ") keeps
// them.
func NewFingerprint(letters []rune) Fingerprint {
	if len(letters) == 0 {
		return Fingerprint{}
	}
	skipJamo := false
	for _, r := range letters {
		if !isJamo(r) {
			skipJamo = true
			break
		}
	}
	h := uint64(fnvOffset)
	for _, r := range letters {
		if skipJamo && isJamo(r) {
			continue
		}
		for v := uint32(r); ; v >>= 8 {
			h ^= uint64(v & 0xff)
			h *= fnvPrime
			if v < 0x100 {
				break
			}
		}
	}
	if h == 0 {
		h = 1
	}
	fp := Fingerprint{Exact: h}
	if len(letters) < MinSimLetters {
		return fp
	}
	// SimHash bit b is set when more than half of the shingle hashes have
	// it set. Counting is done eight bits at a time: lane k of lanes[j]
	// counts bit 8k+j, and lanes are flushed before a byte can overflow.
	var counts [64]int32
	var lanes [8]uint64
	n, pending := 0, 0
	for i := 0; i+3 <= len(letters); i++ {
		// Three code points (21 bits each) packed into one word, then mixed.
		g := uint64(letters[i])<<42 | uint64(letters[i+1])<<21 | uint64(letters[i+2])
		h := mix64(g)
		lanes[0] += h & 0x0101010101010101
		lanes[1] += h >> 1 & 0x0101010101010101
		lanes[2] += h >> 2 & 0x0101010101010101
		lanes[3] += h >> 3 & 0x0101010101010101
		lanes[4] += h >> 4 & 0x0101010101010101
		lanes[5] += h >> 5 & 0x0101010101010101
		lanes[6] += h >> 6 & 0x0101010101010101
		lanes[7] += h >> 7 & 0x0101010101010101
		n++
		if pending++; pending == 255 {
			flushLanes(&counts, &lanes)
			pending = 0
		}
	}
	flushLanes(&counts, &lanes)
	var sim uint64
	for b := range 64 {
		if 2*int(counts[b]) > n {
			sim |= 1 << b
		}
	}
	fp.Sim, fp.HasSim = sim, true
	return fp
}

// isJamo reports whether r is a Hangul compatibility jamo (ㄱ…ㅣ).
func isJamo(r rune) bool { return r >= 0x3131 && r <= 0x318E }

// flushLanes adds the byte lanes into counts (lane k of lanes[j] counts
// bit 8k+j) and zeroes them.
func flushLanes(counts *[64]int32, lanes *[8]uint64) {
	for j := range lanes {
		for k := range 8 {
			counts[8*k+j] += int32(lanes[j] >> (8 * k) & 0xff)
		}
		lanes[j] = 0
	}
}

// mix64 is the SplitMix64 finaliser: every input bit affects every output
// bit, so packed shingles spread evenly over the 64 SimHash bits.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Distance returns the Hamming distance between two SimHashes.
func Distance(a, b uint64) int { return bits.OnesCount64(a ^ b) }
