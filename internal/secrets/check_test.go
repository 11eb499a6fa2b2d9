package secrets

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
)

func TestRegistry(t *testing.T) {
	if err := audit.Validate(Checks()); err != nil {
		t.Fatal(err)
	}
	for _, c := range Checks() {
		if !c.Scan {
			t.Errorf("%s: every check of this package runs on manifests", c.ID)
		}
	}
}

// runCheck parses manifests and runs one check on them.
func runCheck(t *testing.T, id, yaml string, cluster bool) []finding.Finding {
	t.Helper()
	objs, notes := inventory.ParseBytes("m.yaml", []byte(yaml), inventory.DefaultLimits)
	for _, n := range notes {
		if n.Level == finding.NoteError {
			t.Fatalf("fixture: %s", n.Message)
		}
	}
	inv := &inventory.Inventory{Objects: objs}
	if cluster {
		inv.Cluster = &inventory.ClusterInfo{Server: "https://example.invalid"}
	}
	c := audit.Lookup(Checks(), id)
	if c == nil {
		t.Fatalf("no check %s", id)
	}
	return c.Run(inv, &audit.Config{})
}

func TestSecretManifestData(t *testing.T) {
	tests := []struct {
		name, yaml string
		cluster    bool
		want       string // message fragment, "" for none
		line       int
	}{
		{"stringData", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  user: app\n  password: Pa55word-x\n", false,
			"commits 2 values in clear (stringData.password, stringData.user)", 7},
		{"data", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: tls\ntype: kubernetes.io/tls\ndata:\n  tls.key: " + b64("not really a key") + "\n", false,
			"Secret of type kubernetes.io/tls commits 1 value", 7},
		{"empty placeholders", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: \"\"\n  token: changeme\n  key: ${KEY}\n", false, "", 0},
		{"service account token without data", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sa\n  annotations:\n    kubernetes.io/service-account.name: app\ntype: kubernetes.io/service-account-token\n", false, "", 0},
		{"live cluster", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: Pa55word-x\n", true, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := runCheck(t, "secret-manifest-data", tt.yaml, tt.cluster)
			checkOne(t, fs, tt.want, tt.line)
		})
	}
}

func checkOne(t *testing.T, fs []finding.Finding, want string, line int) {
	t.Helper()
	if want == "" {
		if len(fs) != 0 {
			t.Fatalf("got %+v, want none", fs)
		}
		return
	}
	if len(fs) != 1 {
		t.Fatalf("got %d findings %+v, want 1", len(fs), fs)
	}
	if !strings.Contains(fs[0].Message, want) {
		t.Errorf("message %q, want it to contain %q", fs[0].Message, want)
	}
	if fs[0].Place.Line != line {
		t.Errorf("line %d, want %d", fs[0].Place.Line, line)
	}
}

func TestConfigMapCredential(t *testing.T) {
	head := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n"
	tests := []struct {
		name, data string
		want       string
		line       int
	}{
		{"credential-named key", "  LOG_LEVEL: debug\n  DB_PASSWORD: \"s3cr3t-pw\"\n", `key "DB_PASSWORD" holds a literal credential: s3…(9 chars)`, 7},
		{"token format under any key", "  endpoint: " + fakeSlack() + "\n", "rule slack-bot-token", 6},
		{"inside a properties file", "  application.properties: |\n    server.port=8080\n    spring.datasource.password=" + fakeGeneric() + "\n", "rule generic-api-key (line 2 of the value)", 6},
		{"references and settings", "  DB_PASSWORD_FILE: /run/secrets/db\n  TOKEN_TTL: 30s\n  API_KEY: ${API_KEY}\n  AUTH_ENABLED: \"true\"\n  SECRET_NAME: db-creds\n", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := runCheck(t, "configmap-credential", head+tt.data, false)
			checkOne(t, fs, tt.want, tt.line)
			for _, f := range fs {
				if strings.Contains(f.Message, "s3cr3t-pw") {
					t.Errorf("message holds the secret: %q", f.Message)
				}
			}
		})
	}
}

func TestAnnotationCredential(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       string
		line       int
	}{
		{"token in an annotation", "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  annotations:\n    example.com/webhook: " + fakeSlack() + "\n", "rule slack-bot-token", 6},
		{"credential-named annotation", "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  annotations:\n    example.com/api-token: tok-123-abc-xyz\n", `annotation "example.com/api-token" holds a literal credential`, 6},
		{"last-applied copy of a Secret", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"data\":{\"password\":\"" + b64("hunter2-hunter2") + "\"}}'\n", "holds a copy of the Secret's data", 6},
		{"last-applied of a Deployment", "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{\"kind\":\"Service\"}'\n", "", 0},
		{"ordinary annotations", "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  annotations:\n    prometheus.io/port: \"9090\"\n    example.com/token-issuer: https://issuer.example.com\n", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkOne(t, runCheck(t, "annotation-credential", tt.yaml, false), tt.want, tt.line)
		})
	}
}

func b64(s string) string { return base64Std(s) }

func base64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
