package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// Accounts of the reviewer UI (issue 11): the people who sign in, their
// roles, passwords, second factors and sign-in failures. Sessions are in
// sessions.go.
//
// The rules, in one place:
//   - A sign-in name is 3 to 64 characters of a-z, 0-9, '.', '_' and '-';
//     names are compared in lower case.
//   - A password is 12 to 256 characters (after NFKC normalisation, so that
//     the same characters typed on two keyboards are the same password).
//     Only its argon2id hash is stored, in the PHC string format; the
//     parameters are read back from the stored string, so raising
//     passwordParams later re-hashes each password at its next sign-in.
//     Passwords set by CreateUser or ResetPassword are one-time:
//     PasswordChangeRequired stays set until the user's own ChangePassword.
//   - Admins and senior reviewers must sign in with a TOTP code (RFC 6238,
//     30 s steps, one step of skew either way, 6 digits, SHA-1: what
//     authenticator apps do by default). Anyone who enrolled a TOTP
//     authenticator needs it too. Each code is accepted once.
//   - Five failed sign-ins within 15 minutes lock the name for 15 minutes,
//     in the database, so the lock holds across instances. Failures are
//     counted by name, whether or not the name exists, so that a lock says
//     nothing about which accounts exist. Per-address limits are the
//     caller's: see SignInLimiter.
//   - Every change to an account and every failed sign-in and lockout is
//     an audit entry naming the actor; none holds a password, a code or a
//     secret.

// Reviewer roles (issue 11). QueueRole says which queue needs which.
const (
	RoleModerator  = "moderator"  // general queue
	RoleCounsellor = "counsellor" // youth_safety queue
	RoleSenior     = "senior"     // senior queue, bans
	RoleAppeals    = "appeals"    // appeals queue
	RoleOperator   = "operator"   // policies, dashboards, search
	RoleAdmin      = "admin"      // users, API keys
)

// Roles lists every reviewer role.
var Roles = []string{RoleModerator, RoleCounsellor, RoleSenior, RoleAppeals, RoleOperator, RoleAdmin}

// totpRoles are the roles whose holders must sign in with a TOTP code.
var totpRoles = []string{RoleAdmin, RoleSenior}

// Limits of names and passwords.
const (
	MinPasswordLength = 12  // characters
	MaxPasswordLength = 256 // characters
	// maxPasswordBytes refuses a long password before normalising it:
	// 256 characters of at most 4 bytes each.
	maxPasswordBytes     = 4 * MaxPasswordLength
	maxDisplayNameLength = 100 // characters
)

// Sign-in lockout: LockoutFailures failures within LockoutWindow lock the
// name for LockoutDuration.
const (
	LockoutFailures = 5
	LockoutWindow   = 15 * time.Minute
	LockoutDuration = 15 * time.Minute
)

var namePattern = regexp.MustCompile(`^[a-z0-9._-]{3,64}$`)

// User is a person who signs in to the reviewer UI. It never holds the
// password hash or the TOTP secret.
type User struct {
	ID          string   `json:"user_id"`
	Name        string   `json:"name"` // the sign-in name, unique, 3–64 chars [a-z0-9._-]
	DisplayName string   `json:"display_name"`
	Roles       []string `json:"roles"`
	// TOTPEnabled is set once an enrolment is confirmed (ConfirmTOTP).
	TOTPEnabled bool `json:"totp_enabled"`
	Disabled    bool `json:"disabled"`
	// PasswordChangeRequired is set while the password is one somebody
	// else chose (CreateUser, ResetPassword). The UI lets such a user do
	// nothing but ChangePassword.
	PasswordChangeRequired bool      `json:"password_change_required"`
	CreatedAt              time.Time `json:"created_at"`
	LastSignIn             time.Time `json:"last_sign_in,omitzero"`
}

// Moderator is the user as a worker of the queues.
func (u *User) Moderator() Moderator { return Moderator{ID: u.ID, Roles: slices.Clone(u.Roles)} }

// Has reports whether the user holds role.
func (u *User) Has(role string) bool { return slices.Contains(u.Roles, role) }

// TOTPRequired reports whether the user's roles require a TOTP second
// factor (admin and senior).
func (u *User) TOTPRequired() bool { return slices.ContainsFunc(totpRoles, u.Has) }

// NeedsTOTPEnrollment reports whether the user must enrol a TOTP
// authenticator before doing anything else. Authenticate returns such a
// user with ErrTOTPEnrollmentRequired; the UI may give them a session, and
// must then allow it nothing but EnrollTOTP and ConfirmTOTP while this
// holds (roles granted later make it hold for a session already open).
func (u *User) NeedsTOTPEnrollment() bool { return u.TOTPRequired() && !u.TOTPEnabled }

