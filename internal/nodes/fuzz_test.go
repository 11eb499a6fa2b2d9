package nodes

import (
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/inventory"
)

// FuzzConfigDocuments feeds arbitrary documents to the configuration
// model and every check: wrongly shaped manifests, kubelet and encryption
// configurations must give notes or verdicts, never a panic.
func FuzzConfigDocuments(f *testing.F) {
	f.Add(pod(APIServer, "--encryption-provider-config=/e.yaml", "--audit-policy-file=/a.yaml", "--authorization-config=/z.yaml", "--authentication-config=/n.yaml") +
		"---\napiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers: [{identity: {}}]\n" +
		"---\napiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers: [{type: Node}]\n" +
		"---\napiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\nanonymous: {enabled: true, conditions: [{path: /x}]}\n")
	f.Add("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication: {anonymous: {enabled: 3}}\nfeatureGates: {A: true}\n")
	f.Add("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources: [1, {resources: 2}, {resources: [secrets], providers: [3, {}]}]\n")
	f.Add(pod(Etcd) + "    env: [{name: ETCD_AUTO_TLS, value: maybe}]\n")
	f.Fuzz(func(t *testing.T, doc string) {
		objs, _ := inventory.ParseBytes("fuzz.yaml", []byte(doc), inventory.Limits{MaxFileBytes: 1 << 20, MaxNodes: 10_000, MaxDepth: 50})
		c := &Config{}
		c.AddObjects(objs)
		c.AddFlagsFile("flags.env", []byte(doc))
		for _, o := range Evaluate(c, ConfigChecks()) {
			for _, r := range o.Results {
				if strings.HasPrefix(r.Message, "internal error") {
					t.Fatalf("%s: %s", o.Check.ID, r.Message)
				}
			}
		}
	})
}
