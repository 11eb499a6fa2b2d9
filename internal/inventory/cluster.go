package inventory

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"weak"

	"github.com/rampart-dev/rampart/internal/finding"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
)

// ClusterOptions configure reading a live cluster.
type ClusterOptions struct {
	// Namespace limits namespaced kinds to one namespace; "" reads all.
	// Cluster-scoped kinds (ClusterRoles, Nodes, webhooks …) are read
	// either way, since the analyses of a namespace need them.
	Namespace string
	// PageSize is the number of objects asked for per request; 0 means
	// DefaultPageSize.
	PageSize int64
	// Progress, when set, is called after each page with the resource
	// (as in NotAssessed.Resource) and the number of its objects read so
	// far. Calls are serialised; the number starts again from 0 when a
	// list is restarted.
	Progress func(resource string, n int)
	// Now is the clock for ClusterInfo.CollectedAt; nil means time.Now.
	Now func() time.Time
	// KubeletConfig also reads each node's effective kubelet configuration
	// through the API server's node proxy (GET
	// /api/v1/nodes/NAME/proxy/configz) into one KubeletConfigz object per
	// node. It needs the nodes/proxy permission, which is itself
	// high-risk: it reaches the whole kubelet API, exec into any Pod of
	// the node included. Off by default.
	KubeletConfig bool
	// KubeletTimeout bounds each node's configz request;
	// DefaultKubeletTimeout when zero.
	KubeletTimeout time.Duration
}

// KubeletConfigz is the kind of the objects that hold a node's kubelet
// configuration as its /configz endpoint served it (field kubeletconfig),
// or why it could not be read (field error). The object's name is the
// node's. They are not Kubernetes objects: LoadCluster makes them with
// ClusterOptions.KubeletConfig, and snapshots keep them.
const (
	KubeletConfigzKind       = "KubeletConfigz"
	KubeletConfigzAPIVersion = SnapshotAPIVersion
)

// DefaultKubeletTimeout bounds one node's configz request.
const DefaultKubeletTimeout = 5 * time.Second

// kubeletConcurrency bounds the nodes asked at once: each request goes
// through the API server to a kubelet, and a large cluster should not see
// hundreds at a time.
const kubeletConcurrency = 8

// maxConfigzBytes bounds a configz answer; a real one is a few kilobytes.
const maxConfigzBytes = 1 << 20

// DefaultPageSize is the page size LoadCluster asks for by default.
const DefaultPageSize = 500

// listConcurrency bounds the lists of different kinds that run at once.
const listConcurrency = 4

// maxNamespaceFallback bounds the namespaces read one by one when a kind
// may not be listed across all namespaces at once.
const maxNamespaceFallback = 100

// lastApplied is kubectl's annotation holding the whole object as last
// applied: for a Secret, its values.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// listMode is how a kind is read.
type listMode int

const (
	typedList    listMode = iota // the full typed objects
	secretTable                  // server-side Table: metadata and type, never values
	metadataList                 // PartialObjectMetadata: metadata only
)

// clusterKind is one kind LoadCluster reads.
type clusterKind struct {
	gv         schema.GroupVersion
	kind       string
	resource   string
	namespaced bool
	mode       listMode
}

func (k clusterKind) groupResource() string {
	return schema.GroupResource{Group: k.gv.Group, Resource: k.resource}.String()
}

func (k clusterKind) gvk() schema.GroupVersionKind { return k.gv.WithKind(k.kind) }

var (
	coreGV   = schema.GroupVersion{Version: "v1"}
	appsGV   = schema.GroupVersion{Group: "apps", Version: "v1"}
	batchGV  = schema.GroupVersion{Group: "batch", Version: "v1"}
	rbacGV   = schema.GroupVersion{Group: "rbac.authorization.k8s.io", Version: "v1"}
	netGV    = schema.GroupVersion{Group: "networking.k8s.io", Version: "v1"}
	admGV    = schema.GroupVersion{Group: "admissionregistration.k8s.io", Version: "v1"}
	certGV   = schema.GroupVersion{Group: "certificates.k8s.io", Version: "v1"}
	tableAcc = "application/json;as=Table;v=v1;g=meta.k8s.io"
)