// Errors of accounts. Authenticate's errors are safe to show the person
// signing in; none says whether a name exists.
var (
	// ErrBadCredentials is a wrong name or password, an unknown name, or
	// a disabled account: the same error for all, so that nobody can tell
	// which names exist.
	ErrBadCredentials = errors.New("store: wrong name or password")
	// ErrLockedOut is too many failed sign-ins; the error is a
	// *LockedOutError saying when the lock ends.
	ErrLockedOut = errors.New("store: too many failed sign-ins")
	// ErrTOTPRequired is a right password for an account that needs a
	// TOTP code, given no code or a wrong or used one. Only a missing code
	// is not counted as a failure.
	ErrTOTPRequired = errors.New("store: a code from the authenticator app is required")
	// ErrTOTPEnrollmentRequired is a right password of an admin or senior
	// reviewer who has not enrolled a TOTP authenticator. Authenticate
	// returns the user with it, so that the UI can send them to enrolment
	// (see User.NeedsTOTPEnrollment).
	ErrTOTPEnrollmentRequired = errors.New("store: this account must set up an authenticator app first")
	// ErrNameTaken is a CreateUser with a name already used.
	ErrNameTaken = errors.New("store: sign-in name already taken")
	// ErrInvalidUser is a name, display name, role list or password that
	// breaks the rules above; the error says which.
	ErrInvalidUser = errors.New("store: invalid account")
	// ErrLastAdmin refuses to disable or demote the last enabled admin,
	// which would leave nobody able to manage accounts in the UI.
	ErrLastAdmin = errors.New("store: the last enabled admin cannot be disabled or lose the admin role")
)

// LockedOutError is ErrLockedOut with the time the lock ends.
type LockedOutError struct{ Until time.Time }

func (e *LockedOutError) Error() string {
	return fmt.Sprintf("%v: try again after %s", ErrLockedOut, e.Until.UTC().Format(time.RFC3339))
}

// Unwrap makes errors.Is(err, ErrLockedOut) hold.
func (e *LockedOutError) Unwrap() error { return ErrLockedOut }

// NormalizeName returns a sign-in name as stored: trimmed, in lower case.
func NormalizeName(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

func checkName(name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("%w: a sign-in name is 3 to 64 characters of a-z, 0-9, '.', '_' and '-'", ErrInvalidUser)
	}
	return nil
}

func checkRoles(roles []string) ([]string, error) {
	if len(roles) == 0 {
		return nil, fmt.Errorf("%w: an account needs at least one role of %s", ErrInvalidUser, strings.Join(Roles, ", "))
	}
	for _, r := range roles {
		if !slices.Contains(Roles, r) {
			return nil, fmt.Errorf("%w: unknown role %q: must be one of %s", ErrInvalidUser, r, strings.Join(Roles, ", "))
		}
	}
	roles = slices.Clone(roles)
	slices.Sort(roles)
	return slices.Compact(roles), nil
}

func checkDisplayName(name, fallback string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return fallback, nil
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxDisplayNameLength ||
		strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) {
		return "", fmt.Errorf("%w: a display name is at most %d printable characters", ErrInvalidUser, maxDisplayNameLength)
	}
	return name, nil
}

// normalizePassword checks a new or offered password's length and returns
// it in NFKC. Length is checked in bytes first, so that nothing long is
// normalised or hashed.
func normalizePassword(password string) (string, error) {
	bad := fmt.Errorf("%w: a password is %d to %d characters", ErrInvalidUser, MinPasswordLength, MaxPasswordLength)
	if len(password) > maxPasswordBytes || !utf8.ValidString(password) {
		return "", bad
	}
	password = norm.NFKC.String(password)
	if n := utf8.RuneCountInString(password); n < MinPasswordLength || n > MaxPasswordLength {
		return "", bad
	}
	return password, nil
}

// NewPassword returns a random one-time password of 26 characters
// (128 bits), for CreateUser and ResetPassword.
func NewPassword() string { return rand.Text() }

// argonParams are argon2id's costs: time (passes), memory in KiB, lanes.
type argonParams struct {
	time    uint32
	memory  uint32
	threads uint8
}

// defaultPasswordParams hash new passwords: RFC 9106's second recommended
// setting (t=3, 64 MiB), for machines that cannot spare 2 GiB per
// sign-in. Lanes follow GOMAXPROCS up to 8: more only split the same
// memory finer, and a hash made with many lanes is slow to verify on a
// machine with few cores. One hash took about 150 ms and 64 MiB on two
// cores (TestPasswordHashCost measures it).
var defaultPasswordParams = argonParams{time: 3, memory: 64 * 1024, threads: uint8(min(8, max(1, runtime.GOMAXPROCS(0))))}

// passwordParams are the parameters in use: defaultPasswordParams, except
// in tests (UseTestPasswordCost).
var passwordParams = defaultPasswordParams

// testPasswordParams are argon2id's cheapest sensible costs, for tests.
var testPasswordParams = argonParams{time: 1, memory: 1024, threads: 1}

