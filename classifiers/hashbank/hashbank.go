// Package hashbank keeps banks of hashes of known images — abusive ones to
// stop, or known-good ones that must not be matched — and matches an
// image's hashes against all of them: MD5 and SHA-256 exactly, PDQ within
// a Hamming distance over all eight dihedral variants.
//
// Banks live in a folder, one CSV per bank (<name>.csv: kind,hash,label)
// and a small JSON file with its settings (<name>.json). Import validates
// and appends; Load reads every bank into one immutable Set.
package hashbank

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/haechi-tns/haechi/classifiers/hashindex"
	"github.com/haechi-tns/haechi/classifiers/pdq"
	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/internal/fswatch"
)

// Kind is a hash algorithm.
type Kind string

// Hash kinds.
const (
	PDQ    Kind = "pdq"
	MD5    Kind = "md5"
	SHA256 Kind = "sha256"
)

// Defaults from Meta's PDQ guidance: a near match is within 31 bits, and
// hashes of quality 49 or less (flat or tiny images) match too much to use.
const (
	DefaultMaxDistance = 31
	MinQuality         = 50
)

// Bank describes one bank.
type Bank struct {
	Name string `json:"name"`
	// Negative banks hold known-good images: a match argues against
	// blocking.
	Negative bool         `json:"negative"`
	Counts   map[Kind]int `json:"counts"`
}

var bankName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ImportOptions controls Import.
type ImportOptions struct {
	Negative bool
	// Kind64 is the kind of bare 64-hex-digit hashes, which could be PDQ
	// or SHA-256; PDQ unless set.
	Kind64 Kind
}

// ImportResult counts what Import did.
type ImportResult struct {
	Added, Duplicates int
}

// Import reads CSV rows of hash and optional label from r and appends the
// new ones to bank name in dir, creating it. A hash may carry its kind as a
// prefix ("pdq:…", "md5:…", "sha256:…"); bare 32 hex digits are MD5 and 64
// are opts.Kind64. A header row starting with "hash" is skipped. Any bad
// row stops the import before anything is written, with its line number.
func Import(dir, name string, r io.Reader, opts ImportOptions) (ImportResult, error) {
	var res ImportResult
	if !bankName.MatchString(name) {
		return res, fmt.Errorf("hashbank: bank name %q: use lowercase letters, digits, - and _", name)
	}
	if opts.Kind64 == "" {
		opts.Kind64 = PDQ
	}
	if opts.Kind64 != PDQ && opts.Kind64 != SHA256 {
		return res, fmt.Errorf("hashbank: 64-digit hashes are pdq or sha256, not %q", opts.Kind64)
	}
	existing, bank, err := readBank(dir, name)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return res, err
	}
	if bank.Counts != nil && bank.Negative != opts.Negative {
		return res, fmt.Errorf("hashbank: bank %s exists with negative=%v", name, bank.Negative)
	}
	seen := make(map[string]bool, len(existing))
	for _, e := range existing {
		seen[string(e.kind)+":"+e.hex] = true
	}
	cr := csv.NewReader(bufio.NewReader(r))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var added []entry
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return res, fmt.Errorf("hashbank: %w", err)
		}
		if len(rec) == 0 || (len(rec) == 1 && strings.TrimSpace(rec[0]) == "") {
			continue
		}
		if line == 1 && strings.EqualFold(strings.TrimSpace(rec[0]), "hash") {
			continue
		}
		if len(rec) > 2 {
			return res, fmt.Errorf("hashbank: line %d: want hash and an optional label, got %d fields", line, len(rec))
		}
		e, err := parseHash(rec[0], opts.Kind64)
		if err != nil {
			return res, fmt.Errorf("hashbank: line %d: %w", line, err)
		}
		if len(rec) == 2 {
			e.label = strings.TrimSpace(rec[1])
		}
		key := string(e.kind) + ":" + e.hex
		if seen[key] {
			res.Duplicates++
			continue
		}
		seen[key] = true
		added = append(added, e)
	}
	all := append(existing, added...)
	bank = Bank{Name: name, Negative: opts.Negative, Counts: map[Kind]int{}}
	for _, e := range all {
		bank.Counts[e.kind]++
	}
	if err := writeBank(dir, bank, all); err != nil {
		return res, err
	}
	res.Added = len(added)
	return res, nil
}