// clusterKinds are the kinds LoadCluster reads, in inventory order.
var clusterKinds = []clusterKind{
	{coreGV, "Namespace", "namespaces", false, typedList},
	{coreGV, "Pod", "pods", true, typedList},
	{appsGV, "Deployment", "deployments", true, typedList},
	{appsGV, "StatefulSet", "statefulsets", true, typedList},
	{appsGV, "DaemonSet", "daemonsets", true, typedList},
	{appsGV, "ReplicaSet", "replicasets", true, typedList},
	{coreGV, "ReplicationController", "replicationcontrollers", true, typedList},
	{batchGV, "Job", "jobs", true, typedList},
	{batchGV, "CronJob", "cronjobs", true, typedList},
	{coreGV, "Service", "services", true, typedList},
	{coreGV, "ServiceAccount", "serviceaccounts", true, typedList},
	{coreGV, "Secret", "secrets", true, secretTable},
	{coreGV, "ConfigMap", "configmaps", true, metadataList},
	{rbacGV, "Role", "roles", true, typedList},
	{rbacGV, "RoleBinding", "rolebindings", true, typedList},
	{rbacGV, "ClusterRole", "clusterroles", false, typedList},
	{rbacGV, "ClusterRoleBinding", "clusterrolebindings", false, typedList},
	{netGV, "NetworkPolicy", "networkpolicies", true, typedList},
	{coreGV, "Node", "nodes", false, typedList},
	{admGV, "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", false, typedList},
	{admGV, "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", false, typedList},
	{certGV, "CertificateSigningRequest", "certificatesigningrequests", false, typedList},
}

// page is one page of a list.
type page struct {
	objects []*Object
	next    string // the continue token; "" on the last page
}

// pageFunc reads one page of one kind in namespace ("" for all namespaces
// or a cluster-scoped kind).
type pageFunc func(ctx context.Context, namespace string, opts metav1.ListOptions) (page, error)

// clusterClient reads kinds from one API server.
type clusterClient struct {
	server string
	rest   map[schema.GroupVersion]rest.Interface
	meta   metadata.Interface
}

// codecs decode the API server's protobuf or JSON into the scheme's types.
var codecs = serializer.NewCodecFactory(scheme)

// newClusterClient builds the REST clients LoadCluster needs, sharing one
// HTTP client (and so one connection pool).
func newClusterClient(cfg *rest.Config) (*clusterClient, error) {
	cfg = rest.CopyConfig(cfg)
	if cfg.UserAgent == "" {
		cfg.UserAgent = "rampart"
	}
	if cfg.QPS == 0 && cfg.RateLimiter == nil {
		// kubectl's figures; client-go's default of 5 per second would
		// make a paginated read of a large cluster crawl.
		cfg.QPS, cfg.Burst = 50, 300
	}
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", cfg.Host, err)
	}
	c := &clusterClient{server: cfg.Host, rest: map[schema.GroupVersion]rest.Interface{}}
	for _, k := range clusterKinds {
		if _, ok := c.rest[k.gv]; ok {
			continue
		}
		rc, err := restClientFor(cfg, k.gv, httpClient)
		if err != nil {
			return nil, err
		}
		c.rest[k.gv] = rc
	}
	c.meta, err = metadata.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("metadata client for %s: %w", cfg.Host, err)
	}
	return c, nil
}

func restClientFor(cfg *rest.Config, gv schema.GroupVersion, h *http.Client) (rest.Interface, error) {
	c := rest.CopyConfig(cfg)
	c.GroupVersion = &gv
	c.APIPath = "/apis"
	if gv.Group == "" {
		c.APIPath = "/api"
	}
	c.NegotiatedSerializer = codecs.WithoutConversion()
	c.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	c.ContentType = "application/vnd.kubernetes.protobuf"
	rc, err := rest.RESTClientForConfigAndClient(c, h)
	if err != nil {
		return nil, fmt.Errorf("client for %s %s: %w", cfg.Host, gv, err)
	}
	return rc, nil
}