// UseTestPasswordCost makes the passwords hashed from now on in this
// process cheap to hash: the defaults take a third of a second a hash
// under the race detector, and tests that create accounts and sign them in
// (this package's, the reviewer UI's, the CLI's) hash hundreds of times.
// Call it before any test runs (init or TestMain). It panics outside a
// test binary, so no server can run with it.
func UseTestPasswordCost() {
	if !testing.Testing() {
		panic("store: UseTestPasswordCost called outside a test binary")
	}
	passwordParams = testPasswordParams
}

// Bounds of parameters read from a stored hash: a hash outside them is
// refused rather than computed.
const (
	maxArgonMemory = 1 << 20 // KiB: 1 GiB
	maxArgonTime   = 16
	argonSaltBytes = 16
	argonKeyBytes  = 32
)

// hashSlots bounds the hashes computed at once in this process: each
// takes passwordParams.memory, and a burst of sign-ins must not take
// gigabytes. It is process-wide because memory is.
var hashSlots = make(chan struct{}, 4)

func argonKey(ctx context.Context, password string, salt []byte, p argonParams, keyLen uint32) ([]byte, error) {
	select {
	case hashSlots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-hashSlots }()
	return argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, keyLen), nil
}

// hashPassword returns the PHC string of a normalised password:
// $argon2id$v=19$m=65536,t=3,p=2$<salt>$<key>, salt and key in base64
// without padding.
func hashPassword(ctx context.Context, password string, p argonParams) (string, error) {
	salt := make([]byte, argonSaltBytes)
	rand.Read(salt) // never fails (crypto/rand)
	key, err := argonKey(ctx, password, salt, p, argonKeyBytes)
	if err != nil {
		return "", err
	}
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// parsePHC reads a hash made by hashPassword.
func parsePHC(encoded string) (argonParams, []byte, []byte, error) {
	var p argonParams
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errors.New("not an argon2id PHC string")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, fmt.Errorf("argon2 version %q", parts[2])
	}
	var threads uint32
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &threads); err != nil || n != 3 ||
		fmt.Sprintf("m=%d,t=%d,p=%d", p.memory, p.time, threads) != parts[3] {
		return p, nil, nil, fmt.Errorf("argon2 parameters %q", parts[3])
	}
	if threads < 1 || threads > 255 || p.time < 1 || p.time > maxArgonTime || p.memory < 8*threads || p.memory > maxArgonMemory {
		return p, nil, nil, fmt.Errorf("argon2 parameters out of bounds: %q", parts[3])
	}
	p.threads = uint8(threads)
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return p, nil, nil, errors.New("argon2 salt")
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, errors.New("argon2 key")
	}
	return p, salt, key, nil
}

// verifyPassword reports whether a normalised password matches the PHC
// string, comparing in constant time, and whether the hash's parameters
// are below passwordParams and it should be made again.
func verifyPassword(ctx context.Context, encoded, password string) (ok, stale bool, err error) {
	p, salt, want, err := parsePHC(encoded)
	if err != nil {
		return false, false, err
	}
	got, err := argonKey(ctx, password, salt, p, uint32(len(want)))
	if err != nil {
		return false, false, err
	}
	ok = subtle.ConstantTimeCompare(got, want) == 1
	stale = p.time < passwordParams.time || p.memory < passwordParams.memory || len(salt) < argonSaltBytes || len(want) < argonKeyBytes
	return ok, stale, nil
}

// dummyHash is verified against when the name is unknown or the password
// malformed, so that an unknown name takes as long as a known one.
var dummyHash = sync.OnceValue(func() string {
	h, err := hashPassword(context.Background(), NewPassword(), passwordParams)
	if err != nil {
		panic(err) // only a cancelled context fails, and this one is not
	}
	return h
})

// TOTP settings: what authenticator apps assume when the URL says nothing.
const (
	totpIssuer = "Haechi"
	totpPeriod = 30 // seconds
	totpSkew   = 1  // steps either way
)

var totpOpts = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// matchTOTP returns the time step whose code code is, among the steps
// around now later than after (the last step accepted), or false.
func matchTOTP(secret, code string, now time.Time, after int64) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != totpOpts.Digits.Length() || strings.Trim(code, "0123456789") != "" || secret == "" {
		return 0, false
	}
	current := now.Unix() / totpPeriod
	for _, step := range []int64{current, current - totpSkew, current + totpSkew} {
		if step <= after || step < 0 {
			continue
		}
		if ok, err := hotp.ValidateCustom(code, uint64(step), secret, totpOpts); err == nil && ok {
			return step, true
		}
	}
	return 0, false
}

// userColumns are read by scanUser, from users as u.
const userColumns = `u.user_id, u.name, u.display_name, u.roles, u.password_change_required,
	CASE WHEN u.totp_secret = '' THEN 0 ELSE 1 END, u.disabled_at, u.created_at, u.last_sign_in`

