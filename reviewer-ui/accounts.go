package reviewerui

import (
	"context"
	"time"

	"github.com/haechi-tns/haechi/engine/store"
)

// Accounts signs reviewers in and keeps their sessions; *store.Store
// implements it (engine/store/users.go and sessions.go say what each
// method guarantees).
type Accounts interface {
	// Authenticate checks a reviewer's name, password and (when the
	// account has one) TOTP code. Its errors are safe to show and never
	// tell which names exist: store.ErrBadCredentials,
	// store.ErrLockedOut, store.ErrTOTPRequired, or
	// store.ErrTOTPEnrollmentRequired with the user, who may then do
	// nothing but enrol an authenticator.
	Authenticate(ctx context.Context, name, password, totpCode, remoteIP string, now time.Time) (*store.User, error)
	// CreateSession starts a new session for the user.
	CreateSession(ctx context.Context, userID string, now time.Time) (*store.Session, error)
	// SessionByToken returns a live session and its user as the user is
	// now, or an error wrapping store.ErrNotFound.
	SessionByToken(ctx context.Context, token string, now time.Time) (*store.Session, *store.User, error)
	// PeekSession is SessionByToken without counting the request as the
	// reviewer's activity, for requests a page makes by itself.
	PeekSession(ctx context.Context, token string, now time.Time) (*store.Session, *store.User, error)
	// EndSession ends a session; ending an unknown one is not an error.
	EndSession(ctx context.Context, token string) error
	// ChangePassword is the user changing their own password; it ends
	// all their sessions.
	ChangePassword(ctx context.Context, id, oldPassword, newPassword, remoteIP string, now time.Time) error
	// EnrollTOTP starts enrolling an authenticator app; ConfirmTOTP
	// completes it with a code from the app.
	EnrollTOTP(ctx context.Context, id string, now time.Time) (secret, otpauthURL string, err error)
	ConfirmTOTP(ctx context.Context, id, code string, now time.Time) error
	// UserByName returns the account with a sign-in name, or an error
	// wrapping store.ErrNotFound; cases are reassigned by name.
	UserByName(ctx context.Context, name string) (*store.User, error)
}

var _ Accounts = (*store.Store)(nil)

// Account is a signed-in reviewer; Session their browser's session.
type (
	Account = store.User
	Session = store.Session
)

// canWork reports whether a may see and take the cases of queue: the
// store's rule (store.QueueRole), which the store checks again on every
// claim and decision.
func canWork(a *Account, queue string) bool { return a.Moderator().CanWork(queue) }

// canBan reports whether a may ban an account.
func canBan(a *Account) bool { return a.Has(store.RoleSenior) }
