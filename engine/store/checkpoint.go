package store

import (
	"bufio"
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"
)

// A checkpoint is the audit chain's head, its entry number and hash,
// signed with an Ed25519 key kept outside the database. Whoever can write
// to the database can rewrite the chain and recompute its hashes, or cut
// its tail off, but cannot sign: the chain must still hold every signed
// entry with its signed hash, so a rewrite or a truncation of what was
// signed is found. Entries written since the newest checkpoint are
// accepted only as far as they link to it; they are signed at the next
// checkpoint.
//
// Checkpoints are kept in the audit_checkpoints table, and a Checkpointer
// also appends them to a journal file beside the key, out of reach of
// anyone who can only reach the database.

// Checkpoint is a signed statement that the audit chain's entry Seq had
// hash Hash at time At. Seq 0 is the empty chain, with the genesis hash.
type Checkpoint struct {
	Seq   int64     `json:"seq"`
	Hash  string    `json:"hash"`
	At    time.Time `json:"at"`
	KeyID string    `json:"key_id"`
	Sig   string    `json:"sig"` // base64 Ed25519 signature of checkpointMessage
}

// checkpointMessage is the text a checkpoint's signature covers. The first
// line keeps the signature from meaning anything else.
func checkpointMessage(seq int64, hash string, at time.Time) []byte {
	return fmt.Appendf(nil, "haechi audit checkpoint v1\nseq %d\nhash %s\nat %d\n", seq, hash, at.UnixMilli())
}

// KeyID names a public key in checkpoints and messages: the first eight
// bytes of its SHA-256, in hex.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// SignCheckpoint signs the chain head (seq, hash) at time at, kept to the
// millisecond as the database keeps it.
func SignCheckpoint(key ed25519.PrivateKey, seq int64, hash string, at time.Time) Checkpoint {
	at = time.UnixMilli(at.UnixMilli()).UTC()
	return Checkpoint{
		Seq: seq, Hash: hash, At: at,
		KeyID: KeyID(key.Public().(ed25519.PublicKey)),
		Sig:   base64.StdEncoding.EncodeToString(ed25519.Sign(key, checkpointMessage(seq, hash, at))),
	}
}

// verify reports whether cp carries pub's signature.
func (cp Checkpoint) verify(pub ed25519.PublicKey) bool {
	sig, err := base64.StdEncoding.DecodeString(cp.Sig)
	return err == nil && cp.KeyID == KeyID(pub) && ed25519.Verify(pub, checkpointMessage(cp.Seq, cp.Hash, cp.At), sig)
}

// forged is the break a checkpoint bearing pub's name but not its
// signature stands for.
func (cp Checkpoint) forged() *AuditBreak {
	return &AuditBreak{cp.Seq, fmt.Sprintf("its checkpoint of %s names key %s but is not signed by it", cp.At.Format(time.RFC3339), cp.KeyID)}
}

// checkpointsTable holds the checkpoints (migration 5). (Key, entry) is
// unique: instances signing the same head with the shared key store it
// once. haechi audit verify, which never writes, reads a database from
// before the migration as one without checkpoints.
const checkpointsTable = `CREATE TABLE audit_checkpoints (
		key_id TEXT NOT NULL,
		seq    BIGINT NOT NULL,
		hash   TEXT NOT NULL,
		at     BIGINT NOT NULL,
		sig    TEXT NOT NULL,
		PRIMARY KEY (key_id, seq)
	)`

// hasCheckpoints reports whether the checkpoints table exists.
func (s *Store) hasCheckpoints(ctx context.Context) (bool, error) {
	var n int
	query := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'audit_checkpoints'`
	if s.postgres {
		query = `SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = 'audit_checkpoints' AND schemaname = ANY (current_schemas(false))`
	}
	err := s.db.QueryRowContext(ctx, query).Scan(&n)
	return n > 0, err
}

// saveCheckpoint stores cp; one already stored for its key and entry is
// kept.
func (s *Store) saveCheckpoint(ctx context.Context, cp Checkpoint) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO audit_checkpoints (key_id, seq, hash, at, sig) VALUES (?,?,?,?,?) ON CONFLICT (key_id, seq) DO NOTHING`),
		cp.KeyID, cp.Seq, cp.Hash, ms(cp.At), cp.Sig)
	return err
}