func scanUser(row scanner, extra ...any) (*User, error) {
	var u User
	var roles string
	var mustChange, totpOn int
	var disabled, created, lastSignIn int64
	dest := append([]any{&u.ID, &u.Name, &u.DisplayName, &roles, &mustChange, &totpOn, &disabled, &created, &lastSignIn}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(roles), &u.Roles); err != nil {
		return nil, fmt.Errorf("user %s roles: %w", u.ID, err)
	}
	u.PasswordChangeRequired, u.TOTPEnabled, u.Disabled = mustChange == 1, totpOn == 1, disabled != 0
	u.CreatedAt, u.LastSignIn = fromMS(created), fromMS(lastSignIn)
	return &u, nil
}

func userSubject(id string) string { return "user:" + id }

// CreateUser adds an account and returns it. The password (see
// NewPassword) is one-time: the user must change it after signing in.
// actor is who created it (a user id, or "cli:<login>" from the command
// line); the creation is audited in the same transaction.
func (s *Store) CreateUser(ctx context.Context, name, displayName string, roles []string, password, actor string, now time.Time) (*User, error) {
	name = NormalizeName(name)
	if err := checkName(name); err != nil {
		return nil, fmt.Errorf("store: create user: %w", err)
	}
	displayName, err := checkDisplayName(displayName, name)
	if err != nil {
		return nil, fmt.Errorf("store: create user: %w", err)
	}
	if roles, err = checkRoles(roles); err != nil {
		return nil, fmt.Errorf("store: create user: %w", err)
	}
	if password, err = normalizePassword(password); err != nil {
		return nil, fmt.Errorf("store: create user: %w", err)
	}
	hash, err := hashPassword(ctx, password, passwordParams)
	if err != nil {
		return nil, fmt.Errorf("store: create user: %w", err)
	}
	rolesJSON, _ := json.Marshal(roles)
	u := &User{ID: uuid.NewString(), Name: name, DisplayName: displayName, Roles: roles, PasswordChangeRequired: true, CreatedAt: fromMS(ms(now))}
	err = s.retryTx(ctx, func(tx *sql.Tx) error {
		// Checked first: a unique violation would be retried as a lost race.
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT count(*) FROM users WHERE name = ?`), name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: %s", ErrNameTaken, name)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO users (user_id, name, display_name, roles, password_hash, password_change_required, created_at, updated_at)
			VALUES (?,?,?,?,?,1,?,?)`), u.ID, name, displayName, string(rolesJSON), hash, ms(now), ms(now)); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, now, actor, "user.created", userSubject(u.ID), map[string]any{"name": name, "roles": roles})
	})
	if err != nil {
		return nil, fmt.Errorf("store: create user: %w", err)
	}
	return u, nil
}

// Users returns every account, disabled ones included, by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userColumns+` FROM users u ORDER BY u.name`)
	if err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("store: users: %w", err)
		}
		out = append(out, *u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	return out, nil
}

// UserByID returns an account, or ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id string) (*User, error) {
	return s.userWhere(ctx, s.db, "user_id", id)
}

// UserByName returns the account with a sign-in name (in any case), or
// ErrNotFound.
func (s *Store) UserByName(ctx context.Context, name string) (*User, error) {
	return s.userWhere(ctx, s.db, "name", NormalizeName(name))
}

func (s *Store) userWhere(ctx context.Context, q queryer, column, value string) (*User, error) {
	lock := ""
	if _, ok := q.(*sql.Tx); ok {
		lock = s.forUpdate()
	}
	u, err := scanUser(q.QueryRowContext(ctx, s.q(`SELECT `+userColumns+` FROM users u WHERE u.`+column+` = ?`+lock), value))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: user with %s %q", ErrNotFound, column, value)
	}
	return u, err
}

