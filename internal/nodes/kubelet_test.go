package nodes

import (
	"reflect"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
)

// TestKubeletSettingOrigin: a flag overrides the file, the file overrides
// the default, and the default depends on whether the kubelet reads a
// configuration file.
func TestKubeletSettingOrigin(t *testing.T) {
	cases := []struct {
		name       string
		fx         fixture
		want       string
		origin     Origin
		notAssessd bool
	}{
		{"flag over file", kubelet("authentication: {anonymous: {enabled: false}}\n", "--anonymous-auth=true"), "true", FromFlag, false},
		{"file", kubelet("authentication: {anonymous: {enabled: false}}\n"), "false", FromFile, false},
		{"file default", kubelet("readOnlyPort: 0\n"), "false", FromDefault, false},
		{"command-line default without a file", kubeletFlagsOnly("--node-ip=10.0.0.1"), "true", FromDefault, false},
		{"file named but absent", kubeletFlagsOnly("--config=/var/lib/kubelet/config.yaml"), "", "", true},
		{"flag decides even when the file is absent", kubeletFlagsOnly("--config=/var/lib/kubelet/config.yaml", "--anonymous-auth=false"), "false", FromFlag, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, reason := c.fx.config(t).Kubelet.Get(kAnonymous)
			if c.notAssessd {
				if reason == "" {
					t.Fatalf("got %v, want not assessed", v)
				}
				return
			}
			if reason != "" || v.Text != c.want || v.Origin != c.origin {
				t.Errorf("got %q (%s) %q, want %q (%s)", v.Text, v.Origin, reason, c.want, c.origin)
			}
		})
	}
	// Defaults differ: the read-only port is closed by default only with a file.
	if v, _ := kubeletFlagsOnly("--v=2").config(t).Kubelet.Get(kReadOnlyPort); v.Text != "10255" {
		t.Errorf("read-only port without a file = %s, want 10255", v.Text)
	}
	if v, _ := kubelet("").config(t).Kubelet.Get(kReadOnlyPort); v.Text != "0" {
		t.Errorf("read-only port with a file = %s, want 0", v.Text)
	}
}

// A wrongly typed setting is an input error with its line, not a
// silent default.
func TestKubeletConfigTypeError(t *testing.T) {
	objs, _ := inventory.ParseBytes("config.yaml", []byte("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nreadOnlyPort: notanumber\n"), inventory.Limits{})
	c := &Config{}
	c.AddObjects(objs)
	if len(c.Notes) != 1 || c.Notes[0].Level != finding.NoteError || c.Notes[0].Line != 3 || !strings.Contains(c.Notes[0].Message, "readOnlyPort") {
		t.Fatalf("notes %+v, want one error at line 3", c.Notes)
	}
}

func TestParseFlagsFile(t *testing.T) {
	env := "# kubeadm\nKUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=unix:///run/containerd.sock --node-ip=10.0.0.1\"\nOTHER=--ignored\n"
	argv, places := ParseFlagsFile("kubeadm-flags.env", []byte(env))
	if !reflect.DeepEqual(argv, []string{"--container-runtime-endpoint=unix:///run/containerd.sock", "--node-ip=10.0.0.1"}) {
		t.Errorf("env file: %q", argv)
	}
	if len(places) != 2 || places[1].Line != 2 {
		t.Errorf("places %+v", places)
	}
	dropin := "[Service]\nEnvironment=\"KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf\"\nEnvironment=\"KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml\"\nExecStart=/usr/bin/kubelet $KUBELET_CONFIG_ARGS\n"
	argv, _ = ParseFlagsFile("10-kubeadm.conf", []byte(dropin))
	want := []string{"--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf", "--kubeconfig=/etc/kubernetes/kubelet.conf", "--config=/var/lib/kubelet/config.yaml"}
	if !reflect.DeepEqual(argv, want) {
		t.Errorf("drop-in: %q, want %q", argv, want)
	}
}

func TestSplitWords(t *testing.T) {
	cases := map[string][]string{
		`a b  c`:           {"a", "b", "c"},
		`"a b" 'c d' e\ f`: {"a b", "c d", "e f"},
		`--x="1 2"`:        {"--x=1 2"},
		`""`:               {""},
		`  `:               nil,
	}
	for in, want := range cases {
		if got := splitWords(in); !reflect.DeepEqual(got, want) {
			t.Errorf("splitWords(%q) = %q, want %q", in, got, want)
		}
	}
}
