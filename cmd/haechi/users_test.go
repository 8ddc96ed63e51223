package main

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/haechi-tns/haechi/engine/store"
)

// TestUsersCommandRoundTrip adds, lists, resets, re-roles and disables
// accounts with haechi users and signs in with what it printed.
func TestUsersCommandRoundTrip(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	signIn := func(t *testing.T, name, password, code string) (*store.User, error) {
		t.Helper()
		st, err := store.OpenSQLite(ctx, filepath.Join(dir, store.FileName))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		return st.Authenticate(ctx, name, password, code, "127.0.0.1", time.Now())
	}

	out, errOut, err := run(t, "", "users", "add", "--data-dir", dir, "--role", "moderator", "--role", "counsellor", "--display-name", "김 모더", "Kim")
	if err != nil {
		t.Fatalf("add: %v (%s)", err, errOut)
	}
	password := strings.TrimSpace(out)
	if len(password) != 26 || strings.Contains(errOut, password) || !strings.Contains(errOut, "not shown again") {
		t.Fatalf("add printed %q to stdout and %q to stderr: want the password on stdout only", out, errOut)
	}
	if u, err := signIn(t, "kim", password, ""); err != nil || u.DisplayName != "김 모더" || !u.PasswordChangeRequired {
		t.Fatalf("sign in with the printed password: %+v, %v", u, err)
	}

	const chosen = "a password read from stdin"
	out, _, err = run(t, chosen+"\n", "users", "add", "--data-dir", dir, "--role", "admin", "--password-stdin", "root")
	if err != nil || out != "" {
		t.Fatalf("add --password-stdin: %q, %v; want nothing on stdout", out, err)
	}
	if _, err := signIn(t, "root", chosen, ""); !errors.Is(err, store.ErrTOTPEnrollmentRequired) {
		t.Errorf("admin without TOTP: %v, want ErrTOTPEnrollmentRequired", err)
	}
	if _, _, err := run(t, "", "users", "add", "--data-dir", dir, "--role", "moderator", "kim"); !errors.Is(err, store.ErrNameTaken) {
		t.Errorf("adding kim again: %v", err)
	}
	if _, _, err := run(t, "", "users", "add", "--data-dir", dir, "--role", "wizard", "lee"); !errors.Is(err, store.ErrInvalidUser) {
		t.Errorf("unknown role: %v", err)
	}

	list, _, err := run(t, "", "users", "list", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(list), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "kim ") || !strings.Contains(lines[1], "counsellor,moderator") ||
		!strings.HasPrefix(lines[2], "root ") || !strings.Contains(lines[2], "needs-totp") {
		t.Errorf("list:\n%s", list)
	}
	if strings.Contains(list, password) || strings.Contains(list, chosen) || strings.Contains(list, "argon2") {
		t.Errorf("list shows a password or hash:\n%s", list)
	}

	t.Run("enroll-totp", func(t *testing.T) {
		out, _, err := run(t, "", "users", "enroll-totp", "--data-dir", dir, "root")
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Split(strings.TrimSpace(out), "\n")
		if len(got) != 2 || !strings.HasPrefix(got[0], "otpauth://totp/Haechi:root?") {
			t.Fatalf("enroll-totp printed %q", out)
		}
		key, err := otp.NewKeyFromURL(got[0])
		if err != nil || key.Secret() != got[1] {
			t.Fatalf("URL %s and secret %s disagree: %v", got[0], got[1], err)
		}
		now := time.Now()
		code, err := totp.GenerateCode(got[1], now)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := run(t, "000000\n", "users", "confirm-totp", "--data-dir", dir, "root"); err == nil {
			t.Error("confirm-totp accepted a wrong code")
		}
		if _, _, err := run(t, code+"\n", "users", "confirm-totp", "--data-dir", dir, "root"); err != nil {
			t.Fatal(err)
		}
		next, _ := totp.GenerateCode(got[1], now.Add(30*time.Second))
		if u, err := signIn(t, "root", chosen, next); err != nil || !u.TOTPEnabled {
			t.Errorf("sign in with a code: %+v, %v", u, err)
		}
	})

	out, errOut, err = run(t, "", "users", "reset-password", "--data-dir", dir, "KIM")
	if err != nil {
		t.Fatalf("reset-password: %v", err)
	}
	reset := strings.TrimSpace(out)
	if len(reset) != 26 || reset == password || strings.Contains(errOut, reset) {
		t.Fatalf("reset-password printed %q, %q", out, errOut)
	}
	if _, err := signIn(t, "kim", password, ""); !errors.Is(err, store.ErrBadCredentials) {
		t.Errorf("old password after reset: %v", err)
	}
	if _, err := signIn(t, "kim", reset, ""); err != nil {
		t.Errorf("new password: %v", err)
	}

	if _, _, err := run(t, "", "users", "set-role", "--data-dir", dir, "--role", "appeals", "kim"); err != nil {
		t.Fatal(err)
	}
	if u, err := signIn(t, "kim", reset, ""); err != nil || len(u.Roles) != 1 || !u.Has(store.RoleAppeals) {
		t.Errorf("after set-role: %+v, %v", u, err)
	}

	if _, _, err := run(t, "", "users", "disable", "--data-dir", dir, "kim"); err != nil {
		t.Fatal(err)
	}
	if _, err := signIn(t, "kim", reset, ""); !errors.Is(err, store.ErrBadCredentials) {
		t.Errorf("disabled account: %v, want ErrBadCredentials", err)
	}
	list, _, _ = run(t, "", "users", "list", "--data-dir", dir)
	if !strings.Contains(list, "disabled") {
		t.Errorf("list after disable:\n%s", list)
	}
	if _, _, err := run(t, "", "users", "enable", "--data-dir", dir, "kim"); err != nil {
		t.Fatal(err)
	}
	if _, err := signIn(t, "kim", reset, ""); err != nil {
		t.Errorf("enabled again: %v", err)
	}

	if _, _, err := run(t, "", "users", "disable", "--data-dir", dir, "nobody"); err == nil || !strings.Contains(err.Error(), `no account named "nobody"`) {
		t.Errorf("disable nobody: %v", err)
	}
	if _, _, err := run(t, "", "users", "disable", "--data-dir", dir); err == nil {
		t.Error("disable without a name succeeded")
	}
	if _, _, err := run(t, "", "users", "add", "--data-dir", dir, "--role", "moderator", "--password-stdin", "lee"); err == nil {
		t.Error("--password-stdin with nothing on stdin succeeded")
	}

	// The audit log names the operator and holds no password.
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	entries, err := st.AuditLog(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	created := 0
	for _, e := range entries {
		if e.Action == "user.created" {
			created++
			if !strings.HasPrefix(e.Actor, "cli") {
				t.Errorf("created by %q, want cli:<login>", e.Actor)
			}
		}
		for _, secret := range []string{password, chosen, reset} {
			if strings.Contains(e.Details, secret) {
				t.Errorf("audit entry %d holds a password", e.Seq)
			}
		}
	}
	if created != 2 {
		t.Errorf("%d user.created entries, want 2", created)
	}
}
