package workload

import "testing"

func TestProbeHostField(t *testing.T) {
	runCheckCases(t, "probe-host-field", []checkCase{
		{name: "probes and hooks", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
  - name: i
    image: x
    startupProbe: {tcpSocket: {port: 5432, host: db.internal}}
  containers:
  - name: a
    image: x
    livenessProbe: {httpGet: {path: /healthz, port: 80}}
    readinessProbe: {httpGet: {path: /, port: 80, host: 169.254.169.254}}
    lifecycle:
      postStart: {httpGet: {path: /, port: 80, host: example.com}}
      preStop: {tcpSocket: {port: 80, host: 10.0.0.1}}
  - name: b
    image: x
    livenessProbe: {grpc: {port: 9000}}
    lifecycle: {preStop: {sleep: {seconds: 5}}}
`, want: []string{
			"spec.initContainers[0].startupProbe.tcpSocket.host@i",
			"spec.containers[0].readinessProbe.httpGet.host@a",
			"spec.containers[0].lifecycle.postStart.httpGet.host@a",
			"spec.containers[0].lifecycle.preStop.tcpSocket.host@a",
		}},
	})
}
