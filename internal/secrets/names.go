package secrets

import (
	"github.com/rampart-dev/rampart/internal/credname"
	"regexp"
	"strings"
)

// describingParts are last words of a key that describe a secret rather
// than hold it: secretName, tokenFile, passwordKey, existingSecret's name,
// tokenTTL, authEnabled.
var describingParts = map[string]bool{
	"file": true, "path": true, "dir": true, "name": true, "names": true, "url": true, "uri": true,
	"endpoint": true, "host": true, "port": true, "enabled": true, "enable": true, "disabled": true,
	"required": true, "ttl": true, "timeout": true, "expiry": true, "expiration": true, "lifetime": true,
	"duration": true, "interval": true, "length": true, "size": true, "count": true, "header": true,
	"type": true, "mode": true, "method": true, "provider": true, "algorithm": true, "issuer": true,
	"audience": true, "user": true, "username": true, "id": true, "ref": true, "key": true, "keys": true,
	"version": true, "policy": true, "strategy": true, "format": true, "scope": true, "scopes": true,
	"prefix": true, "field": true, "hint": true, "store": true, "backend": true, "annotations": true,
	"labels": true, "create": true, "mount": true, "volume": true, "env": true, "kind": true,
}

// credentialKey reports whether a configuration key names a credential.
// Only the last segment of a dotted key counts: auth.enabled is a switch.
func credentialKey(key string) bool {
	if i := strings.LastIndexAny(key, "./"); i >= 0 {
		key = key[i+1:]
	}
	// existingSecret, secretRef and the like point at a Secret by name.
	if ws := credname.Words(key); len(ws) > 0 && ws[0] == "existing" {
		return false
	}
	return credname.Holds(key, describingParts)
}

var (
	// settingValue is a number or a duration: a setting, not a secret.
	settingValue = regexp.MustCompile(`^(?:[0-9]{1,4}|[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h|d))$`)
	// plainURL is a URL without a password in it.
	plainURL = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*://[^\s@]*$`)
	// templateExpr is a Helm/Go template or an environment reference
	// anywhere in the value.
	templateExpr = regexp.MustCompile(`\{\{.*\}\}|\$\{[^}]*\}|\$\([A-Za-z_][A-Za-z0-9_]*\)`)
)

// notSecretValues configure rather than authenticate.
var notSecretValues = map[string]bool{
	"true": true, "false": true, "yes": true, "no": true, "on": true, "off": true, "enabled": true,
	"disabled": true, "none": true, "null": true, "nil": true, "required": true, "optional": true,
	"secret": true, "password": true, "token": true, "opaque": true,
}

// literalCredential reports whether the value of a credential-named key is
// a credential itself rather than a reference, a placeholder, a path, a
// plain URL, a setting or a mask.
func literalCredential(value string) bool {
	v := strings.TrimSpace(value)
	switch {
	case len(v) < 4, strings.ContainsAny(v, " \n\t") && len(v) > 64,
		notSecretValues[strings.ToLower(v)], settingValue.MatchString(v), sameRune(v),
		strings.HasPrefix(v, "/"), strings.HasPrefix(v, "./"), plainURL.MatchString(v),
		templateExpr.MatchString(v), placeholder(v):
		return false
	}
	return true
}

// sameRune reports whether s repeats one character, as masks (********) and
// placeholders (xxxx) do.
func sameRune(s string) bool {
	for _, r := range s {
		if r != rune(s[0]) {
			return false
		}
	}
	return true
}
