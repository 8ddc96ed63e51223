package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/engine/store"
)

// usersCommand manages the reviewer UI's accounts. Passwords, codes and
// secrets go to stdout only, never to the log or stderr; the audit log
// names the operator as cli:<login>.
func usersCommand() *cli.Command {
	flags := []cli.Flag{dataDirFlag, databaseFlag}
	roleFlag := &cli.StringSliceFlag{Name: "role", Required: true, Usage: "a role (repeatable): " + strings.Join(store.Roles, ", ")}
	passwordStdin := &cli.BoolFlag{Name: "password-stdin", Usage: "read the password from the first line of stdin instead of generating one"}
	return &cli.Command{
		Name:  "users",
		Usage: "accounts of the reviewer UI",
		Description: `Roles: ` + strings.Join(store.Roles, ", ") + `. Admins and senior reviewers must
sign in with a code from an authenticator app (TOTP): they set it up at
their first sign-in, or here with enroll-totp and confirm-totp. Passwords
given or generated here are one-time: the user chooses their own at the
first sign-in. Only hashes are stored.`,
		Subcommands: []*cli.Command{
			{
				Name:      "add",
				Usage:     "add an account and print its one-time password",
				ArgsUsage: "NAME",
				Flags: append(flags, roleFlag, passwordStdin,
					&cli.StringFlag{Name: "display-name", Usage: "the name shown in the UI (default: NAME)"}),
				Action: func(c *cli.Context) error {
					name, err := oneArg(c, "add")
					if err != nil {
						return err
					}
					password, generated, err := newPassword(c)
					if err != nil {
						return err
					}
					st, err := openStore(c)
					if err != nil {
						return err
					}
					defer st.Close()
					u, err := st.CreateUser(c.Context, name, c.String("display-name"), c.StringSlice("role"), password, cliActor(), time.Now())
					if err != nil {
						return err
					}
					if generated {
						fmt.Fprintln(c.App.Writer, password)
					}
					fmt.Fprintf(c.App.ErrWriter, "added %s (%s) with roles %s%s\n", u.Name, u.ID, strings.Join(u.Roles, ","), passwordNote(generated))
					if u.TOTPRequired() {
						fmt.Fprintf(c.App.ErrWriter, "%s must set up an authenticator app at the first sign-in (or: haechi users enroll-totp %s)\n", u.Name, u.Name)
					}
					return nil
				},
			},
			{
				Name:  "list",
				Usage: "list accounts (never their passwords or secrets)",
				Flags: flags,
				Action: func(c *cli.Context) error {
					st, err := openStore(c)
					if err != nil {
						return err
					}
					defer st.Close()
					users, err := st.Users(c.Context)
					if err != nil {
						return err
					}
					w := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
					fmt.Fprintln(w, "NAME\tDISPLAY NAME\tROLES\tTOTP\tSTATE\tCREATED\tLAST SIGN-IN")
					for _, u := range users {
						state := "active"
						switch {
						case u.Disabled:
							state = "disabled"
						case u.NeedsTOTPEnrollment():
							state = "needs-totp"
						case u.PasswordChangeRequired:
							state = "one-time-password"
						}
						last := "-"
						if !u.LastSignIn.IsZero() {
							last = u.LastSignIn.Format(time.RFC3339)
						}
						totp := "no"
						if u.TOTPEnabled {
							totp = "yes"
						}
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, u.DisplayName, strings.Join(u.Roles, ","), totp, state,
							u.CreatedAt.Format(time.RFC3339), last)
					}
					return w.Flush()
				},
			},
			{
				Name:      "disable",
				Usage:     "disable an account and end its sessions",
				ArgsUsage: "NAME",
				Flags:     flags,
				Action: withUser("disable", func(c *cli.Context, st *store.Store, u *store.User) error {
					if err := st.DisableUser(c.Context, u.ID, cliActor(), time.Now()); err != nil {
						return err
					}
					fmt.Fprintf(c.App.ErrWriter, "disabled %s\n", u.Name)
					return nil
				}),
			},
			{
				Name:      "enable",
				Usage:     "enable a disabled account",
				ArgsUsage: "NAME",
				Flags:     flags,
				Action: withUser("enable", func(c *cli.Context, st *store.Store, u *store.User) error {
					if err := st.EnableUser(c.Context, u.ID, cliActor(), time.Now()); err != nil {
						return err
					}
					fmt.Fprintf(c.App.ErrWriter, "enabled %s\n", u.Name)
					return nil
				}),
			},
			{
				Name:      "set-role",
				Usage:     "replace an account's roles",
				ArgsUsage: "NAME",
				Flags:     append(flags, roleFlag),
				Action: withUser("set-role", func(c *cli.Context, st *store.Store, u *store.User) error {
					if err := st.SetRoles(c.Context, u.ID, c.StringSlice("role"), cliActor(), time.Now()); err != nil {
						return err
					}
					fmt.Fprintf(c.App.ErrWriter, "%s now has roles %s\n", u.Name, strings.Join(c.StringSlice("role"), ","))
					return nil
				}),
			},
			{
				Name:      "reset-password",
				Usage:     "set a new one-time password, print it and end the account's sessions",
				ArgsUsage: "NAME",
				Flags:     append(flags, passwordStdin),
				Action: withUser("reset-password", func(c *cli.Context, st *store.Store, u *store.User) error {
					password, generated, err := newPassword(c)
					if err != nil {
						return err
					}
					if err := st.ResetPassword(c.Context, u.ID, password, cliActor(), time.Now()); err != nil {
						return err
					}
					if generated {
						fmt.Fprintln(c.App.Writer, password)
					}
					fmt.Fprintf(c.App.ErrWriter, "reset the password of %s%s\n", u.Name, passwordNote(generated))
					return nil
				}),
			},
			{
				Name:      "enroll-totp",
				Usage:     "start setting up an authenticator app: print its otpauth URL and secret",
				ArgsUsage: "NAME",
				Flags:     flags,
				Action: withUser("enroll-totp", func(c *cli.Context, st *store.Store, u *store.User) error {
					secret, url, err := st.EnrollTOTP(c.Context, u.ID, time.Now())
					if err != nil {
						return err
					}
					fmt.Fprintln(c.App.Writer, url)
					fmt.Fprintln(c.App.Writer, secret)
					fmt.Fprintf(c.App.ErrWriter, "add the URL (as a QR code) or the secret to %s's authenticator app, then: haechi users confirm-totp %s, with a code from the app on stdin\n", u.Name, u.Name)
					return nil
				}),
			},
			{
				Name:      "confirm-totp",
				Usage:     "finish setting up an authenticator app with a code from it, read from stdin",
				ArgsUsage: "NAME",
				Flags:     flags,
				Action: withUser("confirm-totp", func(c *cli.Context, st *store.Store, u *store.User) error {
					code, err := firstLine(c.App.Reader)
					if err != nil {
						return fmt.Errorf("confirm-totp: reading the code from stdin: %w", err)
					}
					if err := st.ConfirmTOTP(c.Context, u.ID, code, time.Now()); err != nil {
						return err
					}
					fmt.Fprintf(c.App.ErrWriter, "%s signs in with the authenticator app from now on\n", u.Name)
					return nil
				}),
			},
		},
	}
}

