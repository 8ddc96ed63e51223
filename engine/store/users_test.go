package store

import (
	"context"
	"errors"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/haechi-tns/haechi/internal/racetest"
)

const testPassword = "correct horse battery staple"

// Tests hash with cheap parameters: the defaults take a third of a second
// a hash under the race detector, and these tests hash hundreds of times.
// TestPasswordHashFormatAndVerify and TestPasswordHashCost use the
// defaults.
func init() { UseTestPasswordCost() }

var (
	phcFormat = regexp.MustCompile(`^\$argon2id\$v=19\$m=65536,t=3,p=[1-8]\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	phcAny    = regexp.MustCompile(`^\$argon2id\$v=19\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
)

func TestPasswordHashFormatAndVerify(t *testing.T) {
	racetest.Heavy(t)
	ctx := context.Background()
	h, err := hashPassword(ctx, testPassword, defaultPasswordParams)
	if err != nil {
		t.Fatal(err)
	}
	if !phcFormat.MatchString(h) {
		t.Fatalf("hash %q is not $argon2id$v=19$m=65536,t=3,p=N$<16-byte salt>$<32-byte key>", h)
	}
	if again, _ := hashPassword(ctx, testPassword, defaultPasswordParams); again == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	for _, tc := range []struct {
		name, password string
		ok             bool
	}{
		{"right", testPassword, true},
		{"wrong", testPassword + "!", false},
		{"case", strings.ToUpper(testPassword), false},
		{"empty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, stale, err := verifyPassword(ctx, h, tc.password)
			if err != nil || ok != tc.ok || stale {
				t.Errorf("verify = %v, stale %v, %v; want %v, not stale", ok, stale, err, tc.ok)
			}
		})
	}
	t.Run("parameters read from the hash", func(t *testing.T) {
		weak := argonParams{time: 1, memory: 512, threads: 1}
		old, err := hashPassword(ctx, testPassword, weak)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(old, "$argon2id$v=19$m=512,t=1,p=1$") {
			t.Fatalf("hash %q", old)
		}
		ok, stale, err := verifyPassword(ctx, old, testPassword)
		if !ok || !stale || err != nil {
			t.Errorf("verify = %v, stale %v, %v; want true and stale", ok, stale, err)
		}
	})
	t.Run("re-hashed at sign-in when the parameters rose", func(t *testing.T) {
		backends(t, func(t *testing.T, s *Store) {
			in := passwordParams
			defer func() { passwordParams = in }()
			passwordParams = argonParams{time: 1, memory: 512, threads: 1}
			u := mustUser(t, s, "mod-kim", RoleModerator)
			passwordParams = argonParams{time: 2, memory: 1024, threads: 1}
			if _, err := s.Authenticate(ctx, "mod-kim", testPassword, "", "192.0.2.1", t0); err != nil {
				t.Fatal(err)
			}
			var stored string
			if err := s.db.QueryRowContext(ctx, s.q(`SELECT password_hash FROM users WHERE user_id = ?`), u.ID).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(stored, "$argon2id$v=19$m=1024,t=2,p=1$") {
				t.Errorf("stored %s, want it made again with m=1024,t=2", stored)
			}
			if _, err := s.Authenticate(ctx, "mod-kim", testPassword, "", "192.0.2.1", t0); err != nil {
				t.Errorf("with the new hash: %v", err)
			}
		})
	})
	t.Run("malformed", func(t *testing.T) {
		parts := strings.Split(h, "$")
		for name, bad := range map[string]string{
			"empty":          "",
			"argon2i":        strings.Replace(h, "$argon2id$", "$argon2i$", 1),
			"version":        strings.Replace(h, "v=19", "v=16", 1),
			"huge memory":    strings.Replace(h, "m=65536", "m=4194304", 1),
			"huge time":      strings.Replace(h, "t=3", "t=100", 1),
			"no threads":     strings.Replace(h, ",p="+parts[3][strings.LastIndex(parts[3], "=")+1:], ",p=0", 1),
			"padded params":  strings.Replace(h, "t=3", "t=03", 1),
			"short salt":     strings.Join(append(slices.Clone(parts[:4]), "AAAA", parts[5]), "$"),
			"missing key":    strings.Join(parts[:5], "$"),
			"bad key base64": strings.Join(append(slices.Clone(parts[:5]), "!!!!"), "$"),
		} {
			if ok, _, err := verifyPassword(ctx, bad, testPassword); err == nil || ok {
				t.Errorf("%s: verify(%q) = %v, %v; want an error", name, bad, ok, err)
			}
		}
	})
}

