package workload

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rampart-dev/rampart/internal/finding"
	"github.com/rampart-dev/rampart/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

func init() {
	register(
		&Check{
			ID:          "image-latest-tag",
			Title:       "Image uses the latest tag",
			Description: "Fires for each container whose image is tagged :latest and not pinned by a digest; the tag moves, so what runs differs from node to node and from what was reviewed.",
			Severity:    finding.Medium,
			Remediation: "Use a specific version tag, or better an immutable digest (image@sha256:...).",
			Controls:    []string{"NIST-800-190:4.2.2", "NIST-800-190:4.1.1"},
			Run: eachImage(func(c inventory.Container, ref imageRef) []Result {
				if ref.Tag == "latest" && ref.Digest == "" {
					return []Result{{Path: c.Path.Key("image"), Message: fmt.Sprintf("image %q uses the latest tag", c.Image)}}
				}
				return nil
			}),
		},
		&Check{
			ID:          "image-no-tag",
			Title:       "Image has no tag",
			Description: "Fires for each container whose image has neither a tag nor a digest; the runtime then pulls the mutable latest tag.",
			Severity:    finding.Medium,
			Remediation: "Add a specific version tag, or better an immutable digest (image@sha256:...).",
			Controls:    []string{"NIST-800-190:4.2.2", "NIST-800-190:4.1.1"},
			Run: eachImage(func(c inventory.Container, ref imageRef) []Result {
				if ref.Tag == "" && ref.Digest == "" {
					return []Result{{Path: c.Path.Key("image"), Message: fmt.Sprintf("image %q has no tag or digest, so it resolves to latest", c.Image)}}
				}
				return nil
			}),
		},
		&Check{
			ID:          "image-not-pinned",
			Title:       "Image not pinned by digest",
			Description: "Fires for each container whose image has no digest (@sha256:...); any tag can be re-pointed to other content in the registry.",
			Severity:    finding.Low,
			Remediation: "Reference the image by digest (name@sha256:...), keeping the tag for readers if wanted (name:1.2.3@sha256:...).",
			Controls:    []string{"NIST-800-190:4.2.2", "NIST-800-190:4.1.1"},
			OptIn:       true,
			Run: eachImage(func(c inventory.Container, ref imageRef) []Result {
				if ref.Digest == "" {
					return []Result{{Path: c.Path.Key("image"), Message: fmt.Sprintf("image %q is not pinned by digest", c.Image)}}
				}
				return nil
			}),
		},
		&Check{
			ID:    "image-pull-policy",
			Title: "Mutable image not always pulled",
			Description: "Fires when a container's image is mutable (tag latest or no tag, and no digest) and imagePullPolicy is explicitly IfNotPresent or Never; " +
				"when unset, Kubernetes defaults such images to Always, so nothing fires.",
			Severity:    finding.Low,
			Remediation: "Pin the image to a version or digest, or remove imagePullPolicy (or set it to Always) so that nodes do not run a stale cached copy.",
			Controls:    []string{"NIST-800-190:4.2.2", "NIST-800-190:4.2.3"},
			Run: eachImage(func(c inventory.Container, ref imageRef) []Result {
				mutable := ref.Digest == "" && (ref.Tag == "" || ref.Tag == "latest")
				if !mutable {
					return nil
				}
				switch c.ImagePullPolicy {
				case corev1.PullIfNotPresent, corev1.PullNever:
					return []Result{{Path: c.Path.Key("imagePullPolicy"), Message: fmt.Sprintf("image %q is mutable but imagePullPolicy is %s, so nodes may run a stale cached copy", c.Image, c.ImagePullPolicy)}}
				}
				return nil
			}),
		},
		&Check{
			ID:    "untrusted-registry",
			Title: "Image from an untrusted registry",
			Description: "Fires, only when the policy lists trustedRegistries, for each container whose image (normalised, so nginx is docker.io/library/nginx) " +
				"does not start with one of them at a path boundary, or cannot be parsed.",
			Severity:    finding.Medium,
			Remediation: "Pull the image from a trusted registry (mirror it there), or add its registry to trustedRegistries in rampart.yaml.",
			Controls:    []string{"NIST-800-190:4.1.5", "CIS-K8S:5.5.1"},
			Run:         untrustedRegistry,
		},
	)
}

