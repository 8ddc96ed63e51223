// Command haechi is Haechi's one binary: the moderation service, its
// workers and the operators' tools. This file and wiring.go are the only
// places where the parts are put together.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app := newApp(os.Stdin, os.Stdout, os.Stderr)
	if err := app.RunContext(ctx, os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "haechi:", err)
		os.Exit(1)
	}
}

// newApp builds the command tree writing to the given streams, so tests can
// run commands in-process.
func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:      "haechi",
		Usage:     "content moderation and trust & safety for the city-hall metaverse",
		Reader:    stdin,
		Writer:    stdout,
		ErrWriter: stderr,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error", EnvVars: []string{"HAECHI_LOG_LEVEL"}},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "text or json", EnvVars: []string{"HAECHI_LOG_FORMAT"}},
		},
		Commands: []*cli.Command{
			serveCommand(),
			workerCommand(),
			brokerCommand(),
			demoCommand(),
			auditCommand(),
			apiCommand(),
			apikeysCommand(),
			usersCommand(),
			reportersCommand(),
			transparencyCommand(),
			moderateCommand(),
			classifyCommand(),
			policyCommand(),
			benchCommand(),
			trainCommand(),
			evalCommand(),
			hashesCommand(),
			modelsCommand(),
			searchCommand(),
		},
		// Errors are printed once, by main; urfave/cli must not exit itself.
		ExitErrHandler: func(*cli.Context, error) {},
	}
}

// logger builds the process logger from the global flags. Logs go to the
// app's error stream and never carry message text or personal data.
func logger(c *cli.Context) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String("log-level"))); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.String("log-format") {
	case "text":
		return slog.New(slog.NewTextHandler(c.App.ErrWriter, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(c.App.ErrWriter, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: want text or json, got %q", c.String("log-format"))
}
