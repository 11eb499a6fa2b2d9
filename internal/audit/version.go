package audit

import (
	"fmt"
	"regexp"
	"strconv"
)

// version is a Kubernetes release version; only major and minor matter
// to the version skew policy.
type version struct{ major, minor, patch int }

// versionPattern reads gitVersions such as v1.37.2, v1.34.1+k3s1,
// v1.30.4-eks-a737599 or v1.29.3-gke.1093000.
var versionPattern = regexp.MustCompile(`^v?([0-9]+)\.([0-9]+)(?:\.([0-9]+))?(?:[-+].*)?$`)

// parseVersion parses a Kubernetes gitVersion.
func parseVersion(s string) (version, bool) {
	m := versionPattern.FindStringSubmatch(s)
	if m == nil {
		return version{}, false
	}
	var v version
	var err error
	if v.major, err = strconv.Atoi(m[1]); err != nil {
		return version{}, false
	}
	if v.minor, err = strconv.Atoi(m[2]); err != nil {
		return version{}, false
	}
	if m[3] != "" {
		if v.patch, err = strconv.Atoi(m[3]); err != nil {
			return version{}, false
		}
	}
	return v, true
}

// maxKubeletMinorsBehind is how many minor versions a kubelet may be older
// than kube-apiserver under the version skew policy (3 since Kubernetes
// 1.28, 2 before).
const maxKubeletMinorsBehind = 3

// skew compares a kubelet's version with the API server's: the difference
// in minor versions (negative when the kubelet is older) when the majors
// agree, else the difference in major versions with major set.
func skew(kubelet, server version) (n int, major bool) {
	if kubelet.major != server.major {
		return kubelet.major - server.major, true
	}
	return kubelet.minor - server.minor, false
}

// skewString renders a skew as "-2 minor", "+1 minor", "0 minor" or
// "+1 major", or "" when either version cannot be parsed.
func skewString(kubelet, server string) string {
	k, ok1 := parseVersion(kubelet)
	s, ok2 := parseVersion(server)
	if !ok1 || !ok2 {
		return ""
	}
	n, major := skew(k, s)
	unit := "minor"
	if major {
		unit = "major"
	}
	if n > 0 {
		return fmt.Sprintf("+%d %s", n, unit)
	}
	return fmt.Sprintf("%d %s", n, unit)
}

// skewProblem says what is wrong with a kubelet's version, or "" when the
// skew policy allows it.
func skewProblem(kubelet, server version) string {
	n, major := skew(kubelet, server)
	switch {
	case major && n > 0:
		return "a newer major version; the skew policy never allows a kubelet newer than kube-apiserver"
	case major:
		return "an older major version; the skew policy allows a kubelet at most " + strconv.Itoa(maxKubeletMinorsBehind) + " minor versions older than kube-apiserver"
	case n > 0:
		return fmt.Sprintf("%s newer; the skew policy never allows a kubelet newer than kube-apiserver", plural(n, "minor version", "minor versions"))
	case -n > maxKubeletMinorsBehind:
		return fmt.Sprintf("%d minor versions older; the skew policy allows a kubelet at most %d minor versions older than kube-apiserver", -n, maxKubeletMinorsBehind)
	}
	return ""
}
