package nodes

import (
	"fmt"
	"strings"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
)

// encryptionChecks treat encryption at rest in full: no configuration,
// identity first, Secrets not covered, a weak provider, a key in the file.
var encryptionChecks = []*Check{
	{ID: "apiserver-encryption-config", CIS: "1.2.27", Manual: true, Authn: true, Component: APIServer, FlagsOnly: true, Severity: finding.High,
		Title:       "Secrets not encrypted at rest",
		Description: "Fires when --encryption-provider-config is not set: Secrets are stored in etcd in plain text, readable by anyone with access to etcd, its disks or its backups.",
		Remediation: editAPIServer + "set --encryption-provider-config to an EncryptionConfiguration that encrypts secrets with a KMS v2 provider, then rewrite every Secret (kubectl get secrets -A -o json | kubectl replace -f -).",
		Eval:        flagsSet(APIServer, "Secrets are stored in etcd in plain text", "encryption-provider-config")},
	{ID: "encryption-secrets-not-covered", CIS: "1.2.28", Manual: true, Authn: true, Component: APIServer, Severity: finding.High,
		Title:       "Encryption configuration does not cover Secrets",
		Description: "Fires when no resources entry of the EncryptionConfiguration matches secrets (by secrets, *. or *.*): Secrets are stored in plain text although encryption is configured.",
		Remediation: "Add secrets to the resources of an entry of the EncryptionConfiguration whose first provider is kms (v2), restart the API servers and rewrite every Secret.",
		Eval:        encryptionEval(secretsCovered)},
	{ID: "encryption-identity-first", CIS: "1.2.28", Manual: true, Authn: true, Component: APIServer, Severity: finding.High,
		Title:       "Encryption configuration writes in plain text",
		Description: "Fires when the first provider of the EncryptionConfiguration entry that covers secrets is identity: the first provider is the one new data is written with, so Secrets are written unencrypted.",
		Remediation: "Put an encrypting provider (kms v2) first in the entry that covers secrets and keep identity after it only while old data is rewritten.",
		Eval:        encryptionEval(identityFirst)},
	{ID: "encryption-weak-provider", CIS: "1.2.28", Manual: true, Authn: true, Component: APIServer, Severity: finding.Medium,
		Title:       "Secrets encrypted with aescbc",
		Description: "Fires when Secrets are written with the aescbc provider, which the Kubernetes documentation no longer recommends: CBC without authentication is open to padding-oracle attacks.",
		Remediation: "Switch the entry that covers secrets to a kms v2 provider (or secretbox), restart the API servers and rewrite every Secret.",
		Eval:        encryptionEval(weakProvider)},
	{ID: "encryption-key-in-file", CIS: "1.2.28", Manual: true, Authn: true, Component: APIServer, Severity: finding.Medium,
		Title:       "Encryption key stored beside the data",
		Description: "Fires when Secrets are written with aescbc, aesgcm or secretbox: their key sits in the EncryptionConfiguration on every control-plane node, so whoever copies a node's disk or backup gets both the data and the key. A KMS provider keeps the key outside the cluster.",
		Remediation: "Use a kms v2 provider backed by an external key management service for secrets, restart the API servers and rewrite every Secret.",
		Eval:        encryptionEval(keyInFile)},
}

// encryptionEntry is the EncryptionConfiguration entry that decides how
// Secrets are written: the first whose resources match them, as the API
// server picks it.
type encryptionEntry struct {
	doc       *inventory.Object
	index     int
	providers []string
}

func (e encryptionEntry) path() inventory.FieldPath {
	return inventory.FieldPath("resources").Index(e.index)
}

func (e encryptionEntry) value(what string, p inventory.FieldPath) Value {
	return Value{Setting: string(p), Text: what, Origin: FromFile, Place: e.doc.Place(p)}
}

// encryptionEval finds the EncryptionConfiguration the API server reads
// and the entry for Secrets, and hands them to f; secrets is nil when no
// entry covers them.
func encryptionEval(f func(doc *inventory.Object, secrets *encryptionEntry) Result) evalFunc {
	return onProcess(APIServer, func(c *Config, p *Process) Result {
		v, set := p.Flag("encryption-provider-config", "")
		if !set {
			return notAssessed("no --encryption-provider-config: nothing is encrypted (see apiserver-encryption-config)")
		}
		doc, why := c.Doc("EncryptionConfiguration", v.Text)
		if doc == nil {
			return notAssessed("%s", why)
		}
		res := f(doc, secretsEntry(doc))
		if res.Object == (finding.ObjectRef{}) {
			res.Object = doc.Ref()
		}
		return res
	})
}

func secretsEntry(doc *inventory.Object) *encryptionEntry {
	entries, _ := doc.Raw["resources"].([]any)
	for i, x := range entries {
		m, _ := x.(map[string]any)
		rs, _ := m["resources"].([]any)
		match := false
		for _, r := range rs {
			if s, _ := r.(string); s == "secrets" || s == "secrets." || s == "*." || s == "*.*" {
				match = true
			}
		}
		if !match {
			continue
		}
		e := &encryptionEntry{doc: doc, index: i}
		ps, _ := m["providers"].([]any)
		for _, pr := range ps {
			pm, _ := pr.(map[string]any)
			for name := range pm {
				e.providers = append(e.providers, name)
			}
		}
		return e
	}
	return nil
}

func secretsCovered(doc *inventory.Object, e *encryptionEntry) Result {
	if e == nil {
		v := Value{Setting: "resources", Text: "no entry for secrets", Origin: FromFile, Place: doc.Place("resources")}
		return judge(false, v, "", "Secrets are stored in plain text")
	}
	p := e.path().Key("resources")
	return judge(true, e.value("covers secrets", p), "an entry covers secrets", "")
}

func firstProvider(doc *inventory.Object, e *encryptionEntry, f func(first string) (bool, string, string)) Result {
	if e == nil {
		return notAssessed("no entry covers secrets (see encryption-secrets-not-covered)")
	}
	if len(e.providers) == 0 {
		return judge(false, e.value("no providers", e.path()), "", "the entry for secrets lists no provider")
	}
	first := e.providers[0]
	ok, pass, fail := f(first)
	return judge(ok, e.value(first, e.path().Key("providers").Index(0)), pass, fail)
}

func identityFirst(doc *inventory.Object, e *encryptionEntry) Result {
	return firstProvider(doc, e, func(first string) (bool, string, string) {
		return first != "identity", "Secrets are written with " + first, "identity is the first provider: Secrets are written in plain text"
	})
}

func weakProvider(doc *inventory.Object, e *encryptionEntry) Result {
	return firstProvider(doc, e, func(first string) (bool, string, string) {
		return first != "aescbc", "Secrets are not written with aescbc", "aescbc is open to padding-oracle attacks and no longer recommended"
	})
}

func keyInFile(doc *inventory.Object, e *encryptionEntry) Result {
	return firstProvider(doc, e, func(first string) (bool, string, string) {
		switch first {
		case "aescbc", "aesgcm", "secretbox":
			return false, "", fmt.Sprintf("the %s key is in the EncryptionConfiguration on the node's disk, beside the data it protects", first)
		case "identity":
			return true, "no key is used (see encryption-identity-first)", ""
		}
		return true, "Secrets are written with a " + strings.ToUpper(first) + " provider; the key stays outside the node", ""
	})
}
