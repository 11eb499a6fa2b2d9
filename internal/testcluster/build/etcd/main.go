// Command etcd is the upstream etcd server, built from go.etcd.io/etcd/server/v3
// as a module so that integration tests run a real one.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
