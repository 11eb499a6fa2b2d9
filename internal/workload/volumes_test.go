package workload

import "testing"

func TestRestrictedVolumeTypes(t *testing.T) {
	runCheckCases(t, "restricted-volume-types", []checkCase{
		{name: "allowed and restricted types", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: a, image: x}]
  volumes:
  - {name: cm, configMap: {name: c}}
  - {name: s, secret: {secretName: s}}
  - {name: e, emptyDir: {}}
  - {name: pvc, persistentVolumeClaim: {claimName: c}}
  - {name: proj, projected: {sources: []}}
  - {name: down, downwardAPI: {items: []}}
  - {name: csi, csi: {driver: d}}
  - {name: eph, ephemeral: {volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce]}}}}
  - {name: img, image: {reference: "registry.example/data:1"}}
  - {name: nfs, nfs: {server: nfs.example, path: /export}}
  - {name: git, gitRepo: {repository: "https://example.com/r.git"}}
  - {name: host, hostPath: {path: /srv}}
  - {name: nosource}
  - {name: ebs, awsElasticBlockStore: {volumeID: vol-1}}
`, want: []string{"spec.volumes[9].nfs", "spec.volumes[10].gitRepo", "spec.volumes[13].awsElasticBlockStore"}},
	})
}