type entry struct {
	kind  Kind
	hex   string
	label string
}

func parseHash(cell string, kind64 Kind) (entry, error) {
	cell = strings.ToLower(strings.TrimSpace(cell))
	kind := Kind("")
	if k, rest, ok := strings.Cut(cell, ":"); ok {
		kind, cell = Kind(k), rest
	}
	if _, err := hex.DecodeString(cell); err != nil {
		return entry{}, fmt.Errorf("hash %q is not hexadecimal", cell)
	}
	want := map[Kind]int{PDQ: 64, MD5: 32, SHA256: 64}
	switch {
	case kind == "" && len(cell) == 32:
		kind = MD5
	case kind == "" && len(cell) == 64:
		kind = kind64
	case kind == "":
		return entry{}, fmt.Errorf("hash has %d hex digits: want 64 (PDQ or SHA-256) or 32 (MD5)", len(cell))
	case want[kind] == 0:
		return entry{}, fmt.Errorf("unknown hash kind %q (want pdq, md5 or sha256)", kind)
	case len(cell) != want[kind]:
		return entry{}, fmt.Errorf("%s hash has %d hex digits, want %d", kind, len(cell), want[kind])
	}
	return entry{kind: kind, hex: cell}, nil
}

func readBank(dir, name string) ([]entry, Bank, error) {
	var bank Bank
	meta, err := os.ReadFile(filepath.Join(dir, name+".json"))
	if err != nil {
		return nil, bank, err
	}
	if err := engine.DecodeJSON(meta, &bank); err != nil {
		return nil, bank, fmt.Errorf("hashbank: %s.json: %w", name, err)
	}
	f, err := os.Open(filepath.Join(dir, name+".csv"))
	if err != nil {
		return nil, bank, err
	}
	defer f.Close()
	cr := csv.NewReader(bufio.NewReader(f))
	cr.FieldsPerRecord = 3
	var out []entry
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, bank, fmt.Errorf("hashbank: %s.csv: %w", name, err)
		}
		e, err := parseHash(rec[0]+":"+rec[1], PDQ)
		if err != nil {
			return nil, bank, fmt.Errorf("hashbank: %s.csv line %d: %w", name, line, err)
		}
		e.label = rec[2]
		out = append(out, e)
	}
	return out, bank, nil
}

// writeBank replaces a bank's files atomically (write, then rename).
func writeBank(dir string, bank Bank, entries []entry) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("hashbank: %w", err)
	}
	write := func(name string, fill func(io.Writer) error) error {
		tmp, err := os.CreateTemp(dir, "."+name+".*")
		if err != nil {
			return fmt.Errorf("hashbank: %w", err)
		}
		if err := fill(tmp); err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			return err
		}
		if err := tmp.Close(); err != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("hashbank: %w", err)
		}
		return os.Rename(tmp.Name(), filepath.Join(dir, name))
	}
	err := write(bank.Name+".csv", func(w io.Writer) error {
		cw := csv.NewWriter(w)
		for _, e := range entries {
			if err := cw.Write([]string{string(e.kind), e.hex, e.label}); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
	if err != nil {
		return err
	}
	return write(bank.Name+".json", func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(bank)
	})
}

// ref says where a stored hash came from: its bank and its label, a slice
// of Set.labels. A ref holds no pointer, so a million-entry bank is one
// pointer-free array that the garbage collector does not have to walk (as
// strings, the labels cost every image about a millisecond of marking).
type ref struct {
	bank               int32
	labelOff, labelLen uint32
}

// Set is every bank of a folder, ready to match. It is immutable and safe
// for concurrent use.
type Set struct {
	banks   []Bank
	pdq     *hashindex.Index
	pdqRefs []ref
	exact   map[string][]ref // "md5:hex" or "sha256:hex"
	labels  string           // every label, end to end
}

func (s *Set) label(r ref) string { return s.labels[r.labelOff : r.labelOff+r.labelLen] }

// Load reads every bank in dir. A missing folder is an empty set.
func Load(dir string) (*Set, error) {
	s := &Set{exact: map[string][]ref{}}
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("hashbank: %w", err)
	}
	sort.Strings(names)
	b := hashindex.NewBuilder(0)
	var labels strings.Builder
	for _, path := range names {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		entries, bank, err := readBank(dir, name)
		if err != nil {
			return nil, err
		}
		bank.Name = name
		bi := int32(len(s.banks))
		s.banks = append(s.banks, bank)
		for _, e := range entries {
			if labels.Len()+len(e.label) > math.MaxUint32 {
				return nil, fmt.Errorf("hashbank: bank %s: labels exceed 4 GiB", name)
			}
			r := ref{bank: bi, labelOff: uint32(labels.Len()), labelLen: uint32(len(e.label))}
			labels.WriteString(e.label)
			if e.kind == PDQ {
				var h hashindex.Hash
				hex.Decode(h[:], []byte(e.hex))
				b.Add(h)
				s.pdqRefs = append(s.pdqRefs, r)
				continue
			}
			key := string(e.kind) + ":" + e.hex
			s.exact[key] = append(s.exact[key], r)
		}
	}
	s.pdq = b.Build()
	s.labels = labels.String()
	return s, nil
}