// lockAccounts serialises changes to accounts on PostgreSQL, so that two
// admins demoting each other at once cannot leave no admin; SQLite's
// writers already run one at a time.
func (s *Store) lockAccounts(ctx context.Context, tx *sql.Tx) error {
	if !s.postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(72620243)`)
	return err
}

// otherAdmins counts the enabled admins other than id.
func (s *Store) otherAdmins(ctx context.Context, tx *sql.Tx, id string) (int, error) {
	rows, err := tx.QueryContext(ctx, s.q(`SELECT roles FROM users WHERE disabled_at = 0 AND user_id <> ?`), id)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var roles string
		if err := rows.Scan(&roles); err != nil {
			return 0, err
		}
		var rs []string
		if err := json.Unmarshal([]byte(roles), &rs); err != nil {
			return 0, err
		}
		if slices.Contains(rs, RoleAdmin) {
			n++
		}
	}
	return n, rows.Err()
}

// changeUser runs fn on the account, locked, in a transaction.
func (s *Store) changeUser(ctx context.Context, what, id string, fn func(tx *sql.Tx, u *User) error) error {
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		if err := s.lockAccounts(ctx, tx); err != nil {
			return err
		}
		u, err := s.userWhere(ctx, tx, "user_id", id)
		if err != nil {
			return err
		}
		return fn(tx, u)
	})
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	return nil
}

// SetRoles replaces an account's roles. Granting a role the user did not
// hold ends their sessions, so that new powers need a new sign-in (with a
// TOTP code, where the new role requires one). Taking the admin role from
// the last enabled admin is ErrLastAdmin. Audited with actor.
func (s *Store) SetRoles(ctx context.Context, id string, roles []string, actor string, now time.Time) error {
	roles, err := checkRoles(roles)
	if err != nil {
		return fmt.Errorf("store: set roles: %w", err)
	}
	return s.changeUser(ctx, "set roles", id, func(tx *sql.Tx, u *User) error {
		if u.Has(RoleAdmin) && !slices.Contains(roles, RoleAdmin) && !u.Disabled {
			if n, err := s.otherAdmins(ctx, tx, id); err != nil {
				return err
			} else if n == 0 {
				return ErrLastAdmin
			}
		}
		rolesJSON, _ := json.Marshal(roles)
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE users SET roles = ?, updated_at = ? WHERE user_id = ?`), string(rolesJSON), ms(now), id); err != nil {
			return err
		}
		if slices.ContainsFunc(roles, func(r string) bool { return !u.Has(r) }) {
			if err := s.endUserSessions(ctx, tx, id); err != nil {
				return err
			}
		}
		return s.appendAudit(ctx, tx, now, actor, "user.roles_set", userSubject(id), map[string]any{"name": u.Name, "from": u.Roles, "to": roles})
	})
}

// DisableUser disables an account and ends its sessions: it can no longer
// sign in, and its open sessions stop working at once. Disabling the last
// enabled admin is ErrLastAdmin; disabling a disabled account changes
// nothing. Audited with actor.
func (s *Store) DisableUser(ctx context.Context, id, actor string, now time.Time) error {
	return s.changeUser(ctx, "disable user", id, func(tx *sql.Tx, u *User) error {
		if u.Disabled {
			return nil
		}
		if u.Has(RoleAdmin) {
			if n, err := s.otherAdmins(ctx, tx, id); err != nil {
				return err
			} else if n == 0 {
				return ErrLastAdmin
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE users SET disabled_at = ?, updated_at = ? WHERE user_id = ?`), ms(now), ms(now), id); err != nil {
			return err
		}
		if err := s.endUserSessions(ctx, tx, id); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, now, actor, "user.disabled", userSubject(id), map[string]any{"name": u.Name})
	})
}

// EnableUser enables a disabled account again. Audited with actor.
func (s *Store) EnableUser(ctx context.Context, id, actor string, now time.Time) error {
	return s.changeUser(ctx, "enable user", id, func(tx *sql.Tx, u *User) error {
		if !u.Disabled {
			return nil
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE users SET disabled_at = 0, updated_at = ? WHERE user_id = ?`), ms(now), id); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, now, actor, "user.enabled", userSubject(id), map[string]any{"name": u.Name})
	})
}

// ResetPassword sets a new one-time password (see NewPassword), ends the
// account's sessions and lifts a sign-in lock on its name. The TOTP
// authenticator stays enrolled. Audited with actor.
func (s *Store) ResetPassword(ctx context.Context, id, password, actor string, now time.Time) error {
	password, err := normalizePassword(password)
	if err != nil {
		return fmt.Errorf("store: reset password: %w", err)
	}
	hash, err := hashPassword(ctx, password, passwordParams)
	if err != nil {
		return fmt.Errorf("store: reset password: %w", err)
	}
	return s.changeUser(ctx, "reset password", id, func(tx *sql.Tx, u *User) error {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE users SET password_hash = ?, password_change_required = 1, updated_at = ? WHERE user_id = ?`), hash, ms(now), id); err != nil {
			return err
		}
		if err := s.clearFailures(ctx, tx, nameKey(u.Name)); err != nil {
			return err
		}
		if err := s.endUserSessions(ctx, tx, id); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, now, actor, "user.password_reset", userSubject(id), map[string]any{"name": u.Name})
	})
}

// ChangePassword is the user changing their own password, which they
// prove by giving the current one (a wrong one is ErrBadCredentials and
// counts as a failed sign-in). It clears PasswordChangeRequired and ends
// all the user's sessions: the UI starts a new one. Audited.
func (s *Store) ChangePassword(ctx context.Context, id, oldPassword, newPassword, remoteIP string, now time.Time) error {
	newPassword, err := normalizePassword(newPassword)
	if err != nil {
		return fmt.Errorf("store: change password: %w", err)
	}
	u, hash, err := s.passwordHash(ctx, id)
	if err != nil {
		return fmt.Errorf("store: change password: %w", err)
	}
	if until, err := s.lockedUntil(ctx, nameKey(u.Name), now); err != nil {
		return fmt.Errorf("store: change password: %w", err)
	} else if !until.IsZero() {
		return &LockedOutError{Until: until}
	}
	ok := false
	if old, err := normalizePassword(oldPassword); err == nil {
		if ok, _, err = verifyPassword(ctx, hash, old); err != nil {
			return fmt.Errorf("store: change password: %w", err)
		}
	}
	if !ok || u.Disabled {
		return s.signInFailed(ctx, u.ID, u.Name, u, "change_password", remoteIP, now)
	}
	newHash, err := hashPassword(ctx, newPassword, passwordParams)
	if err != nil {
		return fmt.Errorf("store: change password: %w", err)
	}
	return s.changeUser(ctx, "change password", id, func(tx *sql.Tx, u *User) error {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE users SET password_hash = ?, password_change_required = 0, updated_at = ? WHERE user_id = ?`), newHash, ms(now), id); err != nil {
			return err
		}
		if err := s.endUserSessions(ctx, tx, id); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, now, id, "user.password_changed", userSubject(id), map[string]any{"name": u.Name, "remote_ip": remoteIP})
	})
}

