package workload

import (
	"github.com/rampart-dev/rampart/internal/credname"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/inventory"
)

// Token-shaped fixtures are assembled at run time so that secret scanners
// (ours included) do not flag this file.
var (
	fakeAWSKey    = "AKIA" + "IOSFODNN7EXAMPLE"
	fakeGitHub    = "ghp" + "_" + strings.Repeat("a1B2", 9)
	fakeSlack     = "xox" + "b-1234567890-abcdefghij"
	fakePEMHeader = "-----BEGIN " + "RSA PRIVATE KEY-----"
	fakeJWT       = "eyJ" + "hbGciOiJIUzI1NiJ9.eyJ" + "zdWIiOiIxMjM0In0.c2lnbmF0dXJlMTIz"
)

func TestLiteralSecret(t *testing.T) {
	tests := []struct {
		name, value string
		want        string
	}{
		{"DB_PASSWORD", "hunter2", "a credential"},
		{"dbPassword", "hunter2", "a credential"},
		{"MYSQL_ROOT_PASSWD", "changeme", "a credential"},
		{"DB_PASS", "s3cr3t!", "a credential"},
		{"redisPwd", "s3cr3t!", "a credential"},
		{"BASIC_AUTH", "admin:admin", "a credential"},
		{"APIKey", "k-123abc", "a credential"},
		{"STRIPE_API_KEY", "anything", "a credential"},
		{"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "a credential"},
		{"GITHUB_TOKEN", "abc", "a credential"},
		{"OAUTH_CLIENT_SECRET", "abc", "a credential"},
		{"GOOGLE_APPLICATION_CREDENTIALS_JSON", "{}", "a credential"},
		{"JWT_SIGNING_KEY", "k", "a credential"},
		{"PASSWORD", "123456", "a credential"},
		{"PASSWORD", "${DB_PASSWORD}x", ""},

		{"DB_PASSWORD", "$(DB_PASSWORD_FROM_SECRET)", ""},
		{"DB_PASSWORD", "prefix-$(OTHER)", ""},
		{"DB_PASSWORD", "${DB_PASSWORD}", ""},
		{"DB_PASSWORD", "{{ .Values.password }}", ""},
		{"DB_PASSWORD", "<your password>", ""},
		{"DB_PASSWORD", "********", ""},
		{"DB_PASSWORD", "   ", ""},
		{"DB_PASSWORD_FILE", "/run/secrets/db", ""},
		{"TOKEN_PATH", "token.txt", ""},
		{"SECRET_NAME", "db-credentials", ""},
		{"AUTH_ENABLED", "yes", ""},
		{"AUTH_MODE", "oidc", ""},
		{"TOKEN_TTL", "3600", ""},
		{"TOKEN", "3600", ""},
		{"TOKEN_REFRESH", "30m", ""},
		{"AUTH_SERVER", "https://auth.example.com/realms/x", ""},
		{"CREDENTIALS", "/etc/creds.json", ""},
		{"AUTHOR", "Jane", ""},
		{"PASSENGER_COUNT_X", "12", ""},
		{"BYPASS_CACHE", "maybe", ""},
		{"TOKENIZER_MODEL", "bert", ""},
		{"AWS_ACCESS_KEY_ID", "not-a-key", ""},
		{"KEYCLOAK_AUTH_REALM", "main", ""},
		{"LOG_LEVEL", "debug", ""},

		{"AWS_ACCESS_KEY_ID", fakeAWSKey, "an AWS access key ID"},
		{"SOME_VALUE", fakeGitHub, "a GitHub token"},
		{"SLACK", fakeSlack, "a Slack token"},
		{"TLS", fakePEMHeader + "\nMIIE...\n", "a private key"},
		{"X", fakeJWT, "a JSON Web Token"},
		{"DATABASE_URL", "postgres://app:hunter2@db:5432/app", "a URL with a password"},
		{"DATABASE_URL", "redis://:hunter2@cache:6379", "a URL with a password"},
		{"DATABASE_URL", "postgres://app:$(DB_PASS)@db:5432/app", ""},
		{"DATABASE_URL", "postgres://app@db:5432/app", ""},
	}
	for _, tc := range tests {
		if got := literalSecret(tc.name, tc.value); got != tc.want {
			t.Errorf("literalSecret(%q, %q) = %q, want %q", tc.name, tc.value, got, tc.want)
		}
	}
}

func TestEnvLiteralSecret(t *testing.T) {
	runCheckCases(t, "env-literal-secret", []checkCase{
		{name: "pod", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
  - name: i
    image: x
    env:
    - {name: MIGRATE_PASSWORD, value: hunter2}
  containers:
  - name: a
    image: x
    env:
    - {name: LOG_LEVEL, value: debug}
    - {name: DB_PASSWORD, value: hunter2}
    - {name: DB_PASSWORD_REF, value: "$(DB_PASSWORD)"}
    - name: API_TOKEN
      valueFrom: {secretKeyRef: {name: s, key: token}}
    - {name: EMPTY_SECRET, value: ""}
    - {name: UPSTREAM, value: "https://user:pw@example.com/"}
  ephemeralContainers:
  - name: e
    image: x
    env:
    - {name: GH, value: "` + fakeGitHub + `"}
`, want: []string{
			"spec.initContainers[0].env[0].value@i",
			"spec.containers[0].env[1].value@a",
			"spec.containers[0].env[5].value@a",
			"spec.ephemeralContainers[0].env[0].value@e",
		}},
		{name: "deployment", manifest: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers:
      - name: a
        image: x
        env:
        - {name: AWS_ACCESS_KEY_ID, value: ` + fakeAWSKey + `}
        - {name: TOKEN_FILE, value: /var/run/token}
`, want: []string{"spec.template.spec.containers[0].env[0].value@a"}},
	})
}

// TestEnvLiteralSecretNeverPrintsTheValue: messages carry the name and a
// fingerprint only.
func TestEnvLiteralSecretNeverPrintsTheValue(t *testing.T) {
	const value = "hunter2-very-secret"
	objs, notes := inventory.ParseBytes("t.yaml", []byte(`
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: a
    image: x
    env: [{name: DB_PASSWORD, value: `+value+`}]
`), inventory.Limits{})
	if len(notes) > 0 || len(objs) != 1 {
		t.Fatalf("fixture: %v", notes)
	}
	rs := Lookup("env-literal-secret").Run(&Target{Object: objs[0], Pod: inventory.PodOf(objs[0]), Config: &Config{}})
	if len(rs) != 1 {
		t.Fatalf("got %d results, want 1", len(rs))
	}
	msg := rs[0].Message
	if strings.Contains(msg, value) || strings.Contains(msg, "hunter") {
		t.Fatalf("message reveals the value: %s", msg)
	}
	if !strings.Contains(msg, `"DB_PASSWORD"`) || !strings.Contains(msg, fingerprint(value)) {
		t.Fatalf("message lacks the name or fingerprint: %s", msg)
	}
	if fp := fingerprint(value); len(fp) != len("sha256:")+4 {
		t.Fatalf("fingerprint %q is not 4 hex digits", fp)
	}
}

func TestEnvSecretRef(t *testing.T) {
	runCheckCases(t, "env-secret-ref", []checkCase{
		{name: "statefulset", manifest: `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: s}
spec:
  template:
    spec:
      initContainers:
      - name: i
        image: x
        envFrom:
        - configMapRef: {name: cm}
        - secretRef: {name: all-secrets}
      containers:
      - name: a
        image: x
        env:
        - {name: PLAIN, value: x}
        - name: FROM_CM
          valueFrom: {configMapKeyRef: {name: cm, key: k}}
        - name: DB_PASSWORD
          valueFrom: {secretKeyRef: {name: db, key: password}}
      ephemeralContainers:
      - name: e
        image: x
        env:
        - name: T
          valueFrom: {secretKeyRef: {name: db, key: token}}
`, want: []string{
			"spec.template.spec.initContainers[0].envFrom[1].secretRef@i",
			"spec.template.spec.containers[0].env[2].valueFrom.secretKeyRef@a",
			"spec.template.spec.ephemeralContainers[0].env[0].valueFrom.secretKeyRef@e",
		}},
		{name: "files only", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: a
    image: x
    volumeMounts: [{name: s, mountPath: /etc/s}]
  volumes:
  - {name: s, secret: {secretName: db}}
`},
	})
}

func FuzzLiteralSecret(f *testing.F) {
	f.Add("DB_PASSWORD", "hunter2")
	f.Add("OAuth2Token", "$(X)")
	f.Add("ÄPass", "xox"+"b-ü")
	f.Fuzz(func(t *testing.T, name, value string) {
		// Must not panic; the parts of a name are lower-case and non-empty.
		_ = literalSecret(name, value)
		for _, p := range credname.Words(name) {
			if p == "" || strings.ToLower(p) != p {
				t.Fatalf("credname.Words(%q) has part %q", name, p)
			}
		}
	})
}
