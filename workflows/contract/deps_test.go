package contract_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/paycancel/paycancel/workflows/contract"
)

// The dependency rules of the repository, as a table of allowed arrows between
// its packages (non-test code, as `go list` reports it). Each package falls under
// the first rule whose "who" matches it; every one of its imports inside the
// module must match one of the rule's "may" patterns. Imports outside the module
// (the standard library, the Temporal SDK, third parties) are free, except where
// a "never links" rule says otherwise. A package no rule names fails the test:
// a new folder gets its row here, and a line in the README's Layout section.
//
// Patterns: "a/b" is that package; "a/b/..." is it and every package below it;
// "<adapter>" is a provider adapter (providers/<name> for each of
// contract.ProviderNames); "<sim>" is a provider simulator or its kit: a package
// under providers/sim/.
var rules = []struct {
	who string
	may []string
	why string
}{
	{"providers", nil,
		"the provider port (Provider, Outcome, keys, secrets, transport): the standard library only, so every package may speak its vocabulary"},
	{"<adapter>", []string{"providers"},
		"an adapter speaks to one provider through the port; it never imports a simulator (a server that signs as the provider must not be linked into production code), another adapter, or paycancel"},
	{"<sim>", []string{"providers", "<adapter>", "<sim>", "providers/providertest"},
		"simulators import the adapters (their wire types and signing), never the reverse; the contract suite beside them also uses the adapters' shared test helpers"},
	{"providers/...", []string{"providers/..."},
		"provider tooling beside the adapters (simulators' runner, dev keys, shared test suites): the providers tree only, never paycancel's workflows, activities, worker or starter"},
	{"workflows/contract/...", []string{"workflows/contract/...", "providers"},
		"the wire contract an order service imports: the SDK, the standard library and the provider vocabulary only"},
	{"activities/...", []string{"activities/...", "workflows/contract/...", "providers"},
		"the activities call providers through the port and speak the contract; the worker's configuration reaches them through an interface (activities.Config), never an import of worker/ or starter/"},
	{"workflows/...", []string{"workflows/...", "activities", "providers"},
		"the workflows implement the contract and name the activities (their methods and types); never worker/ or starter/"},
	{"starter/paycancel", []string{"workflows/contract/..."},
		"the Go API for order services: the contract and the SDK only"},
	{"starter/bench/...", []string{"..."},
		"a benchmark tool: it runs its own worker and dev server, so it may import anything in the module"},
	{"starter/...", []string{"starter/...", "workflows/contract/...", "worker/connect", "worker/demo", "worker/logging"},
		"the starter CLI: the Go API and the contract; from worker/ only the connection flags, the demo driver and the logger, none of which links a Temporal server (a rule below checks the binary)"},
	{"worker/...", []string{"worker/...", "workflows/...", "activities/...", "providers/..."},
		"the worker wires configuration, adapters, simulators, activities and workflows; it never imports starter/"},
}

// Modules a binary must never link, with the reason.
var neverLinks = []struct {
	binary  string
	modules []string
	why     string
}{
	{"starter", []string{"go.temporal.io/server", "github.com/temporalio/ui-server"},
		"the starter CLI is what operators install next to an order service: it talks to a Temporal cluster, it embeds neither a Temporal server nor the Web UI"},
	{"starter/paycancel", []string{"go.temporal.io/server", "github.com/temporalio/ui-server"},
		"order services import the Go API"},
	{"workflows/contract", []string{"go.temporal.io/server", "github.com/temporalio/ui-server", "github.com/spf13/pflag", "go.uber.org/zap"},
		"the contract links the SDK and nothing of the worker's tooling"},
}

// pendingExceptions are arrows the table forbids that still exist while a known
// move is under way; the test tolerates exactly these and fails once one is gone
// (delete its line then). None today.
var pendingExceptions = map[string]string{}

const module = "github.com/paycancel/paycancel"

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

var listed struct {
	sync.Once
	pkgs []pkg
	err  error
}