func (s *Store) passwordHash(ctx context.Context, id string) (*User, string, error) {
	var hash string
	u, err := scanUser(s.db.QueryRowContext(ctx, s.q(`SELECT `+userColumns+`, u.password_hash FROM users u WHERE u.user_id = ?`), id), &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", fmt.Errorf("%w: user %s", ErrNotFound, id)
	}
	return u, hash, err
}

// EnrollTOTP starts enrolling a TOTP authenticator: it returns a new
// secret (base32) and its otpauth:// URL, for the user's app (as a QR code
// or typed in). The enrolment is pending, and an authenticator already
// enrolled stays in force, until ConfirmTOTP is given a code from the new
// one; enrolling again replaces a pending secret.
func (s *Store) EnrollTOTP(ctx context.Context, id string, now time.Time) (secret, otpauthURL string, err error) {
	u, err := s.UserByID(ctx, id)
	if err != nil {
		return "", "", fmt.Errorf("store: enroll TOTP: %w", err)
	}
	if u.Disabled {
		return "", "", fmt.Errorf("store: enroll TOTP: %w: user %s", ErrNotFound, id)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: u.Name, Period: totpPeriod,
		SecretSize: 20, Digits: totpOpts.Digits, Algorithm: totpOpts.Algorithm})
	if err != nil {
		return "", "", fmt.Errorf("store: enroll TOTP: %w", err)
	}
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE users SET totp_pending = ?, updated_at = ? WHERE user_id = ?`), key.Secret(), ms(now), id)
	if err != nil {
		return "", "", fmt.Errorf("store: enroll TOTP: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return "", "", fmt.Errorf("store: enroll TOTP: %w: user %s", ErrNotFound, id)
	}
	return key.Secret(), key.URL(), nil
}

// ErrBadTOTPCode is ConfirmTOTP given a code that is not the pending
// secret's (or no enrolment is pending).
var ErrBadTOTPCode = errors.New("store: the code does not match the authenticator being set up")

// ConfirmTOTP completes an enrolment with a code from the new
// authenticator, which from then on is the account's second factor, and
// that code cannot be used to sign in. The user proves they hold the
// secret, so the audit entry names them as the actor.
func (s *Store) ConfirmTOTP(ctx context.Context, id, code string, now time.Time) error {
	return s.changeUser(ctx, "confirm TOTP", id, func(tx *sql.Tx, u *User) error {
		var pending string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT totp_pending FROM users WHERE user_id = ?`), id).Scan(&pending); err != nil {
			return err
		}
		step, ok := matchTOTP(pending, code, now, 0)
		if !ok || u.Disabled {
			return ErrBadTOTPCode
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE users SET totp_secret = totp_pending, totp_pending = '', totp_last_step = ?, updated_at = ? WHERE user_id = ?`),
			step, ms(now), id); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, now, id, "user.totp_enrolled", userSubject(id), map[string]any{"name": u.Name, "replaced": u.TOTPEnabled})
	})
}

// nameKey is what sign-in failures and locks are kept under: a hash of
// the normalised name, so that the database keeps no text typed into the
// name field (sometimes a password) of names that do not exist.
func nameKey(name string) string {
	sum := sha256.Sum256([]byte(NormalizeName(name)))
	return hex.EncodeToString(sum[:])
}

// lockedUntil returns when the lock on a name ends, or the zero time.
func (s *Store) lockedUntil(ctx context.Context, key string, now time.Time) (time.Time, error) {
	var until int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT locked_until FROM sign_in_locks WHERE name_key = ? AND locked_until > ?`), key, ms(now)).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	return fromMS(until), err
}

