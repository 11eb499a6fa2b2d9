package nodes

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseCommandLine(t *testing.T) {
	cases := []struct {
		name       string
		argv       []string
		args       []Arg
		positional []string
	}{
		{"equals and space", []string{"--a=1", "--b", "2"}, []Arg{{Name: "a", Value: "1", Index: 0}, {Name: "b", Value: "2", Index: 1}}, nil},
		{"bare boolean", []string{"--profiling", "--x=y"}, []Arg{{Name: "profiling", Value: "true", Bare: true, Index: 0}, {Name: "x", Value: "y", Index: 1}}, nil},
		{"a boolean takes no separate value", []string{"--profiling", "false"}, []Arg{{Name: "profiling", Value: "true", Bare: true, Index: 0}}, []string{"false"}},
		{"a boolean with =", []string{"--anonymous-auth=false"}, []Arg{{Name: "anonymous-auth", Value: "false", Index: 0}}, nil},
		{"a non-boolean takes the next argument whatever it is", []string{"--token-auth-file", "--profiling"}, []Arg{{Name: "token-auth-file", Value: "--profiling", Index: 0}}, nil},
		{"missing value at the end", []string{"--client-ca-file"}, []Arg{{Name: "client-ca-file", Bare: true, Index: 0}}, nil},
		{"underscores are dashes", []string{"--service_account_lookup=false"}, []Arg{{Name: "service-account-lookup", Value: "false", Index: 0}}, nil},
		{"double dash ends flags", []string{"--a=1", "--", "--b=2"}, []Arg{{Name: "a", Value: "1", Index: 0}}, []string{"--b=2"}},
		{"shorthand skipped with its value", []string{"-v", "2", "--a=1", "-v=4"}, []Arg{{Name: "a", Value: "1", Index: 2}}, nil},
		{"empty value kept", []string{"--a="}, []Arg{{Name: "a", Value: "", Index: 0}}, nil},
		{"positional", []string{"serve", "-", "--a=1"}, []Arg{{Name: "a", Value: "1", Index: 2}}, []string{"serve", "-"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ParseCommandLine(c.argv, isBoolFlag)
			if !reflect.DeepEqual(got.Args, c.args) || !reflect.DeepEqual(got.Positional, c.positional) {
				t.Errorf("got %+v %q, want %+v %q", got.Args, got.Positional, c.args, c.positional)
			}
		})
	}
}

func TestRepeatedFlags(t *testing.T) {
	cl := ParseCommandLine([]string{
		"--profiling=true", "--enable-admission-plugins=A,B", "--profiling=false", "--enable-admission-plugins", "C",
		"--feature-gates=X=true,Gate=false", "--feature-gates=Gate=true",
	}, isBoolFlag)
	if a, _ := cl.Last("profiling"); a.Value != "false" {
		t.Errorf("last profiling = %q, want the last occurrence", a.Value)
	}
	if items, _ := cl.List("enable-admission-plugins"); !reflect.DeepEqual(items, []string{"A", "B", "C"}) {
		t.Errorf("list = %q: repeated list flags append", items)
	}
	if v, _, set := cl.FeatureGate("Gate"); !set || !v {
		t.Errorf("gate = %v %v: a later --feature-gates overrides", v, set)
	}
	if _, _, set := cl.FeatureGate("Other"); set {
		t.Error("an absent gate is set")
	}
}

func FuzzParseCommandLine(f *testing.F) {
	for _, s := range [][]string{{"--a=1", "--b", "2"}, {"--profiling", "false", "--", "x"}, {"-v", "--feature-gates=A=true,B"}, {"--", "--"}, {"---=", "--_="}} {
		f.Add(strings.Join(s, "\x00"))
	}
	f.Fuzz(func(t *testing.T, s string) {
		argv := strings.Split(s, "\x00")
		cl := ParseCommandLine(argv, isBoolFlag)
		for _, a := range cl.Args {
			if a.Name == "" || a.Index < 0 || a.Index >= len(argv) {
				t.Fatalf("bad arg %+v of %q", a, argv)
			}
		}
		if len(cl.Args)+len(cl.Positional) > len(argv) {
			t.Fatalf("more results than arguments: %q", argv)
		}
		cl.List("a")
		cl.FeatureGate("A")
	})
}