// pages returns how kind k is read.
func (c *clusterClient) pages(k clusterKind) pageFunc {
	switch k.mode {
	case secretTable:
		return c.secretPages(k)
	case metadataList:
		return c.metadataPages(k)
	}
	return c.typedPages(k)
}

func listRequest(rc rest.Interface, k clusterKind, namespace string, opts metav1.ListOptions) *rest.Request {
	req := rc.Get().Resource(k.resource)
	if namespace != "" {
		req = req.Namespace(namespace)
	}
	if opts.Limit > 0 {
		req = req.Param("limit", strconv.FormatInt(opts.Limit, 10))
	}
	if opts.Continue != "" {
		req = req.Param("continue", opts.Continue)
	}
	return req
}

// typedPages reads the full typed objects.
func (c *clusterClient) typedPages(k clusterKind) pageFunc {
	rc := c.rest[k.gv]
	return func(ctx context.Context, namespace string, opts metav1.ListOptions) (page, error) {
		list, err := scheme.New(k.gv.WithKind(k.kind + "List"))
		if err != nil {
			return page{}, err
		}
		if err := listRequest(rc, k, namespace, opts).Do(ctx).Into(list); err != nil {
			return page{}, err
		}
		return typedPage(list, k.gvk())
	}
}

// typedPage turns a typed list into objects.
func typedPage(list kruntime.Object, gvk schema.GroupVersionKind) (page, error) {
	items, err := meta.ExtractList(list)
	if err != nil {
		return page{}, err
	}
	lm, err := meta.ListAccessor(list)
	if err != nil {
		return page{}, err
	}
	p := page{objects: make([]*Object, 0, len(items)), next: lm.GetContinue()}
	for _, it := range items {
		o, err := clusterObject(it, gvk)
		if err != nil {
			return page{}, err
		}
		p.objects = append(p.objects, o)
	}
	return p, nil
}

// clusterObject makes an Object of a typed object read from the API
// server. It sets the typed object's apiVersion and kind (empty in list
// items) and drops its managedFields, which can be half an object's size
// and which no analysis reads.
func clusterObject(obj kruntime.Object, gvk schema.GroupVersionKind) (*Object, error) {
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	m.SetManagedFields(nil)
	apiVersion, kind := gvk.ToAPIVersionAndKind()
	return &Object{
		APIVersion:  apiVersion,
		Kind:        kind,
		Namespace:   m.GetNamespace(),
		Name:        m.GetName(),
		Labels:      m.GetLabels(),
		Annotations: m.GetAnnotations(),
		Typed:       obj,
	}, nil
}

// secretPages reads Secrets as a server-side Table with only the objects'
// metadata, so that their values never leave the API server.
func (c *clusterClient) secretPages(k clusterKind) pageFunc {
	rc := c.rest[k.gv]
	return func(ctx context.Context, namespace string, opts metav1.ListOptions) (page, error) {
		body, err := listRequest(rc, k, namespace, opts).
			Param("includeObject", string(metav1.IncludeMetadata)).
			SetHeader("Accept", tableAcc).
			Do(ctx).Raw()
		if err != nil {
			return page{}, withStatus(err, body)
		}
		return secretsFromTable(body)
	}
}

// withStatus returns the API error in body, a Status, in place of err. The
// client decodes no error body of a request for a Table, and so loses the
// server's message (who may not do what).
func withStatus(err error, body []byte) error {
	var st metav1.Status
	if len(body) == 0 || json.Unmarshal(body, &st) != nil || st.Kind != "Status" || st.Status == metav1.StatusSuccess {
		return err
	}
	return apierrors.FromObject(&st)
}