func (s *Store) clearFailures(ctx context.Context, tx *sql.Tx, key string) error {
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sign_in_failures WHERE name_key = ?`), key); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, s.q(`DELETE FROM sign_in_locks WHERE name_key = ?`), key)
	return err
}

// signInFailed records a failed sign-in under the name (u is nil when it
// names nobody), locks the name at the LockoutFailures-th failure within
// LockoutWindow, and audits both. It returns the error to give: a
// *LockedOutError when this failure locked the name, else
// ErrBadCredentials, or ErrTOTPRequired for a wrong or used code.
func (s *Store) signInFailed(ctx context.Context, actor, name string, u *User, reason, remoteIP string, now time.Time) error {
	key := nameKey(name)
	subject, details := "user:unknown", map[string]any{"reason": reason, "remote_ip": remoteIP}
	if u != nil {
		subject, details["name"] = userSubject(u.ID), u.Name
	} else {
		// Enough to tell attempts on one name apart, not to read it.
		details["name_sha256"] = key[:16]
	}
	var until time.Time
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		until = time.Time{}
		// Failures and locks of every name are short-lived; clear the old.
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sign_in_failures WHERE at <= ?`), ms(now.Add(-LockoutWindow))); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sign_in_locks WHERE locked_until <= ?`), ms(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO sign_in_failures (name_key, at) VALUES (?, ?)`), key, ms(now)); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT count(*) FROM sign_in_failures WHERE name_key = ? AND at > ?`), key, ms(now.Add(-LockoutWindow))).Scan(&n); err != nil {
			return err
		}
		details["failures"] = n
		if err := s.appendAudit(ctx, tx, now, actor, "user.sign_in_failed", subject, details); err != nil {
			return err
		}
		if n < LockoutFailures {
			return nil
		}
		until = now.Add(LockoutDuration).UTC().Truncate(time.Millisecond)
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sign_in_failures WHERE name_key = ?`), key); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO sign_in_locks (name_key, locked_until) VALUES (?, ?)
			ON CONFLICT (name_key) DO UPDATE SET locked_until = excluded.locked_until`), key, ms(until)); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, now, "haechi", "user.locked_out", subject, map[string]any{"until": until, "failures": n, "remote_ip": remoteIP})
	})
	switch {
	case err != nil:
		return fmt.Errorf("store: sign in: %w", err)
	case !until.IsZero():
		return &LockedOutError{Until: until}
	case strings.HasPrefix(reason, "totp"):
		return ErrTOTPRequired
	}
	return ErrBadCredentials
}

// Authenticate checks a sign-in: name, password and, where the account
// needs one, a TOTP code (empty when the form had none). remoteIP is
// recorded in the audit log; limit attempts per address with a
// SignInLimiter before calling. It returns the user, or:
//   - ErrBadCredentials for a wrong password, an unknown name or a
//     disabled account alike (all take the time of a password hash);
//   - a *LockedOutError (errors.Is ErrLockedOut) while the name is locked,
//     without checking anything, or when this failure locked it;
//   - ErrTOTPRequired for a right password without a code (not counted
//     as a failure: the UI asks for the code) or with a wrong or used one;
//   - the user and ErrTOTPEnrollmentRequired for a right password of an
//     admin or senior reviewer who has no authenticator yet.
//
// A success clears the name's failures, records the sign-in and the code's
// step (so the code is not accepted again) and is audited; it re-hashes
// a password stored with weaker parameters than passwordParams.
func (s *Store) Authenticate(ctx context.Context, name, password, totpCode, remoteIP string, now time.Time) (*User, error) {
	name = NormalizeName(name)
	key := nameKey(name)
	if until, err := s.lockedUntil(ctx, key, now); err != nil {
		return nil, fmt.Errorf("store: sign in: %w", err)
	} else if !until.IsZero() {
		return nil, &LockedOutError{Until: until}
	}
	var hash, secret string
	var lastStep int64
	u, err := scanUser(s.db.QueryRowContext(ctx, s.q(`SELECT `+userColumns+`, u.password_hash, u.totp_secret, u.totp_last_step FROM users u WHERE u.name = ?`), name),
		&hash, &secret, &lastStep)
	if errors.Is(err, sql.ErrNoRows) {
		u, hash = nil, dummyHash()
	} else if err != nil {
		return nil, fmt.Errorf("store: sign in: %w", err)
	}
	ok, stale := false, false
	if pw, perr := normalizePassword(password); perr == nil {
		// An unknown name or a disabled account costs a hash as well.
		if ok, stale, err = verifyPassword(ctx, hash, pw); err != nil {
			return nil, fmt.Errorf("store: sign in: %w", err)
		}
		password = pw
	}
	switch {
	case u == nil:
		return nil, s.signInFailed(ctx, "anonymous", name, nil, "unknown_name", remoteIP, now)
	case u.Disabled:
		return nil, s.signInFailed(ctx, "anonymous", name, u, "disabled", remoteIP, now)
	case !ok:
		return nil, s.signInFailed(ctx, "anonymous", name, u, "password", remoteIP, now)
	}
	step := int64(0)
	if u.TOTPEnabled {
		if strings.TrimSpace(totpCode) == "" {
			return nil, ErrTOTPRequired
		}
		var match bool
		if step, match = matchTOTP(secret, totpCode, now, lastStep); !match {
			return nil, s.signInFailed(ctx, "anonymous", name, u, "totp", remoteIP, now)
		}
	} else if u.TOTPRequired() {
		return u, ErrTOTPEnrollmentRequired
	}
	newHash := ""
	if stale {
		if newHash, err = hashPassword(ctx, password, passwordParams); err != nil {
			return nil, fmt.Errorf("store: sign in: %w", err)
		}
	}
	replayed := false
	err = s.retryTx(ctx, func(tx *sql.Tx) error {
		replayed = false
		// The step condition makes a code good for one sign-in even when
		// two race with it.
		res, err := tx.ExecContext(ctx, s.q(`UPDATE users SET last_sign_in = ? WHERE user_id = ? AND disabled_at = 0`), ms(now), u.ID)
		if step > 0 {
			res, err = tx.ExecContext(ctx, s.q(`UPDATE users SET last_sign_in = ?, totp_last_step = ?
				WHERE user_id = ? AND disabled_at = 0 AND totp_last_step < ?`), ms(now), step, u.ID, step)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			// Another sign-in took this code, or the account was
			// disabled, since it was read.
			replayed = true
			return nil
		}
		if newHash != "" {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE users SET password_hash = ? WHERE user_id = ?`), newHash, u.ID); err != nil {
				return err
			}
		}
		if err := s.clearFailures(ctx, tx, key); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, now, u.ID, "user.signed_in", userSubject(u.ID), map[string]any{"name": u.Name, "remote_ip": remoteIP, "totp": step > 0})
	})
	if err != nil {
		return nil, fmt.Errorf("store: sign in: %w", err)
	}
	if replayed {
		return nil, s.signInFailed(ctx, "anonymous", name, u, "totp_replayed", remoteIP, now)
	}
	u.LastSignIn = fromMS(ms(now))
	return u, nil
}

