package finding

import "testing"

func TestNISTSection(t *testing.T) {
	tests := []struct {
		controls []string
		want     string
	}{
		{[]string{"NIST-800-190:4.4.3", "NIST-800-190:4.3.1", "CIS-K8S:5.2.2"}, "4.3.1"},
		{[]string{"CIS-K8S:5.2.2", "NIST-800-190:4.5.5"}, "4.5"},
		{[]string{"NIST-800-190:4.1.4"}, "4.1"},
		{[]string{"PSS:baseline/privileged"}, ""},
		{nil, ""},
		{[]string{"NIST-800-190:9.9"}, ""},
	}
	for _, tc := range tests {
		if got := NISTSection(tc.controls); got != tc.want {
			t.Errorf("NISTSection(%v) = %q, want %q", tc.controls, got, tc.want)
		}
	}
}