// TestPasswordHashCost measures one hash with passwordParams: run with -v
// to see the figures.
func TestPasswordHashCost(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	const n = 3
	for range n {
		if _, err := hashPassword(context.Background(), testPassword, defaultPasswordParams); err != nil {
			t.Fatal(err)
		}
	}
	took := time.Since(start) / n
	runtime.ReadMemStats(&after)
	p := defaultPasswordParams
	t.Logf("argon2id m=%d KiB t=%d p=%d: %v and %d MiB allocated per hash (GOMAXPROCS %d)",
		p.memory, p.time, p.threads, took, (after.TotalAlloc-before.TotalAlloc)/n>>20, runtime.GOMAXPROCS(0))
}

func TestPasswordRules(t *testing.T) {
	for _, tc := range []struct {
		name, password string
		ok             bool
	}{
		{"11 characters", strings.Repeat("a", 11), false},
		{"12 characters", strings.Repeat("a", 12), true},
		{"12 Hangul syllables", strings.Repeat("비", 12), true},
		{"256 characters", strings.Repeat("a", 256), true},
		{"257 characters", strings.Repeat("a", 257), false},
		{"256 Hangul syllables", strings.Repeat("밀", 256), true},
		{"a megabyte", strings.Repeat("a", 1<<20), false},
		{"invalid UTF-8", strings.Repeat("a", 12) + "\xff", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := normalizePassword(tc.password)
			if (err == nil) != tc.ok {
				t.Errorf("normalizePassword: %v, want ok %v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidUser) {
				t.Errorf("error %v is not ErrInvalidUser", err)
			}
		})
	}
	t.Run("NFKC", func(t *testing.T) {
		// Full-width letters and a decomposed syllable are the same password.
		a, _ := normalizePassword("ｃｏｒｒｅｃｔ ｈｏｒｓｅ 한")
		b, _ := normalizePassword("correct horse \u1112\u1161\u11ab")
		if a != b || a != "correct horse 한" {
			t.Errorf("%q and %q differ", a, b)
		}
	})
}

func TestUserCreateAndRead(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		u, err := s.CreateUser(ctx, "  Kim.Mod ", "김 모더", []string{RoleModerator, RoleCounsellor, RoleModerator}, testPassword, "cli:root", t0)
		if err != nil {
			t.Fatal(err)
		}
		if u.Name != "kim.mod" || u.DisplayName != "김 모더" || !slices.Equal(u.Roles, []string{RoleCounsellor, RoleModerator}) ||
			!u.PasswordChangeRequired || u.TOTPEnabled || u.Disabled || !u.CreatedAt.Equal(t0) {
			t.Errorf("created %+v", u)
		}
		if m := u.Moderator(); m.ID != u.ID || !m.CanWork(QueueYouthSafety) || m.CanWork(QueueSenior) {
			t.Errorf("moderator %+v", m)
		}
		for _, name := range []string{"kim.mod", "KIM.MOD"} {
			got, err := s.UserByName(ctx, name)
			if err != nil || got.ID != u.ID {
				t.Errorf("UserByName(%q) = %+v, %v", name, got, err)
			}
		}
		if got, err := s.UserByID(ctx, u.ID); err != nil || got.Name != u.Name || !slices.Equal(got.Roles, u.Roles) {
			t.Errorf("UserByID = %+v, %v", got, err)
		}
		if _, err := s.UserByID(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
			t.Errorf("UserByID(nobody): %v, want ErrNotFound", err)
		}
		if _, err := s.CreateUser(ctx, "KIM.mod", "", []string{RoleModerator}, testPassword, "cli:root", t0); !errors.Is(err, ErrNameTaken) {
			t.Errorf("same name again: %v, want ErrNameTaken", err)
		}
		for name, tc := range map[string]struct {
			name, display string
			roles         []string
			password      string
		}{
			"short name":      {"ab", "", []string{RoleModerator}, testPassword},
			"long name":       {strings.Repeat("a", 65), "", []string{RoleModerator}, testPassword},
			"space in name":   {"kim lee", "", []string{RoleModerator}, testPassword},
			"Hangul name":     {"김모더", "", []string{RoleModerator}, testPassword},
			"no role":         {"lee", "", nil, testPassword},
			"unknown role":    {"lee", "", []string{"root"}, testPassword},
			"short password":  {"lee", "", []string{RoleModerator}, "short"},
			"control display": {"lee", "a\x00b", []string{RoleModerator}, testPassword},
		} {
			if _, err := s.CreateUser(ctx, tc.name, tc.display, tc.roles, tc.password, "cli:root", t0); !errors.Is(err, ErrInvalidUser) {
				t.Errorf("%s: %v, want ErrInvalidUser", name, err)
			}
		}
		if _, err := s.CreateUser(ctx, "admin-1", "", []string{RoleAdmin}, testPassword, "cli:root", t0.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		users, err := s.Users(ctx)
		if err != nil || len(users) != 2 || users[0].Name != "admin-1" || users[1].Name != "kim.mod" || users[1].DisplayName != "김 모더" {
			t.Errorf("Users = %+v, %v", users, err)
		}
		if !users[0].TOTPRequired() || !users[0].NeedsTOTPEnrollment() || users[1].TOTPRequired() {
			t.Errorf("TOTP required: admin %v, moderator %v", users[0].TOTPRequired(), users[1].TOTPRequired())
		}

		var stored string
		if err := s.db.QueryRowContext(ctx, s.q(`SELECT password_hash FROM users WHERE user_id = ?`), u.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if !phcAny.MatchString(stored) || strings.Contains(stored, testPassword) {
			t.Errorf("stored password %q: want only its argon2id hash", stored)
		}
		entries := auditOf(t, s, "user.created")
		if len(entries) != 2 || entries[0].Actor != "cli:root" || entries[0].Subject != "user:"+u.ID || !strings.Contains(entries[0].Details, `"kim.mod"`) {
			t.Errorf("audit entries %+v", entries)
		}
		noSecretsInAudit(t, s, testPassword)
	})
}