// SignInLimiter limits sign-in attempts per remote address, in memory:
// each address may make perMinute attempts, refilled evenly over a minute.
// It lives with the caller (the reviewer UI holds one and calls Allow
// before Authenticate) rather than in the Store, because it is per process
// by design: the per-account lock, which must hold across instances, is
// in the database. IPv6 addresses are counted by their /64, which one
// machine usually holds whole. It is safe for concurrent use; it keeps at
// most maxAddresses addresses, and refuses new ones while full of
// addresses that are all still limited.
type SignInLimiter struct {
	mu        sync.Mutex
	perMinute float64
	max       int
	addrs     map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewSignInLimiter returns a limiter allowing perMinute attempts a minute
// per address (20 is a fair default), remembering at most maxAddresses.
func NewSignInLimiter(perMinute, maxAddresses int) *SignInLimiter {
	return &SignInLimiter{perMinute: float64(max(1, perMinute)), max: max(1, maxAddresses), addrs: make(map[string]*bucket)}
}

// Allow takes one attempt for remoteIP (an address, with or without a
// port) and reports whether it may go ahead; when not, it says how long
// until the next attempt may.
func (l *SignInLimiter) Allow(remoteIP string, now time.Time) (bool, time.Duration) {
	k := limiterKey(remoteIP)
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.addrs[k]
	if !ok {
		if len(l.addrs) >= l.max {
			l.prune(now)
		}
		if len(l.addrs) >= l.max {
			return false, time.Minute
		}
		b = &bucket{tokens: l.perMinute, at: now}
		l.addrs[k] = b
	}
	b.tokens = min(l.perMinute, b.tokens+now.Sub(b.at).Minutes()*l.perMinute)
	b.at = now
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) / l.perMinute * float64(time.Minute))
	}
	b.tokens--
	return true, 0
}

// prune forgets the addresses whose allowance is whole again.
func (l *SignInLimiter) prune(now time.Time) {
	for k, b := range l.addrs {
		if b.tokens+now.Sub(b.at).Minutes()*l.perMinute >= l.perMinute {
			delete(l.addrs, k)
		}
	}
}

func limiterKey(remoteIP string) string {
	host := remoteIP
	if h, _, err := net.SplitHostPort(remoteIP); err == nil {
		host = h
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Is4In6() {
			ip = ip.Unmap()
		}
		if ip.Is6() {
			if p, err := ip.Prefix(64); err == nil {
				return p.String()
			}
		}
		return ip.String()
	}
	return host
}
