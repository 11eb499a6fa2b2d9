package workload

import "testing"

func TestServiceNodePort(t *testing.T) {
	runCheckCases(t, "service-nodeport", []checkCase{
		{name: "types", manifest: `
apiVersion: v1
kind: Service
metadata: {name: np}
spec:
  type: NodePort
  ports: [{port: 80, nodePort: 30080}, {port: 53, protocol: UDP}]
---
apiVersion: v1
kind: Service
metadata: {name: cip}
spec:
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: lb}
spec:
  type: LoadBalancer
  ports: [{port: 80, nodePort: 30081}]
`, want: []string{"spec.type"}},
		{name: "a pod is not a service", manifest: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: a, image: x, ports: [{containerPort: 80, hostPort: 30080}]}]
`},
	})
}

func TestServiceLoadBalancer(t *testing.T) {
	runCheckCases(t, "service-loadbalancer", []checkCase{
		{name: "no source ranges", manifest: `
apiVersion: v1
kind: Service
metadata: {name: lb}
spec:
  type: LoadBalancer
  ports: [{port: 443}]
`, want: []string{"spec.loadBalancerSourceRanges"}},
		{name: "restricted", manifest: `
apiVersion: v1
kind: Service
metadata: {name: lb}
spec:
  type: LoadBalancer
  loadBalancerSourceRanges: [203.0.113.0/24]
  ports: [{port: 443}]
`},
		{name: "open ranges", manifest: `
apiVersion: v1
kind: Service
metadata: {name: lb}
spec:
  type: LoadBalancer
  loadBalancerSourceRanges: [203.0.113.0/24, 0.0.0.0/0, "::/0"]
  ports: [{port: 443}]
`, want: []string{"spec.loadBalancerSourceRanges[1]", "spec.loadBalancerSourceRanges[2]"}},
		{name: "annotation", manifest: `
apiVersion: v1
kind: Service
metadata:
  name: restricted
  annotations: {service.beta.kubernetes.io/load-balancer-source-ranges: "10.0.0.0/8"}
spec: {type: LoadBalancer, ports: [{port: 443}]}
---
apiVersion: v1
kind: Service
metadata:
  name: open
  annotations: {service.beta.kubernetes.io/load-balancer-source-ranges: "10.0.0.0/8, 0.0.0.0/0"}
spec: {type: LoadBalancer, ports: [{port: 443}]}
`, want: []string{`metadata.annotations["service.beta.kubernetes.io/load-balancer-source-ranges"]`}},
		{name: "internal load balancers", manifest: `
apiVersion: v1
kind: Service
metadata:
  name: aws
  annotations: {service.beta.kubernetes.io/aws-load-balancer-internal: "true"}
spec: {type: LoadBalancer, ports: [{port: 443}]}
---
apiVersion: v1
kind: Service
metadata:
  name: gke
  annotations: {networking.gke.io/load-balancer-type: Internal}
spec: {type: LoadBalancer, ports: [{port: 443}]}
---
apiVersion: v1
kind: Service
metadata:
  name: azure-public
  annotations: {service.beta.kubernetes.io/azure-load-balancer-internal: "false"}
spec: {type: LoadBalancer, ports: [{port: 443}]}
---
apiVersion: v1
kind: Service
metadata:
  name: aws-public
  annotations: {service.beta.kubernetes.io/aws-load-balancer-internal: "false"}
spec: {type: LoadBalancer, ports: [{port: 443}]}
`, want: []string{"spec.loadBalancerSourceRanges", "spec.loadBalancerSourceRanges"}},
		{name: "not a load balancer", manifest: `
apiVersion: v1
kind: Service
metadata: {name: np}
spec: {type: NodePort, ports: [{port: 443}]}
`},
	})
}

func TestServiceExternalIPs(t *testing.T) {
	runCheckCases(t, "service-external-ips", []checkCase{
		{name: "external IPs", manifest: `
apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  ports: [{port: 80}]
  externalIPs: [198.51.100.7, 198.51.100.8]
---
apiVersion: v1
kind: Service
metadata: {name: plain}
spec:
  ports: [{port: 80}]
`, want: []string{"spec.externalIPs[0]", "spec.externalIPs[1]"}},
		{name: "a list of services", manifest: `
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: s}
  spec:
    ports: [{port: 80}]
    externalIPs: [198.51.100.7]
`, want: []string{"spec.externalIPs[0]"}},
	})
}