// Banks lists the banks of the set.
func (s *Set) Banks() []Bank { return slices.Clone(s.banks) }

// Query is an image's hashes.
type Query struct {
	// PDQ holds the eight dihedral variants (pdq.DihedralFromImage);
	// Quality is PDQ's quality score.
	PDQ     [8]pdq.Hash
	Quality int
	MD5     [16]byte
	SHA256  [32]byte
}

// Match returns every bank entry the image matches: exact MD5 and SHA-256
// matches at distance 0, and PDQ matches within maxDistance of any
// dihedral variant (the smallest distance per entry). PDQ is not used when
// the image's quality is below MinQuality. Matches are ordered by distance,
// then bank.
func (s *Set) Match(q *Query, maxDistance int) []engine.HashMatch {
	var out []engine.HashMatch
	add := func(r ref, algo Kind, dist int) {
		b := s.banks[r.bank]
		out = append(out, engine.HashMatch{Bank: b.Name, Label: s.label(r), Algorithm: string(algo), Distance: dist, Negative: b.Negative})
	}
	for _, r := range s.exact["md5:"+hex.EncodeToString(q.MD5[:])] {
		add(r, MD5, 0)
	}
	for _, r := range s.exact["sha256:"+hex.EncodeToString(q.SHA256[:])] {
		add(r, SHA256, 0)
	}
	if q.Quality >= MinQuality && s.pdq.Len() > 0 {
		best := map[uint32]int{}
		var found []hashindex.Match
		for _, v := range q.PDQ {
			found = s.pdq.Search(hashindex.Hash(v), maxDistance, found[:0])
			for _, m := range found {
				if d, ok := best[m.ID]; !ok || m.Distance < d {
					best[m.ID] = m.Distance
				}
			}
		}
		for id, d := range best {
			add(s.pdqRefs[id], PDQ, d)
		}
	}
	slices.SortFunc(out, func(a, b engine.HashMatch) int {
		if a.Distance != b.Distance {
			return a.Distance - b.Distance
		}
		return strings.Compare(a.Bank+a.Label, b.Bank+b.Label)
	})
	return out
}

// Watch reloads the banks in dir whenever its files change, until ctx is
// done, and hands each new set to use. A folder that fails to load is
// reported to onError and the previous set stays in use. Watch blocks;
// run it in a goroutine owned by the caller.
func Watch(ctx context.Context, dir string, use func(*Set), onError func(error)) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("hashbank: watch: %w", err)
	}
	// Import writes a bank's CSV and then its JSON by renaming temporary
	// files; a short quiet period lets both land before reloading.
	relevant := func(name string) bool {
		base := filepath.Base(name)
		return !strings.HasPrefix(base, ".") && (strings.HasSuffix(base, ".csv") || strings.HasSuffix(base, ".json"))
	}
	err := fswatch.Watch(ctx, fswatch.Config{Dir: dir, Relevant: relevant, Quiet: 300 * time.Millisecond}, func() {
		s, err := Load(dir)
		if err != nil {
			onError(err)
			return
		}
		use(s)
	}, onError)
	if err != nil {
		return fmt.Errorf("hashbank: %w", err)
	}
	return nil
}
