package credname

import (
	"strings"
	"testing"
)

func TestWords(t *testing.T) {
	tests := map[string]string{
		"DB_PASSWORD":      "db password",
		"dbPassword_FILE":  "db password file",
		"APIKey":           "api key",
		"my-api.key":       "my api key",
		"OAuth2Token":      "o auth2 token",
		"HTTPServerSecret": "http server secret",
		"__":               "",
	}
	for in, want := range tests {
		if got := strings.Join(Words(in), " "); got != want {
			t.Errorf("Words(%q) = %q, want %q", in, got, want)
		}
	}
}

// Both callers' rules, in one table: a credential word or whole part
// makes a credential, a describing last word or a tokenizer does not.
func TestHolds(t *testing.T) {
	describing := map[string]bool{"file": true, "name": true, "ttl": true}
	tests := map[string]bool{
		"DB_PASSWORD":     true,
		"dbPassword":      true,
		"api-key":         true, // words are joined: apikey
		"apiKey":          true,
		"BASIC_AUTH":      true,
		"AUTHOR":          false,
		"PASSENGER_COUNT": false,
		"DB_PASS":         true,
		"SECRET_NAME":     false,
		"tokenFile":       false,
		"TOKEN_TTL":       false,
		"TOKENIZER_MODEL": false,
		"clientSecret":    true,
		"":                false,
		"__":              false,
	}
	for name, want := range tests {
		if got := Holds(name, describing); got != want {
			t.Errorf("Holds(%q) = %v, want %v", name, got, want)
		}
	}
}