// secretsFromTable reads a Table of Secrets with includeObject=Metadata:
// the Type column and each row's PartialObjectMetadata.
func secretsFromTable(body []byte) (page, error) {
	var t metav1.Table
	if err := json.Unmarshal(body, &t); err != nil {
		return page{}, fmt.Errorf("read secrets table: %w", err)
	}
	if t.Kind != "Table" {
		// Never fall back to a plain list: it would carry the values.
		return page{}, fmt.Errorf("read secrets: the API server answered with %q, not a Table; Secrets are read as Tables only, so that their values are never fetched", t.Kind)
	}
	typeCol := slices.IndexFunc(t.ColumnDefinitions, func(c metav1.TableColumnDefinition) bool { return c.Name == "Type" })
	p := page{objects: make([]*Object, 0, len(t.Rows)), next: t.Continue}
	gvk := coreGV.WithKind("Secret")
	for i, row := range t.Rows {
		if len(row.Object.Raw) == 0 {
			return page{}, fmt.Errorf("read secrets: table row %d has no object metadata", i)
		}
		var pom metav1.PartialObjectMetadata
		if err := json.Unmarshal(row.Object.Raw, &pom); err != nil {
			return page{}, fmt.Errorf("read secrets: table row %d: %w", i, err)
		}
		s := &corev1.Secret{ObjectMeta: pom.ObjectMeta}
		if typeCol >= 0 && typeCol < len(row.Cells) {
			if v, ok := row.Cells[typeCol].(string); ok {
				s.Type = corev1.SecretType(v)
			}
		}
		delete(s.Annotations, lastApplied) // kubectl apply keeps the values there
		o, err := clusterObject(s, gvk)
		if err != nil {
			return page{}, err
		}
		p.objects = append(p.objects, o)
	}
	return p, nil
}

// metadataPages reads PartialObjectMetadata and makes typed objects with
// only their ObjectMeta.
func (c *clusterClient) metadataPages(k clusterKind) pageFunc {
	gvr := k.gv.WithResource(k.resource)
	return func(ctx context.Context, namespace string, opts metav1.ListOptions) (page, error) {
		var ri metadata.ResourceInterface = c.meta.Resource(gvr)
		if namespace != "" {
			ri = c.meta.Resource(gvr).Namespace(namespace)
		}
		list, err := ri.List(ctx, opts)
		if err != nil {
			return page{}, err
		}
		return metadataPage(list, k.gvk())
	}
}

func metadataPage(list *metav1.PartialObjectMetadataList, gvk schema.GroupVersionKind) (page, error) {
	p := page{objects: make([]*Object, 0, len(list.Items)), next: list.Continue}
	for i := range list.Items {
		typed, err := scheme.New(gvk)
		if err != nil {
			return page{}, err
		}
		acc, ok := typed.(metav1.ObjectMetaAccessor)
		if !ok {
			return page{}, fmt.Errorf("%s has no ObjectMeta", gvk.Kind)
		}
		om := acc.GetObjectMeta().(*metav1.ObjectMeta)
		*om = list.Items[i].ObjectMeta
		delete(om.Annotations, lastApplied) // the whole object again
		o, err := clusterObject(typed, gvk)
		if err != nil {
			return page{}, err
		}
		p.objects = append(p.objects, o)
	}
	return p, nil
}

// listAll reads every page of one kind in one namespace. An expired
// continue token (410 Gone: the list took longer than etcd keeps its
// revision) restarts the list; after maxRestarts it is read in one piece.
func listAll(ctx context.Context, fn pageFunc, namespace string, pageSize int64, progress func(n int)) ([]*Object, error) {
	const maxRestarts = 2
	limit := pageSize
	for restarts := 0; ; restarts++ {
		var out []*Object
		opts := metav1.ListOptions{Limit: limit}
		for {
			p, err := fn(ctx, namespace, opts)
			if err != nil {
				if opts.Continue != "" && (apierrors.IsResourceExpired(err) || apierrors.IsGone(err)) {
					break // restart
				}
				return nil, err
			}
			out = append(out, p.objects...)
			progress(len(out))
			if p.next == "" {
				return out, nil
			}
			opts.Continue = p.next
		}
		if restarts+1 >= maxRestarts {
			limit = 0
		}
	}
}