// eachImage runs fn on every container whose image parses; containers
// without an image or with a malformed one are left to other checks.
func eachImage(fn func(c inventory.Container, ref imageRef) []Result) func(t *Target) []Result {
	return eachContainer(func(c inventory.Container) []Result {
		if c.Image == "" {
			return nil
		}
		ref, err := parseImageCached(c.Image)
		if err != nil {
			return nil
		}
		return fn(c, ref)
	})
}

func untrustedRegistry(t *Target) []Result {
	if t.Config == nil || len(t.Config.TrustedRegistries) == 0 {
		return nil
	}
	prefixes := make([]string, 0, len(t.Config.TrustedRegistries))
	for _, p := range t.Config.TrustedRegistries {
		if n := normalizeRegistryPrefix(p); n != "" {
			prefixes = append(prefixes, n)
		}
	}
	return eachContainer(func(c inventory.Container) []Result {
		if c.Image == "" {
			return nil
		}
		ref, err := parseImageCached(c.Image)
		if err != nil {
			return []Result{{Path: c.Path.Key("image"), Message: fmt.Sprintf("image %q cannot be parsed, so its registry cannot be trusted", c.Image)}}
		}
		// Host names are case-insensitive; the prefixes are lower-cased too.
		ref.Domain = strings.ToLower(ref.Domain)
		full := ref.String()
		for _, p := range prefixes {
			if hasImagePrefix(full, p) {
				return nil
			}
		}
		return []Result{{Path: c.Path.Key("image"), Message: fmt.Sprintf("image %q (%s) is not from a trusted registry", c.Image, ref.Name())}}
	})(t)
}

// hasImagePrefix reports whether the normalised reference ref starts with
// the normalised prefix p at a boundary: the end, a '/', an '@', or a ':'
// that starts a tag (not a port: a ':' counts only once p has a path).
func hasImagePrefix(ref, p string) bool {
	if !strings.HasPrefix(ref, p) {
		return false
	}
	if len(ref) == len(p) {
		return true
	}
	switch ref[len(p)] {
	case '/', '@':
		return true
	case ':':
		return strings.Contains(p, "/")
	}
	return false
}

// normalizeRegistryPrefix spells a trustedRegistries entry the way
// imageRef.String spells images: a trailing '/' is dropped, the registry
// host is lower-cased and Docker Hub gets its full name. An entry whose
// first part is not a host is a Docker Hub path: "bitnami/" is the bitnami
// namespace (docker.io/bitnami), "nginx" the official image
// (docker.io/library/nginx) and "library/" every official image.
func normalizeRegistryPrefix(p string) string {
	p = strings.TrimSpace(p)
	slash := strings.HasSuffix(p, "/")
	p = strings.TrimRight(p, "/")
	if p == "" {
		return ""
	}
	host, rest, hasRest := strings.Cut(p, "/")
	if isRegistryHost(host) {
		host = strings.ToLower(host)
		if host == legacyDockerHub {
			host = dockerHub
		}
		if !hasRest {
			return host
		}
		return host + "/" + rest
	}
	if !hasRest && !slash {
		return dockerHub + "/library/" + p
	}
	return dockerHub + "/" + p
}

// Docker Hub's canonical name and the legacy alias runtimes rewrite to it.
const (
	dockerHub       = "docker.io"
	legacyDockerHub = "index.docker.io"
)

// imageRef is a parsed container image reference, normalised the way the
// container runtime resolves it.
type imageRef struct {
	// Domain is the registry host (with port) as written, docker.io for
	// Docker Hub.
	Domain string
	// Path is the repository inside the registry; Docker Hub official
	// images get their library/ prefix.
	Path string
	// Tag and Digest are empty when absent.
	Tag    string
	Digest string
}

