package secrets

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/zricethezav/gitleaks/v8/detect"
)

// TestGenericGateIsExact checks that mayHoldGenericSecret never turns away
// a line on which gitleaks' generic rule reports a secret, over many line
// shapes: assignments in many languages, quotes, operators, values of
// varied length and alphabet, and lines of code that only mention keys.
func TestGenericGateIsExact(t *testing.T) {
	generic := gitleaksOnly(t, genericRule)
	r := rand.New(rand.NewPCG(1, 2))
	keys := []string{"api_key", "apiKey", "password", "client.secret", "AUTH_TOKEN", "access-key", "creds", "db_passwd"}
	ops := []string{"=", ": ", " = ", ":=", " => ", "?=", ",", "||", ">", ":::="}
	quotes := []string{"", "\"", "'", "`", "= \"", "  "}
	alphabets := []string{alnum, lower + digits, upper + digits + "_-", alnum + "+/", "abcdef0123456789", alnum + ".=-", "abc123"}
	tried, fired := 0, 0
	for range 4000 {
		val := fake(r.Uint64(), "", alphabets[r.IntN(len(alphabets))], 6+r.IntN(40))
		q := quotes[r.IntN(len(quotes))]
		line := fmt.Sprintf("%s%s%s%s%s%s\n", strings.Repeat(" ", r.IntN(3)), keys[r.IntN(len(keys))], ops[r.IntN(len(ops))], q, val, strings.TrimPrefix(q, "= "))
		if r.IntN(3) == 0 {
			line = "x := cfg." + line
		}
		tried++
		//lint:ignore SA1019 DetectContext takes this type until gitleaks v9.
		got := generic.DetectContext(context.Background(), detect.Fragment{Raw: line})
		if len(got) > 0 {
			fired++
			if !mayHoldGenericSecret([]byte(line)) {
				t.Fatalf("gate turned away %q, on which the generic rule fires", line)
			}
		}
	}
	if fired < tried/10 {
		t.Fatalf("only %d of %d lines fired the generic rule: the test checks too little", fired, tried)
	}
	for _, line := range []string{
		"\tTolerationsAnnotationKey string = \"kubernetes\"\n",
		"// SeccompPodAnnotationKey represents the key of a seccomp profile applied\n",
		"return fmt.Errorf(\"token %s: %w\", name, err)\n",
	} {
		if mayHoldGenericSecret([]byte(line)) {
			t.Errorf("gate lets through %q, where no secret can be", line)
		}
	}
}