// LoadCluster reads the kinds Rampart analyses from a live cluster. Secret
// values are never read: Secrets come as server-side Tables with their
// metadata and type only (and without kubectl's last-applied annotation),
// ConfigMaps as metadata only, but for the KubeProxyConfiguration of
// kube-system/kube-proxy. With opts.KubeletConfig each node's kubelet
// configuration is read too (see KubeletConfigz). Objects have Typed set (without
// managedFields) and Raw nil: converting every object to plain values
// would double the memory of a large cluster for no analysis that needs
// it; Object.Unstructured converts one on demand.
//
// A kind the credentials may not list, or that the server does not serve,
// is recorded in Cluster.NotAssessed and the rest is still read. When a
// namespaced kind may not be listed across all namespaces, it is read
// namespace by namespace (for up to 100 namespaces), so that a user with
// rights in some namespaces gets those. An unreachable server or rejected
// credentials abort with an error wrapping ErrUnreachable or
// ErrUnauthorized.
//
// Objects are in clusterKinds order (Namespaces, Pods, Deployments …),
// then by namespace and name.
func LoadCluster(ctx context.Context, cfg *rest.Config, opts ClusterOptions) (*Inventory, error) {
	c, err := newClusterClient(cfg)
	if err != nil {
		return nil, err
	}
	return c.load(ctx, opts)
}

func (c *clusterClient) serverVersion(ctx context.Context) (string, error) {
	body, err := c.rest[coreGV].Get().AbsPath("/version").Do(ctx).Raw()
	if err != nil {
		return "", withStatus(err, body)
	}
	var v version.Info
	if err := json.Unmarshal(body, &v); err != nil {
		return "", fmt.Errorf("read /version: %w", err)
	}
	return v.GitVersion, nil
}

// kindResult is what reading one kind gave.
type kindResult struct {
	objects     []*Object
	notAssessed []NotAssessed
	notes       []finding.Note
}

func (c *clusterClient) load(ctx context.Context, opts ClusterOptions) (*Inventory, error) {
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	var progressMu sync.Mutex
	progress := func(resource string) func(int) {
		if opts.Progress == nil {
			return func(int) {}
		}
		return func(n int) {
			progressMu.Lock()
			defer progressMu.Unlock()
			opts.Progress(resource, n)
		}
	}
	info := &ClusterInfo{Server: c.server, CollectedAt: now()}
	inv := &Inventory{Cluster: info}

	v, err := c.serverVersion(ctx)
	switch {
	case err == nil:
		info.Version = v
	case apierrors.IsForbidden(err) || apierrors.IsNotFound(err):
		info.NotAssessed = append(info.NotAssessed, NotAssessed{Resource: "/version", Reason: reason(err)})
	default:
		return nil, clusterError(ctx, c.server, "read server version", err)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]kindResult, len(clusterKinds))
	// Namespaces first: a kind that may not be listed across namespaces
	// is then read in each.
	var namespaces []string
	if opts.Namespace != "" {
		results[0], err = c.getNamespace(ctx, clusterKinds[0], opts.Namespace)
	} else {
		results[0], err = c.readKind(ctx, clusterKinds[0], c.pages(clusterKinds[0]), opts, nil, progress)
		for _, o := range results[0].objects {
			namespaces = append(namespaces, o.Name)
		}
		if len(results[0].notAssessed) > 0 {
			namespaces = nil
		}
	}
	if err != nil {
		return nil, err
	}

	var (
		wg       sync.WaitGroup
		errMu    sync.Mutex
		firstErr error
		work     = make(chan int)
	)
	for range listConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				r, err := c.readKind(ctx, clusterKinds[i], c.pages(clusterKinds[i]), opts, namespaces, progress)
				if err != nil {
					errMu.Lock()
					if firstErr == nil {
						firstErr = err
						cancel()
					}
					errMu.Unlock()
					continue
				}
				results[i] = r
			}
		}()
	}
	for i := 1; i < len(clusterKinds); i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	for _, r := range results {
		slices.SortStableFunc(r.objects, func(a, b *Object) int {
			return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
		})
		inv.Objects = append(inv.Objects, r.objects...)
		info.NotAssessed = append(info.NotAssessed, r.notAssessed...)
		inv.Notes = append(inv.Notes, r.notes...)
	}
	if err := c.readKubeProxyConfig(ctx, inv); err != nil {
		return nil, err
	}
	if opts.KubeletConfig {
		c.readKubeletConfigs(ctx, inv, opts.KubeletTimeout)
	}
	return inv, nil
}