// listPackages lists the module's packages once per test binary.
func listPackages(t *testing.T) []pkg {
	t.Helper()
	listed.Do(func() { listed.pkgs, listed.err = goList() })
	if listed.err != nil {
		t.Fatal(listed.err)
	}
	return listed.pkgs
}

func goList() ([]pkg, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOMOD: %v", err)
	}
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", "./...")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(out)))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	data, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		return nil, fmt.Errorf("go list found only %d packages", len(pkgs))
	}
	return pkgs, nil
}

func isAdapter(rel string) bool {
	name, ok := strings.CutPrefix(rel, "providers/")
	return ok && slices.Contains(contract.ProviderNames, name)
}

func isSim(rel string) bool {
	return matches("providers/sim/...", rel)
}

// matches reports whether the module-relative path rel matches pattern.
func matches(pattern, rel string) bool {
	switch pattern {
	case "...":
		return true
	case "<adapter>":
		return isAdapter(rel)
	case "<sim>":
		return isSim(rel) && !isAdapter(rel)
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return rel == base || strings.HasPrefix(rel, base+"/")
	}
	return rel == pattern
}

func TestDependencyRules(t *testing.T) {
	pkgs := listPackages(t)
	seen := map[string]bool{}
	for _, p := range pkgs {
		rel, ok := strings.CutPrefix(p.ImportPath, module+"/")
		if !ok {
			continue // the module root has no package
		}
		r := -1
		for i, rule := range rules {
			if matches(rule.who, rel) {
				r = i
				break
			}
		}
		if r < 0 {
			t.Errorf("%s: no dependency rule names this package; add a row to the table in deps_test.go (and a paragraph to the README's Layout)", rel)
			continue
		}
		for _, imp := range p.Imports {
			irel, ok := strings.CutPrefix(imp, module+"/")
			if !ok {
				continue
			}
			allowed := false
			for _, m := range rules[r].may {
				allowed = allowed || matches(m, irel)
			}
			arrow := rel + " -> " + irel
			if allowed {
				continue
			}
			if _, ok := pendingExceptions[arrow]; ok {
				seen[arrow] = true
				continue
			}
			t.Errorf("%s imports %s: forbidden by the rule for %q (may import %s): %s",
				rel, irel, rules[r].who, strings.Join(orNothing(rules[r].may), ", "), rules[r].why)
		}
	}
	for arrow, why := range pendingExceptions {
		if !seen[arrow] {
			t.Errorf("pending exception %q (%s) no longer occurs: delete it from pendingExceptions", arrow, why)
		}
	}
}

func orNothing(may []string) []string {
	if len(may) == 0 {
		return []string{"nothing in the module"}
	}
	return may
}

func TestBinariesLinkNoServer(t *testing.T) {
	pkgs := listPackages(t)
	for _, n := range neverLinks {
		var found *pkg
		for i := range pkgs {
			if pkgs[i].ImportPath == module+"/"+n.binary {
				found = &pkgs[i]
			}
		}
		if found == nil {
			t.Errorf("%s: no such package", n.binary)
			continue
		}
		reported := map[string]bool{} // one error per module is enough
		for _, d := range found.Deps {
			for _, m := range n.modules {
				if (d == m || strings.HasPrefix(d, m+"/")) && !reported[m] {
					reported[m] = true
					t.Errorf("%s links %s (module %s), which it must not: %s", n.binary, d, m, n.why)
				}
			}
		}
	}
}

// TestRulesMatchTheirPatterns keeps the table honest: every pattern in it names
// at least one package that exists (a rule for a folder that was renamed away
// would otherwise pass silently).
func TestRulesMatchTheirPatterns(t *testing.T) {
	pkgs := listPackages(t)
	names := func(pattern string) bool {
		for _, p := range pkgs {
			if rel, ok := strings.CutPrefix(p.ImportPath, module+"/"); ok && matches(pattern, rel) {
				return true
			}
		}
		return false
	}
	for _, r := range rules {
		if !names(r.who) {
			t.Errorf("rule %q matches no package", r.who)
		}
		for _, m := range r.may {
			if !names(m) {
				t.Errorf("rule %q: allowed import %q matches no package", r.who, m)
			}
		}
	}
}
