package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/engine"
)

func moderateCommand() *cli.Command {
	return &cli.Command{
		Name:      "moderate",
		Usage:     "decide one event (JSON from a file or stdin) and print the decision, storing nothing",
		ArgsUsage: "[event.json]",
		Description: `Reads one event, as the world platform sends it, and prints Haechi's
decision as JSON. It is a dry run for operators: nothing is stored, no case
is opened and no action is queued. The world platform's events go through
POST /v1/moderate or the Kafka topics, which share the moderation service
that does all of that. With --text, builds a chat event from the flags
instead:

   haechi moderate --text "시1발 뭐야" --space youth`,
		Flags: engineFlags(
			&cli.StringFlag{Name: "text", Usage: "moderate this chat text instead of reading an event"},
			&cli.StringFlag{Name: "space", Value: "plaza", Usage: "space type for --text"},
			&cli.StringFlag{Name: "role", Value: "citizen", Usage: "sender role for --text"},
			&cli.StringFlag{Name: "lang", Usage: "language for --text"},
		),
		Action: func(c *cli.Context) error {
			log, err := logger(c)
			if err != nil {
				return err
			}
			var ev *engine.Event
			if c.IsSet("text") {
				ev = chatEvent("cli-1", c.String("text"), c.String("lang"), engine.SpaceType(c.String("space")), engine.Role(c.String("role")))
			} else {
				data, err := readInput(c)
				if err != nil {
					return err
				}
				if ev, err = engine.DecodeEvent(data); err != nil {
					return err
				}
			}
			k, err := newCore(c.Context, configFrom(c), log)
			if err != nil {
				return err
			}
			d, err := k.pipeline.Decide(c.Context, ev)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(c.App.Writer)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			return enc.Encode(d)
		},
	}
}

// readInput reads the file named by the first argument, or stdin.
func readInput(c *cli.Context) ([]byte, error) {
	if c.NArg() > 1 {
		return nil, fmt.Errorf("want at most one input file, got %d", c.NArg())
	}
	if name := c.Args().First(); name != "" && name != "-" {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		return data, nil
	}
	data, err := io.ReadAll(io.LimitReader(c.App.Reader, engine.MaxEventBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read stdin: %w", err)
	}
	return data, nil
}

// chatEvent builds the chat event that tools use to ask what the policy
// would do with a text.
func chatEvent(id, text, lang string, space engine.SpaceType, role engine.Role) *engine.Event {
	return &engine.Event{
		ID:     id,
		Kind:   engine.KindChat,
		World:  "cli",
		Space:  engine.Space{ID: "cli-" + string(space), Type: space},
		Sender: engine.Party{ID: "cli-user", Role: role},
		Lang:   lang,
		SentAt: time.Now().UTC(),
		Chat:   &engine.ChatMessage{Text: text},
	}
}
