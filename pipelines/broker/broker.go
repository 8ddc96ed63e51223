// Package broker runs the embedded Kafka-protocol broker of single-machine
// mode and of tests: one kfake broker (github.com/twmb/franz-go/pkg/kfake)
// listening on loopback, optionally persisting its log and consumer-group
// offsets under a data directory. Clients reach it with kafka-go exactly as
// they would reach Apache Kafka; production deployments use real Kafka.
package broker

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// DefaultAddr is where the broker listens when Config.Addr is empty.
const DefaultAddr = "127.0.0.1:9092"

// DefaultMaxMessageBytes fits the largest event Haechi accepts (a 10 MiB
// image, base64 inside JSON) with room to spare; Kafka's own default is 1 MB.
const DefaultMaxMessageBytes = 16 << 20

// MinSessionTimeout is the shortest consumer-group session timeout the
// embedded broker accepts.
const MinSessionTimeout = time.Second

// DefaultPartitions is the partition count of auto-created topics when
// Config.Partitions is zero.
const DefaultPartitions = 6

// Config configures Start. The zero value is a valid in-memory broker on
// DefaultAddr.
type Config struct {
	DataDir    string // persistence directory; empty keeps everything in memory
	Addr       string // loopback listen address, default DefaultAddr; port 0 picks a free port
	Partitions int    // partitions of auto-created topics, default DefaultPartitions
	SyncWrites bool   // fsync every produce before acknowledging it
	// MaxMessageBytes is the largest record batch the broker accepts,
	// default DefaultMaxMessageBytes: image events carry their bytes inline.
	MaxMessageBytes int
	Logger          *slog.Logger // broker diagnostics; nil discards them
}

// Validate reports whether the configuration can be started. Only loopback
// addresses are accepted: the embedded broker has no authentication, so it
// must never be reachable from another machine.
func (c Config) Validate() error {
	if _, _, err := c.listenAddr(); err != nil {
		return err
	}
	if c.MaxMessageBytes < 0 {
		return fmt.Errorf("broker: max message bytes must not be negative, got %d", c.MaxMessageBytes)
	}
	if c.Partitions < 0 {
		return fmt.Errorf("broker: partitions must not be negative, got %d", c.Partitions)
	}
	return nil
}

// listenAddr returns the host and port to bind, with defaults applied.
// "localhost" is bound as 127.0.0.1 so the address advertised to clients in
// metadata is the one they dial.
func (c Config) listenAddr() (host string, port int, err error) {
	addr := c.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("broker: address %q: %w", addr, err)
	}
	port, err = strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("broker: address %q: invalid port", addr)
	}
	if h == "localhost" {
		return "127.0.0.1", port, nil
	}
	ip := net.ParseIP(h)
	if ip == nil || !ip.IsLoopback() {
		return "", 0, fmt.Errorf("broker: address %q is not a loopback address; the embedded broker has no authentication and listens on loopback only (use 127.0.0.1)", addr)
	}
	return ip.String(), port, nil
}

// Broker is a running embedded broker. It is safe for concurrent use.
type Broker struct {
	cluster *kfake.Cluster
	addr    string
	log     *slog.Logger

	closeOnce sync.Once
}

// Start validates cfg, loads any state persisted under cfg.DataDir and starts
// listening. The broker serves until Close. Topics are created on first use
// (produce or metadata request) with cfg.Partitions partitions, or explicitly
// with CreateTopics.
func Start(cfg Config) (*Broker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	host, port, _ := cfg.listenAddr()
	partitions := cfg.Partitions
	if partitions == 0 {
		partitions = DefaultPartitions
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "broker")

	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(port),
		// kfake always asks for 127.0.0.1; we bind the validated loopback
		// host instead, keeping the port it asked for (ours, or 0).
		kfake.ListenFn(func(network, address string) (net.Listener, error) {
			_, p, err := net.SplitHostPort(address)
			if err != nil {
				return nil, err
			}
			return net.Listen(network, net.JoinHostPort(host, p))
		}),
		kfake.ClusterID("haechi"),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(partitions),
		kfake.WithLogger(slogLogger{log}),
		kfake.BrokerConfigs(map[string]string{
			"message.max.bytes": strconv.Itoa(cmp.Or(cfg.MaxMessageBytes, DefaultMaxMessageBytes)),
			// Apache Kafka's default minimum is 6 s; a single-machine
			// deployment may want a crashed worker's partitions taken
			// over sooner (--kafka-session-timeout), and the workers'
			// own check allows no less than a second. Set as a broker
			// config, the limit is also what the broker reports.
			"group.min.session.timeout.ms": strconv.Itoa(int(MinSessionTimeout.Milliseconds())),
		}),
	}
	if cfg.DataDir != "" {
		opts = append(opts, kfake.DataDir(cfg.DataDir))
	}
	if cfg.SyncWrites {
		opts = append(opts, kfake.SyncWrites())
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("broker: start: %w", err)
	}
	addrs := cluster.ListenAddrs()
	if len(addrs) != 1 {
		cluster.Close()
		return nil, fmt.Errorf("broker: start: want one listener, have %d", len(addrs))
	}
	b := &Broker{cluster: cluster, addr: addrs[0], log: log}
	log.Info("broker started", "addr", b.addr, "data_dir", cfg.DataDir,
		"partitions", partitions, "sync_writes", cfg.SyncWrites)
	return b, nil
}

// Addr returns the "host:port" clients dial, with the actual port when the
// configuration asked for port 0.
func (b *Broker) Addr() string { return b.addr }

// Close stops listening, drops client connections and, with a DataDir,
// writes the broker's state to disk (committed offsets in flight are applied
// first). It is safe to call more than once; later calls do nothing.
//
// kfake reports persistence failures only to its logger, so they show up in
// the log at error level rather than in the returned error.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() {
		b.cluster.Close()
		b.log.Info("broker stopped", "addr", b.addr)
	})
	return nil
}

// slogLogger adapts slog to kfake's printf-style logger. kfake's info level
// is per-request chatter (group joins and leaves), so it becomes slog's
// debug, and kfake's debug (per-partition detail) drops below that, to
// slog.LevelDebug-4; warnings and errors keep their level. kfake's messages name
// topics, partitions, groups and members, never record contents.
type slogLogger struct{ log *slog.Logger }

func (l slogLogger) Logf(level kfake.LogLevel, format string, args ...any) {
	var sl slog.Level
	switch level {
	case kfake.LogLevelError:
		sl = slog.LevelError
	case kfake.LogLevelWarn:
		sl = slog.LevelWarn
	case kfake.LogLevelInfo:
		sl = slog.LevelDebug
	case kfake.LogLevelDebug:
		sl = slog.LevelDebug - 4
	default:
		return
	}
	ctx := context.Background()
	if !l.log.Enabled(ctx, sl) {
		return
	}
	l.log.Log(ctx, sl, fmt.Sprintf(format, args...))
}