// checkpoints returns keyID's stored checkpoints from entry from to entry
// to, oldest first.
func (s *Store) checkpoints(ctx context.Context, keyID string, from, to int64) ([]Checkpoint, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT key_id, seq, hash, at, sig FROM audit_checkpoints WHERE key_id = ? AND seq BETWEEN ? AND ? ORDER BY seq`), keyID, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Checkpoint
	for rows.Next() {
		var cp Checkpoint
		var at int64
		if err := rows.Scan(&cp.KeyID, &cp.Seq, &cp.Hash, &at, &cp.Sig); err != nil {
			return nil, err
		}
		cp.At = time.UnixMilli(at).UTC()
		out = append(out, cp)
	}
	return out, rows.Err()
}

// latestCheckpoint returns the newest stored checkpoint signed by pub;
// ok is false when there is none. A newest checkpoint that names pub's
// key but is not signed by it is an *AuditBreak.
func (s *Store) latestCheckpoint(ctx context.Context, pub ed25519.PublicKey) (cp Checkpoint, ok bool, err error) {
	var at int64
	err = s.db.QueryRowContext(ctx, s.q(`SELECT key_id, seq, hash, at, sig FROM audit_checkpoints WHERE key_id = ? ORDER BY seq DESC LIMIT 1`), KeyID(pub)).
		Scan(&cp.KeyID, &cp.Seq, &cp.Hash, &at, &cp.Sig)
	if errors.Is(err, sql.ErrNoRows) {
		return Checkpoint{}, false, nil
	}
	if err != nil {
		return Checkpoint{}, false, err
	}
	cp.At = time.UnixMilli(at).UTC()
	if !cp.verify(pub) {
		return Checkpoint{}, false, cp.forged()
	}
	return cp, true, nil
}

// otherCheckpointKeys returns up to five key ids other than keyID that
// stored checkpoints are signed with.
func (s *Store) otherCheckpointKeys(ctx context.Context, keyID string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT DISTINCT key_id FROM audit_checkpoints WHERE key_id <> ? ORDER BY key_id LIMIT 5`), keyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// JournalName is the checkpoint journal's file name, beside the signing
// key and its public key.
const JournalName = "audit-checkpoints.jsonl"

// ReadJournal reads a checkpoint journal: one JSON checkpoint a line.
// A journal that does not exist holds none. Lines that are not a
// checkpoint (a line cut short by a crash) are skipped and counted.
func ReadJournal(path string) (cps []Checkpoint, skipped int, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("store: checkpoint journal: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var cp Checkpoint
		if err := json.Unmarshal([]byte(line), &cp); err != nil || cp.KeyID == "" {
			skipped++
			continue
		}
		cps = append(cps, cp)
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("store: checkpoint journal %s: %w", path, err)
	}
	return cps, skipped, nil
}

