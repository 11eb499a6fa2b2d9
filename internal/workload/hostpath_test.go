package workload

import "testing"

const hostPathPod = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers:
      - name: a
        image: x
        volumeMounts:
        - {name: etc, mountPath: /host/etc, readOnly: true}
        - {name: sock, mountPath: /var/run/docker.sock}
        - {name: data, mountPath: /data, readOnly: false}
        - {name: cfg, mountPath: /cfg}
      - name: b
        image: x
        volumeMounts:
        - {name: var, mountPath: /host/var, readOnly: true}
      volumes:
      - {name: etc, hostPath: {path: /etc/kubernetes/}}
      - {name: sock, hostPath: {path: /var/run/docker.sock, type: Socket}}
      - {name: data, hostPath: {path: /srv/data}}
      - {name: cfg, configMap: {name: c}}
      - {name: var, hostPath: {path: /var}}
`

func TestHostPathVolume(t *testing.T) {
	runCheckCases(t, "host-path-volume", []checkCase{
		{name: "every hostPath", manifest: hostPathPod, want: []string{
			"spec.template.spec.volumes[0].hostPath",
			"spec.template.spec.volumes[1].hostPath",
			"spec.template.spec.volumes[2].hostPath",
			"spec.template.spec.volumes[4].hostPath",
		}},
		{name: "none", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: a, image: x}]
  volumes: [{name: e, emptyDir: {}}]
`},
	})
}

func TestHostPathSensitive(t *testing.T) {
	runCheckCases(t, "host-path-sensitive", []checkCase{
		{name: "inside /etc and ancestor of /var/lib/kubelet", manifest: hostPathPod, want: []string{
			"spec.template.spec.volumes[0].hostPath.path",
			"spec.template.spec.volumes[4].hostPath.path",
		}},
		{name: "root, unclean paths and near misses", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: a, image: x}]
  volumes:
  - {name: root, hostPath: {path: /}}
  - {name: proc, hostPath: {path: //proc/../proc/1}}
  - {name: etcd, hostPath: {path: /var/lib/etcd}}
  - {name: etcx, hostPath: {path: /etcetera}}
  - {name: opt, hostPath: {path: /opt/cni/bin}}
  - {name: win, hostPath: {path: 'C:\var'}}
`, want: []string{"spec.volumes[0].hostPath.path", "spec.volumes[1].hostPath.path", "spec.volumes[2].hostPath.path"}},
	})
}

func TestHostPathRuntimeSocket(t *testing.T) {
	runCheckCases(t, "host-path-runtime-socket", []checkCase{
		{name: "docker.sock and a directory holding it", manifest: hostPathPod, want: []string{
			"spec.template.spec.volumes[1].hostPath.path",
			"spec.template.spec.volumes[4].hostPath.path",
		}},
		{name: "other runtimes", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: a, image: x}]
  volumes:
  - {name: containerd, hostPath: {path: /run/containerd}}
  - {name: k3s, hostPath: {path: /run/k3s/containerd/containerd.sock}}
  - {name: crio, hostPath: {path: /var/run/crio/crio.sock}}
  - {name: cri-dockerd, hostPath: {path: /var/run/cri-dockerd.sock}}
  - {name: pipe, hostPath: {path: '\\.\pipe\docker_engine'}}
  - {name: run, hostPath: {path: /run}}
  - {name: logs, hostPath: {path: /var/log/pods}}
  - {name: socket-like, hostPath: {path: /run/myapp.sock}}
`, want: []string{
			"spec.volumes[0].hostPath.path", "spec.volumes[1].hostPath.path", "spec.volumes[2].hostPath.path",
			"spec.volumes[3].hostPath.path", "spec.volumes[4].hostPath.path", "spec.volumes[5].hostPath.path",
		}},
	})
}

func TestHostPathWritable(t *testing.T) {
	runCheckCases(t, "host-path-writable", []checkCase{
		{name: "writable mounts of hostPath volumes only", manifest: hostPathPod, want: []string{
			"spec.template.spec.containers[0].volumeMounts[1].readOnly@a",
			"spec.template.spec.containers[0].volumeMounts[2].readOnly@a",
		}},
		{name: "unmounted hostPath", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: a, image: x}]
  ephemeralContainers:
  - {name: debug, image: x, volumeMounts: [{name: h, mountPath: /h}]}
  volumes: [{name: h, hostPath: {path: /srv}}]
`, want: []string{"spec.ephemeralContainers[0].volumeMounts[0].readOnly@debug"}},
	})
}
