package app

import (
	"context"

	"github.com/spf13/pflag"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/paycancel/paycancel/worker/connect"
)

// ConnectionOptions are the Temporal connection flags (package worker/connect).
type ConnectionOptions = connect.Options

// AddConnectionFlags adds --address, --namespace and --profile (connect.AddFlags).
func AddConnectionFlags(fs *pflag.FlagSet, c *ConnectionOptions) { connect.AddFlags(fs, c) }

// ClientOptions is connect.ClientOptions.
func ClientOptions(c ConnectionOptions, logger log.Logger) (client.Options, error) {
	return connect.ClientOptions(c, logger)
}

// Dial is connect.Dial.
func Dial(ctx context.Context, c ConnectionOptions, logger log.Logger) (client.Client, error) {
	return connect.Dial(ctx, c, logger)
}