// auditOf returns the audit entries with the action.
func auditOf(t *testing.T, s *Store, action string) []AuditEntry {
	t.Helper()
	all, err := s.AuditLog(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(all, func(e AuditEntry) bool { return e.Action != action })
}

// noSecretsInAudit fails if any audit entry holds one of secrets.
func noSecretsInAudit(t *testing.T, s *Store, secrets ...string) {
	t.Helper()
	all, err := s.AuditLog(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range all {
		for _, secret := range secrets {
			if secret != "" && strings.Contains(e.Actor+e.Subject+e.Details, secret) {
				t.Errorf("audit entry %d (%s) holds a secret: %s", e.Seq, e.Action, e.Details)
			}
		}
	}
}

func TestAuthenticateWrongUnknownDisabledAlike(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		mod := mustUser(t, s, "mod-kim", RoleModerator)
		gone := mustUser(t, s, "mod-gone", RoleModerator)
		if err := s.DisableUser(ctx, gone.ID, "admin-1", t0); err != nil {
			t.Fatal(err)
		}
		got, err := s.Authenticate(ctx, "MOD-KIM", testPassword, "", "192.0.2.1", t0)
		if err != nil || got.ID != mod.ID || !got.LastSignIn.Equal(t0) {
			t.Fatalf("right password: %+v, %v", got, err)
		}
		var messages []string
		for _, tc := range []struct{ name, user, password string }{
			{"wrong password", "mod-kim", testPassword + "?"},
			{"unknown user", "mod-nobody", testPassword},
			{"disabled user", "mod-gone", testPassword},
			{"overlong password", "mod-kim", strings.Repeat("x", 300)},
			{"invalid name", "<script>", testPassword},
		} {
			t.Run(tc.name, func(t *testing.T) {
				u, err := s.Authenticate(ctx, tc.user, tc.password, "", "192.0.2.1", t0)
				if u != nil || !errors.Is(err, ErrBadCredentials) {
					t.Fatalf("Authenticate = %+v, %v; want ErrBadCredentials", u, err)
				}
				messages = append(messages, err.Error())
			})
		}
		if len(slices.Compact(slices.Clone(messages))) != 1 {
			t.Errorf("the errors differ: %q", messages)
		}
		failed := auditOf(t, s, "user.sign_in_failed")
		if len(failed) != 5 {
			t.Fatalf("%d sign_in_failed entries, want 5", len(failed))
		}
		if failed[1].Subject != "user:unknown" || strings.Contains(failed[1].Details, "mod-nobody") || !strings.Contains(failed[1].Details, `"reason":"unknown_name"`) {
			t.Errorf("unknown name audited as %+v", failed[1])
		}
		if failed[2].Subject != "user:"+gone.ID || !strings.Contains(failed[2].Details, `"reason":"disabled"`) || !strings.Contains(failed[2].Details, "192.0.2.1") {
			t.Errorf("disabled user audited as %+v", failed[2])
		}
		if len(auditOf(t, s, "user.signed_in")) != 1 {
			t.Error("the sign-in is not audited")
		}
		noSecretsInAudit(t, s, testPassword, strings.Repeat("x", 300))
	})
}

