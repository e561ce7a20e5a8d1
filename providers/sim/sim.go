// Package sim runs the five provider simulators ("sandboxes") together on one HTTP server,
// each under its provider's name (/payermax/…, /alipayplus/…, /gnete/…, /ksher/…,
// /alipayglobal/…), with keys generated once into a folder. `worker --dev`, the
// standalone runner (go run ./providers/sim/sandbox) and the end-to-end tests use it;
// Configs gives the adapter configurations for a runner another process started
// (the production profile's). Providers is the one list of adapter+simulator
// pairs, which the provider contract suite runs line by line.
//
// May import: providers and its adapters, the simulators (providers/sim/...),
// the standard library; never the rest of paycancel.
package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/paycancel/paycancel/providers/alipayglobal"
	"github.com/paycancel/paycancel/providers/alipayplus"
	"github.com/paycancel/paycancel/providers/gnete"
	"github.com/paycancel/paycancel/providers/ksher"
	"github.com/paycancel/paycancel/providers/payermax"
	"github.com/paycancel/paycancel/providers/sim/alipayglobalsim"
	"github.com/paycancel/paycancel/providers/sim/alipayplussim"
	"github.com/paycancel/paycancel/providers/sim/gnetesim"
	"github.com/paycancel/paycancel/providers/sim/kshersim"
	"github.com/paycancel/paycancel/providers/sim/payermaxsim"
	"github.com/paycancel/paycancel/providers/sim/simkit"
)

// Providers is the one list of simulated providers, in a stable order: each
// adapter with its simulator and the contract it answers by. The provider
// contract suite (providers/sim/contracttest) runs every line of it.
var Providers = []simkit.Pair{
	{Name: payermax.Name, Start: simkit.Bind(payermaxsim.Dev, payermax.New), Contract: payermaxsim.Contract},
	{Name: alipayplus.Name, Start: simkit.Bind(alipayplussim.Dev, alipayplus.New), Contract: alipayplussim.Contract},
	{Name: gnete.Name, Start: simkit.Bind(gnetesim.Dev, gnete.New), Contract: gnetesim.Contract},
	{Name: ksher.Name, Start: simkit.Bind(kshersim.Dev, ksher.New), Contract: kshersim.Contract},
	{Name: alipayglobal.Name, Start: simkit.Bind(alipayglobalsim.Dev, alipayglobal.New), Contract: alipayglobalsim.Contract},
}

// Names lists the providers' names in Providers' order.
var Names = func() []string {
	names := make([]string, len(Providers))
	for i, p := range Providers {
		names[i] = p.Name
	}
	return names
}()

// Options configure the set.
type Options struct {
	// Dir holds generated keys and secrets (one sub-folder per provider).
	Dir string
	// Addr to listen on; default 127.0.0.1:8299; ":0"-style picks a free port.
	Addr string
	// CallbackBaseURL is the paycancel worker's callback root: providers whose
	// notification URL lives in their console (PayerMax cancel notifications, Ksher
	// payment webhooks) send to <CallbackBaseURL>/callbacks/<provider>. Empty: none.
	CallbackBaseURL string
	// NotifySchedule overrides every sandbox's notification schedule (tests). Nil:
	// each provider's documented schedule.
	NotifySchedule []time.Duration
	// AccountTag, 1 to 4 digits, is appended to every development account id
	// (PayerMax appId, Alipay+ Client-Id, GNETE mchNo, Ksher appid, Alipay Global
	// partnerId) in both the sandboxes and the configurations: a second set with
	// its own tag plays a second merchant's accounts at the same providers. Empty:
	// the ids as they are.
	AccountTag string
}

// Set is the running sandboxes.
type Set struct {
	URL          string // root, e.g. http://127.0.0.1:8299
	PayerMax     *payermaxsim.Sandbox
	AlipayPlus   *alipayplussim.Sandbox
	GNETE        *gnetesim.Sandbox
	Ksher        *kshersim.Sandbox
	AlipayGlobal *alipayglobalsim.Sandbox

	// Adapter configurations matching the sandboxes' keys, by provider name.
	PayerMaxConfig     payermax.Config
	AlipayPlusConfig   alipayplus.Config
	GNETEConfig        gnete.Config
	KsherConfig        ksher.Config
	AlipayGlobalConfig alipayglobal.Config

	server *http.Server
	ln     net.Listener
}