// kubeProxyConfigMap is where kubeadm keeps kube-proxy's configuration
// (key config.conf, a KubeProxyConfiguration).
const kubeProxyConfigMap = "kube-proxy"

// readKubeProxyConfig replaces the metadata of the kube-proxy ConfigMap in
// kube-system with the ConfigMap itself, keeping only the keys that hold
// a KubeProxyConfiguration: the node checks read its metricsBindAddress,
// and no other ConfigMap's data is read. A ConfigMap that may not be got
// stays metadata only; the checks then say they could not decide.
func (c *clusterClient) readKubeProxyConfig(ctx context.Context, inv *Inventory) error {
	i := slices.IndexFunc(inv.Objects, func(o *Object) bool {
		return o.Kind == "ConfigMap" && o.Namespace == "kube-system" && o.Name == kubeProxyConfigMap
	})
	if i < 0 {
		return nil
	}
	cm := &corev1.ConfigMap{}
	err := c.rest[coreGV].Get().Namespace("kube-system").Resource("configmaps").Name(kubeProxyConfigMap).Do(ctx).Into(cm)
	switch {
	case err == nil:
	case skippable(err):
		inv.Notes = append(inv.Notes, finding.Note{Level: finding.NoteInfo,
			Message: "ConfigMap kube-system/kube-proxy: " + reason(err) + "; kube-proxy's configuration is not assessed"})
		return nil
	default:
		return clusterError(ctx, c.server, "get configmap kube-system/kube-proxy", err)
	}
	for k, v := range cm.Data {
		if !strings.Contains(v, "KubeProxyConfiguration") {
			delete(cm.Data, k)
		}
	}
	cm.BinaryData = nil
	delete(cm.Annotations, lastApplied)
	o, err := clusterObject(cm, coreGV.WithKind("ConfigMap"))
	if err != nil {
		return err
	}
	inv.Objects[i] = o
	return nil
}

// readKubeletConfigs asks each node's kubelet for its configuration
// through the API server's node proxy, a few nodes at a time, each within
// timeout. A node that cannot be asked (forbidden, unreachable, too slow)
// gets a KubeletConfigz object with the error, so that its checks are not
// assessed rather than passed.
func (c *clusterClient) readKubeletConfigs(ctx context.Context, inv *Inventory, timeout time.Duration) {
	if timeout <= 0 {
		timeout = DefaultKubeletTimeout
	}
	var names []string
	for _, o := range inv.Objects {
		if o.Kind == "Node" && o.APIVersion == "v1" {
			names = append(names, o.Name)
		}
	}
	out := make([]*Object, len(names))
	var wg sync.WaitGroup
	sem := make(chan struct{}, kubeletConcurrency)
	for i, name := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i] = c.kubeletConfigz(ctx, name, timeout)
		}()
	}
	wg.Wait()
	inv.Objects = append(inv.Objects, out...)
}

// kubeletConfigz reads one node's /configz into a KubeletConfigz object.
func (c *clusterClient) kubeletConfigz(ctx context.Context, node string, timeout time.Duration) *Object {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	raw := map[string]any{
		"apiVersion": KubeletConfigzAPIVersion,
		"kind":       KubeletConfigzKind,
		"metadata":   map[string]any{"name": node},
	}
	o := &Object{APIVersion: KubeletConfigzAPIVersion, Kind: KubeletConfigzKind, Name: node, Raw: raw}
	body, err := c.rest[coreGV].Get().Resource("nodes").Name(node).SubResource("proxy").Suffix("configz").
		SetHeader("Accept", "application/json").Do(ctx).Raw()
	if err != nil {
		raw["error"] = configzError(ctx, withStatus(err, body), timeout)
		return o
	}
	kc, err := ConfigzDocument(body)
	if err != nil {
		raw["error"] = err.Error()
		return o
	}
	raw["kubeletconfig"] = kc
	return o
}

