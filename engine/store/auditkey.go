package store

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The audit signing key is an Ed25519 key in a PEM file (PKCS #8, as
// openssl genpkey -algorithm ed25519 writes it), kept outside the
// database: by default under the data directory, where the database
// cannot reach it; instances sharing a PostgreSQL database are given the
// same key file. Its public half, which is all verifying needs, is kept
// beside it (PKIX PEM).

// KeyFileName and PublicKeyFileName are the key files' names in the data
// directory.
const (
	KeyFileName       = "audit-signing.key"
	PublicKeyFileName = "audit-signing.pub"
)

// PublicKeyPath is where the public half of the key at keyPath is kept:
// beside it, .key replaced by .pub.
func PublicKeyPath(keyPath string) string {
	return strings.TrimSuffix(keyPath, ".key") + ".pub"
}

// LoadOrCreateAuditKey reads the signing key at path, or, if there is no
// file there, creates one (mode 0600, its folder too) and returns created
// true. Processes starting together get one key: the file is linked into
// place whole, and whoever loses the race reads the winner's. The public
// key is written beside it if it is missing; one that does not match the
// key is an error, since checkpoints would then be verified with it in
// vain. A key file others may read or write is refused.
func LoadOrCreateAuditKey(path string) (key ed25519.PrivateKey, created bool, err error) {
	key, err = readAuditKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		if created, err = createAuditKey(path); err == nil {
			key, err = readAuditKey(path)
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("audit key: %w", err)
	}
	if err := ensurePublicKey(PublicKeyPath(path), key.Public().(ed25519.PublicKey)); err != nil {
		return nil, false, fmt.Errorf("audit key: %w", err)
	}
	return key, created, nil
}

func readAuditKey(path string) (ed25519.PrivateKey, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o007 != 0 {
		return nil, fmt.Errorf("%s may be read or written by anyone (mode %04o): chmod 600 it", path, st.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s is not a PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s is a %T, not an Ed25519 key", path, k)
	}
	return key, nil
}

// createAuditKey writes a new key to path unless a file is there already.
func createAuditKey(path string) (bool, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return false, err
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return false, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return false, err
	}
	tmp, err := os.CreateTemp(dir, ".audit-key-*") // mode 0600
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp.Name())
	if err := pem.Encode(tmp, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	// A link, unlike a rename, never replaces a key already there.
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return true, nil
}

func encodePublicKey(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ensurePublicKey writes pub to path if nothing is there, and checks it
// is pub otherwise.
func ensurePublicKey(path string, pub ed25519.PublicKey) error {
	want, err := encodePublicKey(pub)
	if err != nil {
		return err
	}
	have, err := ReadAuditPublicKey(path)
	switch {
	case err == nil && have.Equal(pub):
		return nil
	case err == nil:
		return fmt.Errorf("%s is the public key %s, not that of the signing key (%s)", path, KeyID(have), KeyID(pub))
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".audit-pub-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(want)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// Every writer writes the same bytes: a rename over another's is harmless.
	return os.Rename(tmp.Name(), path)
}

// ReadAuditPublicKey reads a public key written beside a signing key.
// A missing file is an error matching fs.ErrNotExist.
func ReadAuditPublicKey(path string) (ed25519.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("%s is not a PEM public key", path)
	}
	k, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%s is a %T, not an Ed25519 key", path, k)
	}
	return pub, nil
}