// Name returns the fully qualified repository, e.g. docker.io/library/nginx.
func (r imageRef) Name() string { return r.Domain + "/" + r.Path }

// String returns the fully qualified reference with its tag and digest.
func (r imageRef) String() string {
	s := r.Name()
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// errBadImage is returned by parseImage for a reference the runtime would
// refuse.
var errBadImage = errors.New("malformed image reference")

// The grammar of github.com/distribution/reference, which container
// runtimes use to resolve image names.
var (
	domainPattern = regexp.MustCompile(`^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$`)
	pathPattern   = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	tagPattern    = regexp.MustCompile(`^[\w][\w.-]{0,127}$`)
	digestPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$`)
)

// imageCache holds parsed references by name: manifests name few distinct
// images many times, each container's image is parsed by several checks,
// and the grammar's regular expressions were a seventh of the workload
// checks' time. Only short, valid names are kept, and the cache starts
// over when full, so that what a webhook is sent (any number of names, of
// any length) cannot hold more than a few hundred KiB.
var imageCache struct {
	sync.Map // string → imageRef
	n        atomic.Int32
}

const (
	imageCacheMax     = 4096
	imageCacheNameMax = 256
)

// parseImageCached is parseImage, remembered.
func parseImageCached(s string) (imageRef, error) {
	if len(s) > imageCacheNameMax {
		return parseImage(s)
	}
	if v, ok := imageCache.Load(s); ok {
		return v.(imageRef), nil
	}
	// Parsed from a copy, so that the cache never keeps a larger buffer
	// the name is part of.
	s = strings.Clone(s)
	ref, err := parseImage(s)
	if err != nil {
		return ref, err
	}
	if imageCache.n.Add(1) > imageCacheMax {
		imageCache.Clear()
		imageCache.n.Store(1)
	}
	imageCache.Store(s, ref)
	return ref, nil
}

// parseImage parses an image reference such as nginx, nginx:1.25,
// registry.example.com:5000/team/app:v1@sha256:..., normalising Docker Hub
// short names (nginx is docker.io/library/nginx).
func parseImage(s string) (imageRef, error) {
	var r imageRef
	if s == "" || len(s) > 4096 {
		return r, fmt.Errorf("%w: %q", errBadImage, s)
	}
	name := s
	if i := strings.IndexByte(name, '@'); i >= 0 {
		name, r.Digest = name[:i], name[i+1:]
		if !digestPattern.MatchString(r.Digest) {
			return imageRef{}, fmt.Errorf("%w: %q: bad digest", errBadImage, s)
		}
	}
	// A ':' after the last '/' starts the tag; one before it is a port.
	if i := strings.LastIndexByte(name, ':'); i >= 0 && i > strings.LastIndexByte(name, '/') {
		name, r.Tag = name[:i], name[i+1:]
		if !tagPattern.MatchString(r.Tag) {
			return imageRef{}, fmt.Errorf("%w: %q: bad tag", errBadImage, s)
		}
	}
	r.Domain, r.Path = dockerHub, name
	if host, rest, ok := strings.Cut(name, "/"); ok && isRegistryHost(host) {
		if !domainPattern.MatchString(host) {
			return imageRef{}, fmt.Errorf("%w: %q: bad registry host", errBadImage, s)
		}
		r.Domain, r.Path = host, rest
		if r.Domain == legacyDockerHub {
			r.Domain = dockerHub
		}
	}
	if !pathPattern.MatchString(r.Path) {
		return imageRef{}, fmt.Errorf("%w: %q: bad repository name", errBadImage, s)
	}
	if r.Domain == dockerHub && !strings.Contains(r.Path, "/") {
		r.Path = "library/" + r.Path
	}
	return r, nil
}

// isRegistryHost reports whether the first component of a name is a
// registry host rather than a Docker Hub namespace: it has a '.' or a
// port, is localhost, or has upper-case letters (which repositories may
// not).
func isRegistryHost(s string) bool {
	return strings.ContainsAny(s, ".:[") || s == "localhost" || strings.ToLower(s) != s
}