// Start listens, builds the five sandboxes and serves them.
func Start(opts Options) (*Set, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:8299"
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		var opErr *net.OpError
		if errors.As(err, &opErr) {
			err = opErr.Err
		}
		return nil, fmt.Errorf("sandbox address %s is not available (%v); stop what uses it or choose another with --sandbox-addr", opts.Addr, err)
	}
	s, err := build(opts, "http://"+ln.Addr().String())
	if err != nil {
		ln.Close()
		return nil, err
	}
	s.ln = ln
	s.server = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.server.Serve(ln) }()
	return s, nil
}

// Configs is the set of adapter configurations for sandboxes another process
// serves at root (the runner, `go run ./providers/sim/sandbox --dir dir`): they
// match the keys that runner keeps in dir. Nothing listens: the set's own
// sandboxes are closed, only its configurations are for use. The keys must be
// there already: a missing provider's would be generated anew and match nothing
// running.
func Configs(dir, root string) (*Set, error) {
	for _, n := range Names {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			return nil, fmt.Errorf("no keys for %s in %s: start the sandbox runner with --dir %s first", n, dir, dir)
		}
	}
	s, err := build(Options{Dir: dir}, strings.TrimRight(root, "/"))
	if err != nil {
		return nil, err
	}
	s.Close()
	return s, nil
}

func build(opts Options, root string) (*Set, error) {
	if len(opts.AccountTag) > 4 || strings.Trim(opts.AccountTag, "0123456789") != "" {
		return nil, fmt.Errorf("sandbox account tag %q is not 1 to 4 digits", opts.AccountTag)
	}
	s := &Set{URL: root}
	callback := func(name string) string {
		if opts.CallbackBaseURL == "" {
			return ""
		}
		return strings.TrimRight(opts.CallbackBaseURL, "/") + "/callbacks/" + name
	}
	// at is where a provider's sandbox keeps its keys (DevCredentials creates the
	// folder), where it is mounted and its options.
	at := func(name string) (string, string, simkit.DevOptions) {
		return filepath.Join(opts.Dir, name), root + "/" + name,
			simkit.DevOptions{NotifyURL: callback(name), NotifySchedule: opts.NotifySchedule, AccountTag: opts.AccountTag}
	}
	var err error
	if s.PayerMaxConfig, s.PayerMax, err = payermaxsim.Dev(at(payermax.Name)); err != nil {
		return nil, err
	}
	if s.AlipayPlusConfig, s.AlipayPlus, err = alipayplussim.Dev(at(alipayplus.Name)); err != nil {
		return nil, err
	}
	if s.GNETEConfig, s.GNETE, err = gnetesim.Dev(at(gnete.Name)); err != nil {
		return nil, err
	}
	if s.KsherConfig, s.Ksher, err = kshersim.Dev(at(ksher.Name)); err != nil {
		return nil, err
	}
	if s.AlipayGlobalConfig, s.AlipayGlobal, err = alipayglobalsim.Dev(at(alipayglobal.Name)); err != nil {
		return nil, err
	}
	return s, nil
}

// sims are the sandboxes by provider name.
func (s *Set) sims() map[string]simkit.Sim {
	return map[string]simkit.Sim{payermax.Name: s.PayerMax, alipayplus.Name: s.AlipayPlus, gnete.Name: s.GNETE, ksher.Name: s.Ksher, alipayglobal.Name: s.AlipayGlobal}
}

// Handler serves every sandbox under its provider's name.
func (s *Set) Handler() http.Handler {
	mux := http.NewServeMux()
	for name, sim := range s.sims() {
		mux.Handle("/"+name+"/", http.StripPrefix("/"+name, sim.Handler()))
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		simkit.WriteJSON(w, http.StatusOK, map[string]any{"sandboxes": Names,
			"admin": "POST /<provider>/_sandbox/payments, GET /<provider>/_sandbox/payments/{order}"})
	})
	return mux
}

// Store returns a provider's payment store.
func (s *Set) Store(provider string) (*simkit.Store, bool) {
	sim, ok := s.sims()[provider]
	if !ok {
		return nil, false
	}
	return sim.Payments(), true
}

// Close stops the server and every sandbox's notifier.
func (s *Set) Close() {
	if s.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = s.server.Shutdown(ctx)
		cancel()
		_ = s.server.Close()
	}
	for _, sim := range s.sims() {
		sim.Close()
	}
}