func mustUser(t *testing.T, s *Store, name string, roles ...string) *User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), name, "", roles, testPassword, "cli:test", t0)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestAuthenticateLockout(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		mustUser(t, s, "mod-kim", RoleModerator)
		for _, name := range []string{"mod-kim", "mod-nobody"} {
			t.Run(name, func(t *testing.T) {
				now := t0
				// One failure long ago does not count towards the lock.
				if _, err := s.Authenticate(ctx, name, "wrong password!", "", "192.0.2.9", now.Add(-LockoutWindow-time.Second)); !errors.Is(err, ErrBadCredentials) {
					t.Fatal(err)
				}
				for i := 1; i < LockoutFailures; i++ {
					now = t0.Add(time.Duration(i) * time.Minute)
					if _, err := s.Authenticate(ctx, name, "wrong password!", "", "192.0.2.9", now); !errors.Is(err, ErrBadCredentials) || errors.Is(err, ErrLockedOut) {
						t.Fatalf("failure %d: %v, want ErrBadCredentials", i, err)
					}
				}
				now = now.Add(time.Minute)
				_, err := s.Authenticate(ctx, name, "wrong password!", "", "192.0.2.9", now)
				var locked *LockedOutError
				if !errors.As(err, &locked) || !errors.Is(err, ErrLockedOut) || !locked.Until.Equal(now.Add(LockoutDuration)) {
					t.Fatalf("failure %d: %v, want locked out until %v", LockoutFailures, err, now.Add(LockoutDuration))
				}
				// The right password does not get in while the lock holds.
				if _, err := s.Authenticate(ctx, name, testPassword, "", "192.0.2.10", locked.Until.Add(-time.Millisecond)); !errors.Is(err, ErrLockedOut) {
					t.Fatalf("right password while locked: %v, want ErrLockedOut", err)
				}
				after := locked.Until
				if name == "mod-nobody" {
					if _, err := s.Authenticate(ctx, name, testPassword, "", "192.0.2.10", after); !errors.Is(err, ErrBadCredentials) || errors.Is(err, ErrLockedOut) {
						t.Fatalf("after the lock: %v, want ErrBadCredentials", err)
					}
					return
				}
				if u, err := s.Authenticate(ctx, name, testPassword, "", "192.0.2.10", after); err != nil || u.Name != name {
					t.Fatalf("after the lock: %+v, %v", u, err)
				}
			})
		}
		locks := auditOf(t, s, "user.locked_out")
		if len(locks) != 2 || !strings.HasPrefix(locks[0].Subject, "user:") || locks[1].Subject != "user:unknown" {
			t.Errorf("lockouts audited as %+v", locks)
		}
		noSecretsInAudit(t, s, testPassword, "wrong password!")
	})
}

