package nodes

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"
)

// KubeletConfig is the kubelet's configuration: its configuration file
// (a KubeletConfiguration) and its command-line flags, a flag overriding
// the file.
type KubeletConfig struct {
	// Flags is the kubelet's command line; nil when the input has none.
	Flags       *CommandLine
	FlagsSource string
	flagPlaces  []finding.Place
	flagsAt     finding.Place
	// File is the KubeletConfiguration; nil when the input has none.
	File *inventory.Object
	// Typed is File decoded, to validate it.
	Typed kubeletv1beta1.KubeletConfiguration
	// Effective says File is the kubelet's effective configuration (its
	// /configz), in which the flags are already merged: no flag can
	// override it, and a setting only a flag has cannot be known.
	Effective bool
}

// EffectiveKubelet makes the kubelet configuration of a KubeletConfigz
// object (see inventory.KubeletConfigz): the node's effective
// configuration, or why it could not be read.
func EffectiveKubelet(o *inventory.Object) (*KubeletConfig, string) {
	if msg, ok := o.Raw["error"].(string); ok && msg != "" {
		return nil, msg
	}
	kc, ok := o.Raw["kubeletconfig"].(map[string]any)
	if !ok {
		return nil, "the configz record holds no kubeletconfig"
	}
	src := o.Source
	src.Prefix = "kubeletconfig"
	doc := &inventory.Object{APIVersion: "kubelet.config.k8s.io/v1beta1", Kind: "KubeletConfiguration", Name: o.Name, Raw: kc, Source: src}
	k := &KubeletConfig{Effective: true}
	if _, err := k.setConfig(doc); err != nil {
		return nil, err.Error()
	}
	return k, ""
}

// setConfig sets the configuration file; a second one, or one whose
// settings have the wrong types, is an error at the line it names.
func (k *KubeletConfig) setConfig(o *inventory.Object) (int, error) {
	if k.File != nil {
		return o.Source.Line, fmt.Errorf("a second KubeletConfiguration is ignored; the first came from %s (check one node at a time)", k.File.Source.File)
	}
	data, err := json.Marshal(o.Raw)
	if err != nil {
		return o.Source.Line, fmt.Errorf("KubeletConfiguration: %w", err)
	}
	var typed kubeletv1beta1.KubeletConfiguration
	if err := json.Unmarshal(data, &typed); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return o.Place(inventory.FieldPath(te.Field)).Line, fmt.Errorf("KubeletConfiguration: %s: cannot use a %s as %s", te.Field, te.Value, te.Type)
		}
		return o.Source.Line, fmt.Errorf("KubeletConfiguration: %w", err)
	}
	k.File, k.Typed = o, typed
	return 0, nil
}

// SetFlags sets the kubelet's command line (without the program name).
// places gives the place of each argument; at is where the command line
// as a whole is.
func (k *KubeletConfig) SetFlags(argv []string, places []finding.Place, source string, at finding.Place) {
	cl := ParseCommandLine(argv, isBoolFlag)
	if k.Flags != nil {
		// Several flag sources (a systemd drop-in and kubeadm-flags.env)
		// make one command line, in the order given.
		for i := range cl.Args {
			cl.Args[i].Index += len(k.flagPlaces)
		}
		k.Flags.Args = append(k.Flags.Args, cl.Args...)
		k.flagPlaces = append(k.flagPlaces, places...)
		k.FlagsSource += ", " + source
		return
	}
	k.Flags, k.flagPlaces, k.FlagsSource, k.flagsAt = &cl, places, source, at
}

// ConfigPath is the configuration file the kubelet's --config names.
func (k *KubeletConfig) ConfigPath() string {
	if k.Flags == nil {
		return ""
	}
	a, _ := k.Flags.Last("config")
	return a.Value
}

// effective reads a setting from the kubelet's /configz: a field the
// kubelet leaves out there is at its zero value, which for every setting
// read is its configuration-file default.
func (k *KubeletConfig) effective(s kubeletSetting) (Value, string) {
	if len(s.path) == 0 {
		return Value{}, "--" + s.flag + " is a command-line flag only, which the kubelet's configz does not show"
	}
	fp := inventory.FieldPath("").Keys(s.path...)
	v := Value{Setting: strings.Join(s.path, "."), Text: s.fileDefault, Origin: FromDefault, Place: k.File.Place(fp)}
	if raw, ok := rawAt(k.File.Raw, s.path); ok {
		v.Text, v.Origin = rawText(raw), FromConfigz
	}
	return v, ""
}

