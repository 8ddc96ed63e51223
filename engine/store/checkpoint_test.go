package store

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func pubOf(key ed25519.PrivateKey) ed25519.PublicKey { return key.Public().(ed25519.PublicKey) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// appendEntries appends n audit entries, numbered on from the chain's end.
func appendEntries(t *testing.T, s *Store, n int) {
	t.Helper()
	for i := range n {
		if err := s.Audit(context.Background(), t0.Add(time.Duration(i)*time.Second), "mod-kim", "case.claimed", fmt.Sprintf("case-%d", i), map[string]any{"queue": "general"}); err != nil {
			t.Fatal(err)
		}
	}
}

// startCheckpoints starts a checkpointer whose rounds never come in a
// test: the tests sign with Checkpoint and Close.
func startCheckpoints(t *testing.T, s *Store, key ed25519.PrivateKey, journal string) *Checkpointer {
	t.Helper()
	w, err := s.StartCheckpoints(context.Background(), CheckpointerConfig{Key: key, Journal: journal, Interval: time.Hour, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(context.Background()) })
	return w
}

func tamperSQL(t *testing.T, s *Store, query string, args ...any) {
	t.Helper()
	if _, err := s.db.ExecContext(context.Background(), s.q(query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// rehash recomputes the hashes of entries from seq on, as someone who
// can write to the database and read this code can.
func rehash(t *testing.T, s *Store, from int64) {
	t.Helper()
	ctx := context.Background()
	prev := genesisHash
	if from > 1 {
		if err := s.db.QueryRowContext(ctx, s.q(`SELECT hash FROM audit_log WHERE seq = ?`), from-1).Scan(&prev); err != nil {
			t.Fatal(err)
		}
	}
	es, err := s.AuditLog(ctx, from-1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		h := auditHash(e.Seq, ms(e.At), e.Actor, e.Action, e.Subject, e.Details, prev)
		tamperSQL(t, s, `UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?`, prev, h, e.Seq)
		prev = h
	}
}

// insertForged renumbers the entries from seq on one up and puts a forged
// entry at seq, linked to the entry before it and hashed as the code
// does: only the entries after it can give it away.
func insertForged(t *testing.T, s *Store, seq int64) {
	t.Helper()
	var prev string
	if err := s.db.QueryRowContext(context.Background(), s.q(`SELECT hash FROM audit_log WHERE seq = ?`), seq-1).Scan(&prev); err != nil {
		t.Fatal(err)
	}
	// Through negative numbers: PostgreSQL checks the key row by row.
	tamperSQL(t, s, `UPDATE audit_log SET seq = -(seq + 1) WHERE seq >= ?`, seq)
	tamperSQL(t, s, `UPDATE audit_log SET seq = -seq WHERE seq < 0`)
	at := ms(t0)
	tamperSQL(t, s, `INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?)`,
		seq, at, "mod-lee", "case.decided", "case-9", "{}", prev, auditHash(seq, at, "mod-lee", "case.decided", "case-9", "{}", prev))
}

func TestVerifyAuditSigned(t *testing.T) {
	for _, tc := range []struct {
		name string
		// tamper changes a log of entries 1 to 6 whose head was signed
		// at entry 5.
		tamper func(t *testing.T, s *Store)
		// unsigned: verify with VerifyAudit too, which must not see it
		// (the weakness the checkpoints cover).
		unsigned bool
		seq      int64  // the entry named, if a break
		problem  string // in the break's text
		noKey    bool   // want ErrNoCheckpoint
		// behind: the tampering is behind the signed head, which the
		// checkpointer does not read again: it signs on, and verify finds
		// the break.
		behind   bool
		wrongKey bool // verify with another key than the one that signed
	}{
		{name: "intact"},
		// Entries not yet signed can go unseen: the next checkpoint signs them.
		{name: "tail after the checkpoint cut off", tamper: func(t *testing.T, s *Store) { tamperSQL(t, s, `DELETE FROM audit_log WHERE seq = 6`) }},
		{name: "tail truncated", tamper: func(t *testing.T, s *Store) { tamperSQL(t, s, `DELETE FROM audit_log WHERE seq >= 4`) },
			unsigned: true, seq: 4, problem: "entries 4 to 5 removed"},
		{name: "table emptied", tamper: func(t *testing.T, s *Store) { tamperSQL(t, s, `DELETE FROM audit_log`) },
			unsigned: true, seq: 1, problem: "entries 1 to 5 removed"},
		{name: "chain recomputed", tamper: func(t *testing.T, s *Store) {
			tamperSQL(t, s, `UPDATE audit_log SET actor = 'mod-nobody' WHERE seq = 2`)
			rehash(t, s, 2)
		}, unsigned: true, seq: 5, problem: "an entry from 1 to 5 was changed and every later hash recomputed"},
		{name: "entry inserted", tamper: func(t *testing.T, s *Store) { insertForged(t, s, 3) },
			seq: 3, problem: "entry inserted: entry 4 was written to follow entry 2"},
		{name: "entry replaced", tamper: func(t *testing.T, s *Store) {
			tamperSQL(t, s, `UPDATE audit_log SET action = 'case.released' WHERE seq = 3`)
			var prev string
			s.db.QueryRow(s.q(`SELECT prev_hash FROM audit_log WHERE seq = 3`)).Scan(&prev)
			e, _ := s.AuditLog(context.Background(), 2, 1)
			tamperSQL(t, s, `UPDATE audit_log SET hash = ? WHERE seq = 3`, auditHash(3, ms(e[0].At), e[0].Actor, e[0].Action, e[0].Subject, e[0].Details, prev))
		}, seq: 3, problem: "entry replaced", behind: true},
		{name: "entry outside the chain", tamper: func(t *testing.T, s *Store) {
			tamperSQL(t, s, `INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash) VALUES (0, 0, '', '', '', '{}', '', '')`)
		}, seq: 0, problem: "outside the chain", behind: true},
		{name: "checkpoint forged", tamper: func(t *testing.T, s *Store) {
			var keyID string
			s.db.QueryRow(`SELECT key_id FROM audit_checkpoints LIMIT 1`).Scan(&keyID)
			tamperSQL(t, s, `INSERT INTO audit_checkpoints (key_id, seq, hash, at, sig) VALUES (?, 9, ?, 0, 'AAAA')`, keyID, genesisHash)
		}, seq: 9, problem: "not signed by it"},
		{name: "checkpoints removed with the tail", tamper: func(t *testing.T, s *Store) {
			tamperSQL(t, s, `DELETE FROM audit_log WHERE seq >= 4`)
			tamperSQL(t, s, `DELETE FROM audit_checkpoints`)
		}, unsigned: true, noKey: true},
		{name: "wrong key", wrongKey: true, noKey: true},
		{name: "attacker's key", tamper: func(t *testing.T, s *Store) {
			tamperSQL(t, s, `DELETE FROM audit_log WHERE seq >= 4`)
			var hash string
			s.db.QueryRow(`SELECT hash FROM audit_log WHERE seq = 3`).Scan(&hash)
			s.saveCheckpoint(context.Background(), SignCheckpoint(newKey(t), 3, hash, t0))
		}, unsigned: true, seq: 4, problem: "entries 4 to 5 removed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backends(t, func(t *testing.T, s *Store) {
				ctx := context.Background()
				key := newKey(t)
				appendEntries(t, s, 5)
				w := startCheckpoints(t, s, key, "")
				appendEntries(t, s, 1)
				if tc.tamper != nil {
					tc.tamper(t, s)
				}
				if tc.unsigned {
					if _, err := s.VerifyAudit(ctx); err != nil {
						t.Fatalf("VerifyAudit saw this: %v", err)
					}
				}
				pub := pubOf(key)
				if tc.wrongKey {
					pub = pubOf(newKey(t))
				}
				v, err := s.VerifyAuditSigned(ctx, pub, nil)
				var br *AuditBreak
				switch {
				case tc.noKey:
					if !errors.Is(err, ErrNoCheckpoint) {
						t.Fatalf("got %+v, %v; want ErrNoCheckpoint", v, err)
					}
				case tc.problem != "":
					if !errors.As(err, &br) || br.Seq != tc.seq || !strings.Contains(br.Problem, tc.problem) {
						t.Fatalf("got %v; want a break at entry %d: %q", err, tc.seq, tc.problem)
					}
					// The checkpointer will not sign over it either.
					if _, _, err := w.Checkpoint(ctx); !tc.behind && !errors.As(err, &br) {
						t.Errorf("checkpointer signed a broken chain: %v", err)
					}
				default:
					if err != nil {
						t.Fatal(err)
					}
					if v.Latest.Seq != 5 || v.Checkpoints != 1 {
						t.Errorf("verified %+v: want the checkpoint at entry 5", v)
					}
				}
			})
		})
	}
}

func TestCheckpointerSignsTheHeadAsItMoves(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		key := newKey(t)
		journal := filepath.Join(t.TempDir(), JournalName)
		w, err := s.StartCheckpoints(ctx, CheckpointerConfig{Key: key, Journal: journal, Interval: 20 * time.Millisecond, Log: quiet})
		if err != nil {
			t.Fatal(err)
		}
		// The empty chain is signed at start.
		v, err := s.VerifyAuditSigned(ctx, pubOf(key), nil)
		if err != nil || v.Latest.Seq != 0 || v.Entries != 0 {
			t.Fatalf("after start: %+v, %v", v, err)
		}
		appendEntries(t, s, 3)
		deadline := time.Now().Add(10 * time.Second)
		for v.Latest.Seq != 3 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
			if v, err = s.VerifyAuditSigned(ctx, pubOf(key), nil); err != nil {
				t.Fatal(err)
			}
		}
		if v.Latest.Seq != 3 {
			t.Fatalf("head not signed within 10s of moving: %+v", v)
		}
		appendEntries(t, s, 2)
		if err := w.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if v, err = s.VerifyAuditSigned(ctx, pubOf(key), nil); err != nil || v.Latest.Seq != 5 || v.Entries != 5 {
			t.Fatalf("after Close: %+v, %v; want the head, entry 5, signed", v, err)
		}
		var n int
		s.db.QueryRow(`SELECT count(*) FROM audit_checkpoints`).Scan(&n)
		cps, skipped, err := ReadJournal(journal)
		if err != nil || skipped != 0 || len(cps) != n || cps[len(cps)-1].Seq != 5 {
			t.Fatalf("journal: %d checkpoints (%d lines skipped), %v; the database holds %d", len(cps), skipped, err, n)
		}

		// With the checkpoints gone from the database, the journal still
		// shows the tail was cut off.
		tamperSQL(t, s, `DELETE FROM audit_log WHERE seq >= 4`)
		tamperSQL(t, s, `DELETE FROM audit_checkpoints`)
		var br *AuditBreak
		if _, err := s.VerifyAuditSigned(ctx, pubOf(key), cps); !errors.As(err, &br) || br.Seq != 4 {
			t.Errorf("truncated log, checkpoints removed from the database, checked with the journal: %v", err)
		}
		// A restarted checkpointer reads the journal and will not sign
		// the shorter chain.
		if _, err := s.StartCheckpoints(ctx, CheckpointerConfig{Key: key, Journal: journal, Interval: time.Hour, Log: quiet}); err != nil {
			t.Fatal(err)
		}
		s.db.QueryRow(`SELECT count(*) FROM audit_checkpoints`).Scan(&n)
		if n != 0 {
			t.Errorf("a checkpointer signed a truncated chain: %d checkpoints", n)
		}
	})
}