func TestLockoutLiftedByPasswordReset(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		u := mustUser(t, s, "mod-kim", RoleModerator)
		for range LockoutFailures {
			s.Authenticate(ctx, "mod-kim", "wrong password!", "", "192.0.2.9", t0)
		}
		if _, err := s.Authenticate(ctx, "mod-kim", testPassword, "", "192.0.2.9", t0); !errors.Is(err, ErrLockedOut) {
			t.Fatalf("%v, want ErrLockedOut", err)
		}
		const newPassword = "a brand new password"
		if err := s.ResetPassword(ctx, u.ID, newPassword, "admin-1", t0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "mod-kim", testPassword, "", "192.0.2.9", t0); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("old password: %v, want ErrBadCredentials", err)
		}
		got, err := s.Authenticate(ctx, "mod-kim", newPassword, "", "192.0.2.9", t0)
		if err != nil || !got.PasswordChangeRequired {
			t.Fatalf("new password: %+v, %v; want in, with a password change required", got, err)
		}
		if err := s.ChangePassword(ctx, u.ID, "not the password", "my own password now", "192.0.2.9", t0); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("change with a wrong password: %v", err)
		}
		if err := s.ChangePassword(ctx, u.ID, newPassword, "short", "192.0.2.9", t0); !errors.Is(err, ErrInvalidUser) {
			t.Errorf("change to a short password: %v", err)
		}
		if err := s.ChangePassword(ctx, u.ID, newPassword, "my own password now", "192.0.2.9", t0); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Authenticate(ctx, "mod-kim", "my own password now", "", "192.0.2.9", t0); err != nil || got.PasswordChangeRequired {
			t.Errorf("after the change: %+v, %v", got, err)
		}
		if e := auditOf(t, s, "user.password_reset"); len(e) != 1 || e[0].Actor != "admin-1" {
			t.Errorf("reset audited as %+v", e)
		}
		if e := auditOf(t, s, "user.password_changed"); len(e) != 1 || e[0].Actor != u.ID {
			t.Errorf("change audited as %+v", e)
		}
		noSecretsInAudit(t, s, testPassword, newPassword, "my own password now", "not the password")
	})
}

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTOTP(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for _, role := range []string{RoleAdmin, RoleSenior} {
			t.Run("required for "+role, func(t *testing.T) {
				u := mustUser(t, s, "needs-"+role, role, RoleModerator)
				got, err := s.Authenticate(ctx, u.Name, testPassword, "", "192.0.2.1", t0)
				if !errors.Is(err, ErrTOTPEnrollmentRequired) || got == nil || got.ID != u.ID || !got.NeedsTOTPEnrollment() {
					t.Errorf("without an authenticator: %+v, %v; want the user and ErrTOTPEnrollmentRequired", got, err)
				}
				// A wrong password says nothing about enrolment.
				if _, err := s.Authenticate(ctx, u.Name, "wrong password!", "", "192.0.2.1", t0); !errors.Is(err, ErrBadCredentials) {
					t.Errorf("wrong password: %v", err)
				}
			})
		}
		t.Run("not required for a moderator", func(t *testing.T) {
			mustUser(t, s, "plain-mod", RoleModerator, RoleCounsellor, RoleAppeals, RoleOperator)
			if _, err := s.Authenticate(ctx, "plain-mod", testPassword, "", "192.0.2.1", t0); err != nil {
				t.Error(err)
			}
		})

		admin := mustUser(t, s, "root-admin", RoleAdmin)
		now := t0.Add(time.Hour)
		secret, url, err := s.EnrollTOTP(ctx, admin.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		key, err := otp.NewKeyFromURL(url)
		if err != nil {
			t.Fatal(err)
		}
		if key.Secret() != secret || key.Issuer() != "Haechi" || key.AccountName() != "root-admin" || key.Period() != 30 ||
			key.Digits() != otp.DigitsSix || key.Algorithm() != otp.AlgorithmSHA1 || len(secret) != 32 {
			t.Errorf("otpauth URL %s", url)
		}
		// Pending until confirmed.
		if _, err := s.Authenticate(ctx, "root-admin", testPassword, "", "192.0.2.1", now); !errors.Is(err, ErrTOTPEnrollmentRequired) {
			t.Errorf("pending enrolment: %v, want ErrTOTPEnrollmentRequired", err)
		}
		if err := s.ConfirmTOTP(ctx, admin.ID, "000000", now); !errors.Is(err, ErrBadTOTPCode) {
			t.Errorf("confirm with a wrong code: %v", err)
		}
		confirmCode := code(t, secret, now)
		if err := s.ConfirmTOTP(ctx, admin.ID, confirmCode, now); err != nil {
			t.Fatal(err)
		}
		if u, _ := s.UserByID(ctx, admin.ID); !u.TOTPEnabled || u.NeedsTOTPEnrollment() {
			t.Errorf("after confirming: %+v", u)
		}
		if e := auditOf(t, s, "user.totp_enrolled"); len(e) != 1 || e[0].Actor != admin.ID {
			t.Errorf("enrolment audited as %+v", e)
		}

		for _, tc := range []struct {
			name, code string
			at         time.Time
			want       error
		}{
			{"no code", "", now, ErrTOTPRequired},
			{"the confirming code again", confirmCode, now, ErrTOTPRequired},
			{"wrong code", "123456", now.Add(30 * time.Second), ErrTOTPRequired},
			{"letters", "abcdef", now.Add(30 * time.Second), ErrTOTPRequired},
			{"two steps old", code(t, secret, now.Add(-30*time.Second)), now.Add(60 * time.Second), ErrTOTPRequired},
			{"one step old", code(t, secret, now.Add(30*time.Second)), now.Add(60 * time.Second), nil},
			{"replayed", code(t, secret, now.Add(30*time.Second)), now.Add(60 * time.Second), ErrTOTPRequired},
			{"one step ahead, with spaces", spaced(code(t, secret, now.Add(120*time.Second))), now.Add(90 * time.Second), nil},
			{"replayed a step later", code(t, secret, now.Add(120*time.Second)), now.Add(120 * time.Second), ErrTOTPRequired},
			{"the next", code(t, secret, now.Add(150*time.Second)), now.Add(150 * time.Second), nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				u, err := s.Authenticate(ctx, "root-admin", testPassword, tc.code, "192.0.2.1", tc.at)
				if !errors.Is(err, tc.want) || (tc.want == nil) != (u != nil) {
					t.Errorf("Authenticate = %+v, %v; want %v", u, err, tc.want)
				}
			})
		}
		failed := auditOf(t, s, "user.sign_in_failed")
		var reasons []string
		for _, e := range failed {
			if e.Subject == "user:"+admin.ID {
				reasons = append(reasons, e.Details)
			}
		}
		// No code is not a failure; the six bad codes are.
		if len(reasons) != 6 {
			t.Errorf("%d failures audited, want 6: %q", len(reasons), reasons)
		}
		noSecretsInAudit(t, s, testPassword, secret, confirmCode, code(t, secret, now.Add(30*time.Second)))
	})
}

