package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// decodeError renders a YAML decoding error as one line per problem:
//
//	config <file>: line <n>: <field path>: <problem>
//
// yaml.v3 reports a line and Go type names ("field secrte not found in type
// config.Notify"); the path (merchants.acme.notify.secrte) is found in the parsed node
// tree and the type names become the YAML field names an operator can write.
func decodeError(name string, data []byte, err error) error {
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root) // best effort: without a tree, no paths
	index := indexNodes(&root)
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	out := make([]string, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, fmt.Sprintf("config %s: %s", name, describe(index, m)))
	}
	return errors.New(strings.Join(out, "\n"))
}

var (
	lineRE       = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownRE    = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)
	cannotRE     = regexp.MustCompile("^cannot unmarshal !!(\\w+) `(.*)` into (\\S+)$")
	cannotKindRE = regexp.MustCompile(`^cannot unmarshal !!(\w+) into (\S+)$`)
)

func describe(index []nodeAt, msg string) string {
	m := lineRE.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	line, _ := strconv.Atoi(m[1])
	problem := m[2]
	if u := unknownRE.FindStringSubmatch(problem); u != nil {
		field, typ := u[1], u[2]
		problem = fmt.Sprintf("unknown field %q", field)
		if known := knownFields[typ]; len(known) > 0 {
			problem += " (known fields: " + strings.Join(known, ", ") + ")"
		}
		if p := findPath(index, line, func(n nodeAt) bool { return n.key && n.value == field }); p != "" {
			return fmt.Sprintf("line %d: %s: %s", line, p, problem)
		}
		return fmt.Sprintf("line %d: %s", line, problem)
	}
	quoted := ""
	if c := cannotRE.FindStringSubmatch(problem); c != nil {
		quoted = c[2]
		problem = fmt.Sprintf("%q is not %s", c[2], friendlyType(c[3]))
	} else if c := cannotKindRE.FindStringSubmatch(problem); c != nil {
		problem = fmt.Sprintf("a %s is not %s", friendlyKind(c[1]), friendlyType(c[2]))
		// The collection that should have been a scalar (or the reverse) starts
		// on this line; the deepest one of that kind is the culprit.
		kind := map[string]yaml.Kind{"seq": yaml.SequenceNode, "map": yaml.MappingNode}[c[1]]
		if kind == 0 {
			kind = yaml.ScalarNode
		}
		if p := findPath(index, line, func(n nodeAt) bool { return !n.key && n.kind == kind }); p != "" {
			return fmt.Sprintf("line %d: %s: %s", line, p, problem)
		}
		return fmt.Sprintf("line %d: %s", line, problem)
	} else if i := strings.Index(problem, `"`); i >= 0 {
		if v, err := strconv.QuotedPrefix(problem[i:]); err == nil {
			quoted, _ = strconv.Unquote(v)
		}
	}
	p := findPath(index, line, func(n nodeAt) bool { return quoted != "" && !n.key && n.value == quoted })
	if p == "" {
		p = findPath(index, line, func(nodeAt) bool { return true })
	}
	if p != "" {
		return fmt.Sprintf("line %d: %s: %s", line, p, problem)
	}
	return fmt.Sprintf("line %d: %s", line, problem)
}

// nodeAt is a node of the parsed file with its field path.
type nodeAt struct {
	line  int
	path  string
	key   bool // a mapping key (its path ends with its own name)
	kind  yaml.Kind
	value string
}

func indexNodes(root *yaml.Node) []nodeAt {
	var out []nodeAt
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if n.Kind != yaml.DocumentNode {
			out = append(out, nodeAt{line: n.Line, path: path, kind: n.Kind, value: n.Value})
		}
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				out = append(out, nodeAt{line: k.Line, path: p, key: true, kind: k.Kind, value: k.Value})
				walk(v, p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	walk(root, "")
	return out
}

// findPath returns the deepest path on line that ok accepts.
func findPath(index []nodeAt, line int, ok func(nodeAt) bool) string {
	best := ""
	for _, n := range index {
		if n.line == line && ok(n) && len(n.path) > len(best) {
			best = n.path
		}
	}
	return best
}

func friendlyType(goType string) string {
	switch {
	case goType == "config.Duration":
		return "a duration such as \"30s\""
	case strings.HasPrefix(goType, "int") || strings.HasPrefix(goType, "uint"):
		return "a whole number"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "bool":
		return "true or false"
	case goType == "string":
		return "a string"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["):
		return "a mapping of names"
	}
	if fields := knownFields[strings.TrimPrefix(goType, "*")]; len(fields) > 0 {
		return "a mapping (fields: " + strings.Join(fields, ", ") + ")"
	}
	return "a " + goType
}

func friendlyKind(tag string) string {
	switch tag {
	case "seq":
		return "list"
	case "map":
		return "mapping"
	case "str":
		return "string"
	}
	return tag
}

// knownFields maps the Go type names yaml.v3 puts in its messages to the YAML
// fields of that type, in declaration order: every struct reachable from File
// through its YAML fields (the adapters' sections included, so a new provider's
// section is known without a line here).
var knownFields = func() map[string][]string {
	m := map[string][]string{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if _, seen := m[t.String()]; seen || t.Kind() != reflect.Struct {
			return
		}
		m[t.String()] = nil
		var names []string
		for i := 0; i < t.NumField(); i++ {
			tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
			if tag != "" && tag != "-" {
				names = append(names, tag)
				walk(t.Field(i).Type)
			}
		}
		m[t.String()] = names
	}
	walk(reflect.TypeOf(File{}))
	return m
}()
