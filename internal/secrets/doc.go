// Package secrets finds hard-coded credentials: in file trees, in every
// commit of a git history, inside packaged Helm charts and in every layer
// of container images saved with `docker save` or as OCI layout tarballs,
// and (as checks run by rampart scan) in Kubernetes manifests.
//
// Detection uses gitleaks' default rule catalog, the de facto standard set
// of API key, token, private key and password patterns, with its Shannon
// entropy thresholds for generic secrets. Rampart adds what a catalog of
// regular expressions cannot know: which files are noise (lock files,
// minified bundles, base64 image data), which paths are test fixtures,
// inline allow comments, a baseline of accepted findings, and where in a
// git history or an image layer a secret lives.
//
// A Finding never holds the secret: only a redacted preview (a few leading
// characters and the length) and a salted fingerprint.
package secrets