// ConfigzDocument reads a kubelet's /configz answer,
// {"kubeletconfig": {...}}, into the configuration's plain values, with
// the values of staticPodURLHeader redacted.
func ConfigzDocument(body []byte) (map[string]any, error) {
	if len(body) > maxConfigzBytes {
		return nil, fmt.Errorf("the answer is larger than %d bytes", maxConfigzBytes)
	}
	var cz struct {
		KubeletConfig map[string]any `json:"kubeletconfig"`
	}
	if err := json.Unmarshal(body, &cz); err != nil || cz.KubeletConfig == nil {
		return nil, errors.New(`the answer is not a kubelet configz document ({"kubeletconfig": ...})`)
	}
	// The only setting that may carry a credential: the HTTP headers
	// (Authorization, say) sent to fetch static Pods from a URL. Keep the
	// header names, never their values.
	if h, ok := cz.KubeletConfig["staticPodURLHeader"].(map[string]any); ok {
		for k := range h {
			h[k] = []any{"REDACTED"}
		}
	}
	return cz.KubeletConfig, nil
}

// configzError says in a few words why a node's configz could not be read.
func configzError(ctx context.Context, err error, timeout time.Duration) string {
	switch {
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("no answer within %s", timeout)
	case apierrors.IsForbidden(err):
		return reason(err) + " (reading the kubelet configuration needs get on nodes/proxy)"
	case apierrors.IsNotFound(err):
		return "not found: the node is gone, or its kubelet serves no /configz"
	case apierrors.IsUnauthorized(err):
		return "the kubelet refused the API server's credentials: " + err.Error()
	}
	return "unreachable: " + err.Error()
}

// getNamespace reads the one namespace LoadCluster is limited to: a user
// whose rights end at a namespace may get it, but not list them all.
func (c *clusterClient) getNamespace(ctx context.Context, k clusterKind, name string) (kindResult, error) {
	ns := &corev1.Namespace{}
	err := c.rest[k.gv].Get().Resource(k.resource).Name(name).Do(ctx).Into(ns)
	switch {
	case err == nil:
		o, err := clusterObject(ns, k.gvk())
		if err != nil {
			return kindResult{}, err
		}
		return kindResult{objects: []*Object{o}}, nil
	case apierrors.IsNotFound(err):
		return kindResult{notes: []finding.Note{{Level: finding.NoteInfo, Message: fmt.Sprintf("namespace %q not found", name)}}}, nil
	case apierrors.IsForbidden(err):
		return kindResult{notAssessed: []NotAssessed{{Resource: k.groupResource(), Namespace: name, Reason: reason(err)}}}, nil
	}
	return kindResult{}, clusterError(ctx, c.server, "get namespace "+name, err)
}

// readKind reads one kind, recording what it may not read.
func (c *clusterClient) readKind(ctx context.Context, k clusterKind, fn pageFunc, opts ClusterOptions, namespaces []string, progress func(string) func(int)) (kindResult, error) {
	res := k.groupResource()
	ns := ""
	if k.namespaced {
		ns = opts.Namespace
	}
	objs, err := listAll(ctx, fn, ns, opts.PageSize, progress(res))
	if err == nil {
		return kindResult{objects: objs}, nil
	}
	if !skippable(err) {
		return kindResult{}, clusterError(ctx, c.server, "list "+res, err)
	}
	whole := kindResult{notAssessed: []NotAssessed{{Resource: res, Namespace: ns, Reason: reason(err)}}}
	if !k.namespaced || ns != "" || !apierrors.IsForbidden(err) || len(namespaces) == 0 || len(namespaces) > maxNamespaceFallback {
		return whole, nil
	}
	// Forbidden across all namespaces: try each.
	var r kindResult
	read := 0
	count := progress(res)
	for _, n := range namespaces {
		objs, err := listAll(ctx, fn, n, opts.PageSize, func(k int) { count(read + k) })
		switch {
		case err == nil:
			r.objects = append(r.objects, objs...)
			read += len(objs)
		case skippable(err):
			r.notAssessed = append(r.notAssessed, NotAssessed{Resource: res, Namespace: n, Reason: reason(err)})
		default:
			return kindResult{}, clusterError(ctx, c.server, fmt.Sprintf("list %s in %s", res, n), err)
		}
	}
	if len(r.notAssessed) == len(namespaces) {
		return whole, nil
	}
	return r, nil
}