// withUser opens the store and finds the account named by the one
// argument before running fn.
func withUser(cmd string, fn func(*cli.Context, *store.Store, *store.User) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		name, err := oneArg(c, cmd)
		if err != nil {
			return err
		}
		st, err := openStore(c)
		if err != nil {
			return err
		}
		defer st.Close()
		u, err := st.UserByName(c.Context, name)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%s: no account named %q", cmd, store.NormalizeName(name))
		}
		if err != nil {
			return err
		}
		return fn(c, st, u)
	}
}

func oneArg(c *cli.Context, cmd string) (string, error) {
	if c.NArg() != 1 {
		return "", fmt.Errorf("%s takes one account name, got %d arguments", cmd, c.NArg())
	}
	return c.Args().First(), nil
}

// newPassword reads the password from stdin with --password-stdin, or
// generates one; generated says which.
func newPassword(c *cli.Context) (password string, generated bool, err error) {
	if !c.Bool("password-stdin") {
		return store.NewPassword(), true, nil
	}
	password, err = firstLine(c.App.Reader)
	if err != nil {
		return "", false, fmt.Errorf("--password-stdin: %w", err)
	}
	return password, false, nil
}

// firstLine reads stdin's first line, without its line ending.
func firstLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("stdin is empty")
	}
	return line, nil
}

func passwordNote(generated bool) string {
	if generated {
		return "; the one-time password above is not shown again"
	}
	return ""
}

// cliActor names the operator in the audit log.
func cliActor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	return "cli"
}