func TestCheckpointersShareAKey(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		key := newKey(t)
		appendEntries(t, s, 2)
		var ws []*Checkpointer
		for range 3 {
			ws = append(ws, startCheckpoints(t, s, key, ""))
		}
		var wg sync.WaitGroup
		for i, w := range ws {
			wg.Go(func() {
				for range 5 {
					if err := s.Audit(ctx, t0, fmt.Sprintf("mod-%d", i), "case.claimed", "case-1", nil); err != nil {
						t.Error(err)
					}
					if _, _, err := w.Checkpoint(ctx); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		v, err := s.VerifyAuditSigned(ctx, pubOf(key), nil)
		if err != nil || v.Entries != 17 {
			t.Fatalf("%+v, %v", v, err)
		}
	})
}

func TestAuditKeyFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys", KeyFileName)
	key, created, err := LoadOrCreateAuditKey(path)
	if err != nil || !created {
		t.Fatalf("first load: created %v, %v", created, err)
	}
	for file, mode := range map[string]os.FileMode{path: 0o600, filepath.Join(dir, "keys", PublicKeyFileName): 0o644} {
		if st, err := os.Stat(file); err != nil || st.Mode().Perm() != mode {
			t.Errorf("%s: %v, %v; want mode %04o", file, st.Mode(), err, mode)
		}
	}
	again, created, err := LoadOrCreateAuditKey(path)
	if err != nil || created || !again.Equal(key) {
		t.Errorf("second load: created %v, same key %v, %v", created, again.Equal(key), err)
	}
	pub, err := ReadAuditPublicKey(PublicKeyPath(path))
	if err != nil || !pub.Equal(pubOf(key)) {
		t.Errorf("public key beside it: %v", err)
	}

	// Processes starting together end up with one key.
	racePath := filepath.Join(dir, "race", KeyFileName)
	keys := make([]ed25519.PrivateKey, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, _, err := LoadOrCreateAuditKey(racePath)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if !k.Equal(keys[0]) {
			t.Fatal("processes starting together made different keys")
		}
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, "race", ".audit-*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}

	os.Chmod(path, 0o644)
	if _, _, err := LoadOrCreateAuditKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a key anyone may read was accepted: %v", err)
	}
	os.Chmod(path, 0o600)
	other, _, _ := LoadOrCreateAuditKey(filepath.Join(dir, "other", KeyFileName))
	if err := os.Rename(PublicKeyPath(filepath.Join(dir, "other", KeyFileName)), PublicKeyPath(path)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateAuditKey(path); err == nil || !strings.Contains(err.Error(), KeyID(pubOf(other))) {
		t.Errorf("a public key of another key beside it was accepted: %v", err)
	}
	if _, err := ReadAuditPublicKey(filepath.Join(dir, "nope.pub")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing public key: %v", err)
	}
}