func spaced(c string) string { return c[:3] + " " + c[3:] }

func TestTOTPCodesLockOut(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		u := mustUser(t, s, "senior-lee", RoleSenior)
		secret, _, err := s.EnrollTOTP(ctx, u.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ConfirmTOTP(ctx, u.ID, code(t, secret, t0), t0); err != nil {
			t.Fatal(err)
		}
		var err5 error
		for i := range LockoutFailures {
			_, err5 = s.Authenticate(ctx, "senior-lee", testPassword, "999999", "192.0.2.1", t0.Add(time.Duration(i)*time.Second))
		}
		if !errors.Is(err5, ErrLockedOut) {
			t.Errorf("fifth wrong code: %v, want ErrLockedOut", err5)
		}
	})
}

func TestSetRolesAndDisable(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		admin := mustUser(t, s, "admin-1", RoleAdmin)
		mod := mustUser(t, s, "mod-kim", RoleModerator)
		se, err := s.CreateSession(ctx, mod.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		// Setting roles without granting one keeps the session.
		if err := s.SetRoles(ctx, mod.ID, []string{RoleModerator, RoleModerator}, admin.ID, t0); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionByToken(ctx, se.Token, t0); err != nil {
			t.Errorf("session after setting the same roles: %v", err)
		}
		// Granting one ends it.
		if err := s.SetRoles(ctx, mod.ID, []string{RoleModerator, RoleAppeals}, admin.ID, t0); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionByToken(ctx, se.Token, t0); !errors.Is(err, ErrNotFound) {
			t.Errorf("session after a role was granted: %v, want ErrNotFound", err)
		}
		if u, _ := s.UserByID(ctx, mod.ID); !u.Has(RoleAppeals) || !u.Moderator().CanWork(QueueAppeals) {
			t.Errorf("roles now %v", u.Roles)
		}
		if err := s.SetRoles(ctx, mod.ID, []string{"god"}, admin.ID, t0); !errors.Is(err, ErrInvalidUser) {
			t.Errorf("unknown role: %v", err)
		}
		if err := s.SetRoles(ctx, "nobody", []string{RoleModerator}, admin.ID, t0); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown user: %v", err)
		}
		if e := auditOf(t, s, "user.roles_set"); len(e) != 2 || e[1].Actor != admin.ID || !strings.Contains(e[1].Details, `"to":["appeals","moderator"]`) {
			t.Errorf("roles audited as %+v", e)
		}

		// The last admin stays.
		if err := s.SetRoles(ctx, admin.ID, []string{RoleOperator}, admin.ID, t0); !errors.Is(err, ErrLastAdmin) {
			t.Errorf("demoting the last admin: %v, want ErrLastAdmin", err)
		}
		if err := s.DisableUser(ctx, admin.ID, admin.ID, t0); !errors.Is(err, ErrLastAdmin) {
			t.Errorf("disabling the last admin: %v, want ErrLastAdmin", err)
		}
		if err := s.SetRoles(ctx, mod.ID, []string{RoleAdmin}, admin.ID, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.DisableUser(ctx, admin.ID, mod.ID, t0); err != nil {
			t.Errorf("disabling an admin beside another: %v", err)
		}
		if err := s.EnableUser(ctx, admin.ID, mod.ID, t0); err != nil {
			t.Fatal(err)
		}

		se, err = s.CreateSession(ctx, mod.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.DisableUser(ctx, mod.ID, admin.ID, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionByToken(ctx, se.Token, t0.Add(time.Minute)); !errors.Is(err, ErrNotFound) {
			t.Errorf("session of a disabled user: %v, want ErrNotFound", err)
		}
		if _, err := s.CreateSession(ctx, mod.ID, t0.Add(time.Minute)); !errors.Is(err, ErrNotFound) {
			t.Errorf("new session of a disabled user: %v, want ErrNotFound", err)
		}
		if err := s.DisableUser(ctx, mod.ID, admin.ID, t0.Add(time.Minute)); err != nil {
			t.Errorf("disabling again: %v", err)
		}
		if e := auditOf(t, s, "user.disabled"); len(e) != 2 || e[1].Actor != admin.ID || e[1].Subject != "user:"+mod.ID {
			t.Errorf("disabling audited as %+v", e)
		}
		if _, err := s.VerifyAudit(ctx); err != nil {
			t.Error(err)
		}
	})
}

func TestSignInLimiter(t *testing.T) {
	now := t0
	t.Run("per address", func(t *testing.T) {
		l := NewSignInLimiter(20, 100)
		for i := range 20 {
			if ok, _ := l.Allow("192.0.2.1:5000", now); !ok {
				t.Fatalf("attempt %d refused", i+1)
			}
		}
		ok, wait := l.Allow("192.0.2.1:6000", now)
		if ok || wait != 3*time.Second {
			t.Errorf("21st attempt: %v, wait %v; want refused for 3s", ok, wait)
		}
		if ok, _ := l.Allow("192.0.2.2", now); !ok {
			t.Error("another address refused")
		}
		if ok, _ := l.Allow("192.0.2.1", now.Add(3*time.Second)); !ok {
			t.Error("refused after the wait")
		}
		if ok, _ := l.Allow("192.0.2.1", now.Add(3*time.Second)); ok {
			t.Error("a second attempt allowed after one refill")
		}
	})
	t.Run("IPv6 by /64", func(t *testing.T) {
		l := NewSignInLimiter(2, 100)
		l.Allow("[2001:db8:1:2::1]:443", now)
		l.Allow("2001:db8:1:2:ffff::9", now)
		if ok, _ := l.Allow("2001:db8:1:2::77", now); ok {
			t.Error("a third address of one /64 allowed")
		}
		if ok, _ := l.Allow("2001:db8:1:3::1", now); !ok {
			t.Error("another /64 refused")
		}
		if ok, _ := l.Allow("::ffff:192.0.2.7", now); !ok {
			t.Error("an IPv4-mapped address refused")
		}
	})
	t.Run("bounded", func(t *testing.T) {
		l := NewSignInLimiter(1, 2)
		l.Allow("192.0.2.1", now)
		l.Allow("192.0.2.2", now)
		if ok, _ := l.Allow("192.0.2.3", now); ok {
			t.Error("a third address allowed while both others are limited")
		}
		if ok, _ := l.Allow("192.0.2.3", now.Add(time.Minute)); !ok {
			t.Error("refused once the others were forgotten")
		}
		if len(l.addrs) > 2 {
			t.Errorf("%d addresses kept", len(l.addrs))
		}
	})
}

// TestUserRolesOpenTheirQueues checks QueueRole against the roles: each
// queue but the general one needs its role, and no other.
func TestUserRolesOpenTheirQueues(t *testing.T) {
	for queue, role := range map[string]string{
		QueueYouthSafety: RoleCounsellor,
		QueueSenior:      RoleSenior,
		QueueAppeals:     RoleAppeals,
	} {
		for _, r := range Roles {
			u := &User{ID: "u", Roles: []string{r}}
			if got := u.Moderator().CanWork(queue); got != (r == role) {
				t.Errorf("role %s works %s: %v", r, queue, got)
			}
		}
	}
}