// kubeletSetting is one kubelet setting: its flag, its path in the
// configuration file, and its defaults. The kubelet has two: the
// KubeletConfiguration v1beta1 defaults apply when it reads a
// configuration file, and its older command-line defaults when it reads
// none (--anonymous-auth defaults to true, authentication.anonymous.enabled
// to false).
type kubeletSetting struct {
	flag        string
	path        []string
	fileDefault string
	flagDefault string
}

// Get returns the value the kubelet uses for a setting, or why it cannot
// be known from the input.
func (k *KubeletConfig) Get(s kubeletSetting) (Value, string) {
	if k.Effective {
		return k.effective(s)
	}
	if k.Flags != nil && s.flag != "" {
		if a, ok := k.Flags.Last(s.flag); ok {
			pl := k.flagsAt
			if a.Index < len(k.flagPlaces) {
				pl = k.flagPlaces[a.Index]
			}
			return Value{Setting: "--" + s.flag, Text: a.Value, Origin: FromFlag, Place: pl}, ""
		}
	}
	dotted := strings.Join(s.path, ".")
	if k.File != nil && len(s.path) > 0 {
		fp := inventory.FieldPath("").Keys(s.path...)
		if v, ok := rawAt(k.File.Raw, s.path); ok {
			return Value{Setting: dotted, Text: rawText(v), Origin: FromFile, Place: k.File.Place(fp)}, ""
		}
		return Value{Setting: dotted, Text: s.fileDefault, Origin: FromDefault, Place: k.File.Place(fp)}, ""
	}
	if k.File != nil {
		// A flag-only setting, not given.
		return Value{Setting: "--" + s.flag, Text: s.flagDefault, Origin: FromDefault, Place: k.flagsAt}, ""
	}
	if p := k.ConfigPath(); p != "" && len(s.path) > 0 {
		return Value{}, fmt.Sprintf("the kubelet reads %s (--config), which is not among the inputs", p)
	}
	if k.Flags == nil {
		return Value{}, "no kubelet configuration or flags in the input"
	}
	return Value{Setting: "--" + s.flag, Text: s.flagDefault, Origin: FromDefault, Place: k.flagsAt}, ""
}

// rawAt returns the value at a path of plain decoded YAML.
func rawAt(raw map[string]any, path []string) (any, bool) {
	var cur any = raw
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// rawText renders a plain YAML value the way a flag would spell it.
func rawText(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case int64:
		return strconv.FormatInt(t, 10)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case []any:
		parts := make([]string, len(t))
		for i, x := range t {
			parts[i] = rawText(x)
		}
		return strings.Join(parts, ",")
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + rawText(t[k])
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

// ParseFlagsFile reads kubelet flags from an environment file such as
// kubeadm's /var/lib/kubelet/kubeadm-flags.env (KUBELET_KUBEADM_ARGS="...")
// or a systemd drop-in (Environment="KUBELET_CONFIG_ARGS=--config=...").
// It returns the flags with the place of each. Only variables whose name
// starts with KUBELET_ are read: they are the ones the kubelet's unit
// passes on its command line.
func ParseFlagsFile(name string, data []byte) ([]string, []finding.Place) {
	var argv []string
	var places []finding.Place
	for i, line := range bytes.Split(data, []byte("\n")) {
		l := strings.TrimSpace(string(line))
		if l == "" || l[0] == '#' || l[0] == ';' {
			continue
		}
		var assigns []string
		if rest, ok := strings.CutPrefix(l, "Environment="); ok {
			assigns = splitWords(rest)
		} else {
			assigns = []string{l}
		}
		for _, as := range assigns {
			as = strings.TrimPrefix(strings.TrimSpace(as), "export ")
			key, val, ok := strings.Cut(as, "=")
			if !ok || !strings.HasPrefix(strings.TrimSpace(key), "KUBELET_") {
				continue
			}
			words := splitWords(val)
			if len(words) == 1 && strings.Contains(words[0], " ") {
				// KEY="--a --b": the quotes held the whole list.
				words = splitWords(words[0])
			}
			for _, w := range words {
				argv = append(argv, w)
				places = append(places, finding.Place{File: name, Line: i + 1})
			}
		}
	}
	return argv, places
}

// splitWords splits a string into words the way a shell does for simple
// quoting: whitespace separates, single and double quotes group, a
// backslash escapes the next character. Environment files need nothing
// more, and no library in the dependency set does it.
func splitWords(s string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	escaped := false
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
