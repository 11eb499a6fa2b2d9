// Command rampart secures Kubernetes orchestration: it scans manifests and
// clusters against NIST SP 800-190's orchestrator risks.
package main

import (
	"os"

	"github.com/rampart-dev/rampart/internal/cli"
)

func main() {
	os.Exit(cli.Execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
