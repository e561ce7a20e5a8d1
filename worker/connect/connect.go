// Package connect is how paycancel's binaries reach Temporal: the connection
// flags (--address, --namespace, --profile) and the client options built from
// Temporal's standard environment configuration with the flags on top. The
// worker and the starter CLI share it. It imports only the Temporal SDK (and its
// envconfig) and pflag: it links no Temporal server, no UI server and nothing of
// the worker, so the starter may import it (one of the few arrows from starter/
// into worker/ that the dependency test allows).
package connect

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/log"
)

// Options are the Temporal connection flags shared by worker and starter.
type Options struct {
	// Address host:port; empty: Temporal's environment configuration, else localhost:7233.
	Address string
	// Namespace; empty: environment configuration, else "default".
	Namespace string
	// Profile of the Temporal client configuration file.
	Profile string
}

// AddFlags adds --address, --namespace and --profile.
func AddFlags(fs *pflag.FlagSet, c *Options) {
	fs.StringVar(&c.Address, "address", "", "Temporal frontend host:port (env TEMPORAL_ADDRESS; default localhost:7233)")
	fs.StringVar(&c.Namespace, "namespace", "", "Temporal namespace (env TEMPORAL_NAMESPACE; default \"default\")")
	fs.StringVar(&c.Profile, "profile", "", "profile in Temporal's client config file (env TEMPORAL_PROFILE)")
}

// ClientOptions builds client options from Temporal's standard environment
// configuration (envconfig: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
// TEMPORAL_TLS_*, profiles in TEMPORAL_CONFIG_FILE) with the flags on top, so the
// same binary reaches a self-hosted cluster or Temporal Cloud.
func ClientOptions(c Options, logger log.Logger) (client.Options, error) {
	opts, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{ConfigFileProfile: c.Profile})
	if err != nil {
		return client.Options{}, fmt.Errorf("temporal client configuration: %w", err)
	}
	if c.Address != "" {
		opts.HostPort = c.Address
	}
	if c.Namespace != "" {
		opts.Namespace = c.Namespace
	}
	if opts.HostPort == "" {
		opts.HostPort = client.DefaultHostPort
	}
	if opts.Namespace == "" {
		opts.Namespace = client.DefaultNamespace
	}
	opts.Logger = logger
	return opts, nil
}

// Dial connects with ClientOptions.
func Dial(ctx context.Context, c Options, logger log.Logger) (client.Client, error) {
	opts, err := ClientOptions(c, logger)
	if err != nil {
		return nil, err
	}
	cl, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connecting to Temporal at %s (namespace %s): %w", opts.HostPort, opts.Namespace, err)
	}
	return cl, nil
}
