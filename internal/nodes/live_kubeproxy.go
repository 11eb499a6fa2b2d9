package nodes

import (
	"fmt"
	"path"
	"strings"

	"github.com/rampart-dev/rampart/internal/audit"
	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// kubeProxyInstance is one kube-proxy as the API shows it: the command
// line of a DaemonSet's template or of a static Pod, with the
// configuration file its --config names when a ConfigMap volume holds it.
type kubeProxyInstance struct {
	cfg *Config
	// why is set when --config names a file the inventory cannot show.
	why string
}

// kubeProxyInstances finds kube-proxy in kube-system: DaemonSets and
// Pods not owned by one (static Pods) whose container runs kube-proxy.
func kubeProxyInstances(inv *inventory.Inventory) []kubeProxyInstance {
	var out []kubeProxyInstance
	for _, o := range inv.Objects {
		if o.Namespace != "kube-system" {
			continue
		}
		var spec *corev1.PodSpec
		var specPath inventory.FieldPath
		switch t := o.Typed.(type) {
		case *appsv1.DaemonSet:
			spec, specPath = &t.Spec.Template.Spec, "spec.template.spec"
		case *corev1.Pod:
			if inventory.ControllerOwned(o, inv) {
				continue // reported through its DaemonSet
			}
			spec, specPath = &t.Spec, "spec"
		default:
			continue
		}
		for _, p := range specProcesses(o, spec, specPath) {
			if p.Component != KubeProxy {
				continue
			}
			in := kubeProxyInstance{cfg: &Config{}}
			in.cfg.setProcess(p)
			if v, ok := p.Flag("config", ""); ok && strings.TrimSpace(v.Text) != "" {
				doc, why := configMapFile(inv, spec, o.Namespace, path.Clean(v.Text))
				if doc != nil {
					in.cfg.Docs = append(in.cfg.Docs, doc)
				}
				in.why = why
			}
			out = append(out, in)
		}
	}
	return out
}

// configMapFile returns the document a Pod reads at file when a ConfigMap
// volume mounted in one of its containers holds it, or why it cannot.
func configMapFile(inv *inventory.Inventory, spec *corev1.PodSpec, ns, file string) (*inventory.Object, string) {
	for _, ctr := range spec.Containers {
		for _, m := range ctr.VolumeMounts {
			rel, ok := strings.CutPrefix(file, path.Clean(m.MountPath)+"/")
			if !ok {
				continue
			}
			if m.SubPath != "" {
				rel = path.Join(m.SubPath, rel)
			}
			for _, v := range spec.Volumes {
				if v.Name != m.Name || v.ConfigMap == nil {
					continue
				}
				key := rel
				for _, it := range v.ConfigMap.Items {
					if it.Path == rel {
						key = it.Key
					}
				}
				return configMapKey(inv, ns, v.ConfigMap.Name, key, file)
			}
			return nil, file + " (--config) is not in a ConfigMap volume; its content is not visible through the API"
		}
	}
	return nil, file + " (--config) is in no volume of the Pod; its content is not visible through the API"
}

// configMapKey parses one key of a ConfigMap in the inventory as the file
// it is mounted as.
func configMapKey(inv *inventory.Inventory, ns, name, key, file string) (*inventory.Object, string) {
	where := fmt.Sprintf("ConfigMap %s/%s key %s", ns, name, key)
	for _, o := range inv.Objects {
		cm, ok := o.Typed.(*corev1.ConfigMap)
		if !ok || o.Namespace != ns || o.Name != name {
			continue
		}
		data, ok := cm.Data[key]
		if !ok {
			return nil, where + " (kube-proxy's --config " + file + ") was not read: rampart reads the data of kube-system/kube-proxy only, or was not allowed to get it"
		}
		objs, notes := inventory.ParseBytes(file, []byte(data), inventory.Limits{})
		for _, n := range notes {
			if n.Level == finding.NoteError {
				return nil, where + ": " + n.Message
			}
		}
		for _, d := range objs {
			if d.Kind == "KubeProxyConfiguration" && strings.HasPrefix(d.APIVersion, "kubeproxy.config.k8s.io/") {
				return d, ""
			}
		}
		return nil, where + " holds no KubeProxyConfiguration"
	}
	return nil, where + " (kube-proxy's --config " + file + ") is not in the inventory"
}

// liveKubeProxyCheck runs a kube-proxy check on each kube-proxy the API
// shows.
func liveKubeProxyCheck(c *Check) *audit.Check {
	return c.auditCheck(" In audit it reads kube-proxy's DaemonSet (or static Pod) in kube-system and, with --config, the ConfigMap mounted there (kubeadm: kube-system/kube-proxy, key config.conf).", []string{"daemonsets.apps", "pods"}, func(inv *inventory.Inventory, _ *audit.Config) audit.Assessment {
		var a audit.Assessment
		ins := kubeProxyInstances(inv)
		if len(ins) == 0 {
			a.NotAssessed = append(a.NotAssessed, audit.Unassessed{Reason: "no kube-proxy DaemonSet or static Pod in kube-system (the CNI may replace kube-proxy, or it runs outside the cluster): check it with rampart nodes check on the node"})
		}
		for _, in := range ins {
			obj := in.cfg.KubeProxy.Object
			if in.why != "" {
				a.NotAssessed = append(a.NotAssessed, audit.Unassessed{Object: obj, Reason: in.why})
				continue
			}
			for _, r := range safeEval(c, in.cfg) {
				switch r.Status {
				case NotAssessed:
					a.NotAssessed = append(a.NotAssessed, audit.Unassessed{Object: obj, Reason: r.Message})
				case Fail:
					f := liveFinding(c, r, obj)
					if r.Origin != FromFlag {
						// The value is in the ConfigMap, not the Pod.
						f.Place = finding.Place{}
						f.Message += " (from " + r.Place.File + " as mounted from its ConfigMap)"
					}
					a.Findings = append(a.Findings, f)
				}
			}
		}
		return a
	})
}