// appendJournal appends cp to the journal at path and syncs it.
func appendJournal(path string, cp Checkpoint) error {
	line, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ErrNoCheckpoint is returned by VerifyAuditSigned when no checkpoint
// signed by the key is found: the checkpoints were removed, the key is not
// the one that signed them, or no Checkpointer has run with it.
var ErrNoCheckpoint = errors.New("store: no audit checkpoint signed by this key")

// AuditVerification is what VerifyAuditSigned found in an intact log.
type AuditVerification struct {
	// Entries is how many entries the chain holds, all linked.
	Entries int64
	// Latest is the newest checkpoint signed by the key; the chain holds
	// its entry with its hash. Entries after it link to it.
	Latest Checkpoint
	// Checkpoints is how many entries signed by checkpoints of the key
	// were checked (one in the database and the journal counts once).
	Checkpoints int64
	// OtherKeys lists keys (up to five) that other stored checkpoints
	// name; those were not checked.
	OtherKeys []string
}

// VerifyAuditSigned checks the whole chain, as VerifyAudit does, and
// checks it against every checkpoint signed by pub, from the database and
// from journal (a journal's checkpoints, see ReadJournal): the chain must
// hold each signed entry with its signed hash, so a chain cut short
// before the newest checkpoint, or rewritten with its hashes recomputed,
// is an *AuditBreak. A checkpoint naming pub's key without its signature
// is one too. With no checkpoint signed by pub it returns an error
// wrapping ErrNoCheckpoint. Checkpoints written while it runs are not
// checked. It only reads.
func (s *Store) VerifyAuditSigned(ctx context.Context, pub ed25519.PublicKey, journal []Checkpoint) (*AuditVerification, error) {
	keyID := KeyID(pub)
	v := &AuditVerification{}
	var mine []Checkpoint
	for _, cp := range journal {
		if cp.KeyID != keyID {
			continue
		}
		if !cp.verify(pub) {
			return nil, cp.forged()
		}
		mine = append(mine, cp)
	}
	slices.SortFunc(mine, func(a, b Checkpoint) int { return cmp.Compare(a.Seq, b.Seq) })

	// The newest checkpoint is read before the chain: the chain only
	// grows, so every entry it names is there to be read.
	stored, err := s.hasCheckpoints(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: verify audit: %w", err)
	}
	found := false
	if stored {
		if v.Latest, found, err = s.latestCheckpoint(ctx, pub); err != nil {
			return nil, fmt.Errorf("store: verify audit: %w", err)
		}
		if v.OtherKeys, err = s.otherCheckpointKeys(ctx, keyID); err != nil {
			return nil, fmt.Errorf("store: verify audit: %w", err)
		}
	}
	if n := len(mine); n > 0 && (!found || mine[n-1].Seq > v.Latest.Seq) {
		v.Latest, found = mine[n-1], true
	}
	if !found {
		if len(v.OtherKeys) > 0 {
			return nil, fmt.Errorf("%w (%s); the database holds checkpoints of key %s", ErrNoCheckpoint, keyID, strings.Join(v.OtherKeys, ", "))
		}
		return nil, fmt.Errorf("%w (%s): the checkpoints were removed, or no haechi serve or worker has signed with it", ErrNoCheckpoint, keyID)
	}

	if err := s.auditOutsideChain(ctx); err != nil {
		return nil, err
	}
	// check compares the checkpoints of entry seq with the hash the chain
	// holds for it. lastGood is the newest checkpoint found to match.
	var lastGood int64 // entry 0, the empty chain, is where every chain starts
	check := func(cps []Checkpoint, seq int64, hash string) error {
		if len(cps) == 0 || seq > v.Latest.Seq {
			return nil
		}
		for _, cp := range cps {
			if !cp.verify(pub) {
				return cp.forged()
			}
			if cp.Hash != hash {
				return &AuditBreak{seq, fmt.Sprintf("hash is not the one signed in the checkpoint of %s: an entry from %d to %d was changed and every later hash recomputed",
					cp.At.Format(time.RFC3339), lastGood+1, seq)}
			}
		}
		v.Checkpoints++
		lastGood = seq
		return nil
	}
	// Checkpoints of entry 0 sign the empty chain.
	empty, err := s.storedCheckpoints(ctx, stored, keyID, 0, 0)
	if err != nil {
		return nil, err
	}
	if err := check(append(empty, journalRange(mine, 0, 0)...), 0, genesisHash); err != nil {
		return nil, err
	}
	// Checkpoints are read a page of entries at a time.
	window := map[int64][]Checkpoint{}
	var windowEnd int64
	n, _, err := s.walkAudit(ctx, 0, genesisHash, func(e AuditEntry) error {
		if e.Seq > windowEnd {
			windowEnd = e.Seq + auditPage - 1
			page, err := s.storedCheckpoints(ctx, stored, keyID, e.Seq, windowEnd)
			if err != nil {
				return err
			}
			clear(window)
			for _, cp := range append(page, journalRange(mine, e.Seq, windowEnd)...) {
				window[cp.Seq] = append(window[cp.Seq], cp)
			}
		}
		return check(window[e.Seq], e.Seq, e.Hash)
	})
	if err != nil {
		return nil, err
	}
	if n < v.Latest.Seq {
		removed := "entry removed"
		if n+1 < v.Latest.Seq {
			removed = fmt.Sprintf("entries %d to %d removed", n+1, v.Latest.Seq)
		}
		return nil, &AuditBreak{n + 1, fmt.Sprintf("%s: the chain ends at entry %d, but the checkpoint of %s was signed at entry %d",
			removed, n, v.Latest.At.Format(time.RFC3339), v.Latest.Seq)}
	}
	v.Entries = n
	return v, nil
}

// storedCheckpoints is checkpoints when the table exists, else none.
func (s *Store) storedCheckpoints(ctx context.Context, stored bool, keyID string, from, to int64) ([]Checkpoint, error) {
	if !stored {
		return nil, nil
	}
	cps, err := s.checkpoints(ctx, keyID, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: verify audit: %w", err)
	}
	return cps, nil
}

// journalRange returns the checkpoints of cps, sorted by entry, from
// entry from to entry to.
func journalRange(cps []Checkpoint, from, to int64) []Checkpoint {
	bySeq := func(cp Checkpoint, seq int64) int { return cmp.Compare(cp.Seq, seq) }
	i, _ := slices.BinarySearchFunc(cps, from, bySeq)
	j, _ := slices.BinarySearchFunc(cps, to+1, bySeq)
	return cps[i:j]
}