// skippable reports whether a list error means "not assessed" rather than
// a failed run.
func skippable(err error) bool {
	return apierrors.IsForbidden(err) || apierrors.IsNotFound(err) || meta.IsNoMatchError(err)
}

// reason is a short NotAssessed.Reason for err.
func reason(err error) string {
	switch {
	case apierrors.IsForbidden(err):
		msg := err.Error()
		if _, after, ok := strings.Cut(msg, " is forbidden: "); ok {
			msg = after
		}
		return "forbidden: " + msg
	case apierrors.IsNotFound(err), meta.IsNoMatchError(err):
		return "not served by this API server"
	}
	return err.Error()
}

// Unstructured returns the object as plain JSON-compatible values: Raw
// when it is set, else Typed converted (objects read from a cluster have
// no Raw).
func (o *Object) Unstructured() (map[string]any, error) {
	if o.Raw != nil {
		return o.Raw, nil
	}
	if o.Typed == nil {
		return nil, errors.New("object has neither raw nor typed content")
	}
	return kruntime.DefaultUnstructuredConverter.ToUnstructured(o.Typed)
}

// ControllerOwned reports whether o (typically a Pod, ReplicaSet or Job)
// has a controller owner reference to an object that is itself in inv and
// runs pods from a template (see PodOf). An audit reports such an object
// through its owner, once. The owner must match by group, kind, namespace
// and name, and by UID when both sides have one (a re-created owner of the
// same name is another object). A static pod's mirror, owned by its Node,
// is not controller-owned in this sense: the Node has no template to
// report it through.
//
// Lookups use an index of inv built on first use and rebuilt when the
// number of objects changes.
func ControllerOwned(o *Object, inv *Inventory) bool {
	if o == nil || inv == nil || o.Typed == nil {
		return false
	}
	m, err := meta.Accessor(o.Typed)
	if err != nil {
		return false
	}
	ref := metav1.GetControllerOfNoCopy(m)
	if ref == nil {
		return false
	}
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return false
	}
	uid, ok := ownerIndexOf(inv).uids[ownerKey{gv.Group, ref.Kind, o.Namespace, ref.Name}]
	if !ok {
		return false
	}
	return uid == "" || ref.UID == "" || uid == string(ref.UID)
}

type ownerKey struct{ group, kind, namespace, name string }

type ownerIndex struct {
	n    int
	uids map[ownerKey]string
}

// ownerIndexes caches an index per inventory, held weakly so that an
// inventory's index goes with it.
var ownerIndexes sync.Map // weak.Pointer[Inventory] -> *ownerIndex

// ownerIndexBuild makes checks that run in parallel on one inventory wait
// for one build of its index instead of each building its own.
var ownerIndexBuild sync.Mutex

func ownerIndexOf(inv *Inventory) *ownerIndex {
	key := weak.Make(inv)
	if v, ok := ownerIndexes.Load(key); ok {
		if idx := v.(*ownerIndex); idx.n == len(inv.Objects) {
			return idx
		}
	}
	ownerIndexBuild.Lock()
	defer ownerIndexBuild.Unlock()
	if v, ok := ownerIndexes.Load(key); ok {
		if idx := v.(*ownerIndex); idx.n == len(inv.Objects) {
			return idx
		}
	}
	idx := &ownerIndex{n: len(inv.Objects), uids: make(map[ownerKey]string, len(inv.Objects))}
	for _, o := range inv.Objects {
		gv, err := schema.ParseGroupVersion(o.APIVersion)
		if err != nil || PodOf(o) == nil {
			continue
		}
		uid := ""
		if o.Typed != nil {
			if m, err := meta.Accessor(o.Typed); err == nil {
				uid = string(m.GetUID())
			}
		}
		idx.uids[ownerKey{gv.Group, o.Kind, o.Namespace, o.Name}] = uid
	}
	if _, loaded := ownerIndexes.Swap(key, idx); !loaded {
		runtime.AddCleanup(inv, func(k weak.Pointer[Inventory]) { ownerIndexes.Delete(k) }, key)
	}
	return idx
}
