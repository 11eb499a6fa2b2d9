package netpol

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

func readFlows(t *testing.T, file, format string) []Flow {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Flow
	if err := ParseFlows(f, format, DefaultLimits, func(fl Flow) error { out = append(out, fl); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func flowText(f Flow) string {
	end := func(e FlowEndpoint) string {
		switch {
		case e.Node:
			return "node"
		case !e.Pod():
			return e.IP.String()
		}
		return fmt.Sprintf("%s/%s %v", e.Namespace, e.Name, StableLabels(e.Labels))
	}
	s := fmt.Sprintf("%d %s -> %s %s/%d %s", f.Line, end(f.Src), end(f.Dst), f.Protocol, f.Port, f.Verdict)
	if f.Reply {
		s += " reply"
	}
	return s
}

func TestParseHubble(t *testing.T) {
	var got []string
	for _, f := range readFlows(t, "testdata/hubble.json", FormatAuto) {
		got = append(got, flowText(f))
	}
	want := []string{
		"1 prod/api map[app:api] -> prod/db map[app:db] TCP/5432 FORWARDED",
		"2 prod/db-0 map[app:db] -> prod/api-7d9f8b6c5-x2x9q map[app:api] TCP/41234 FORWARDED reply",
		"3 prod/api map[app:api] -> kube-system/coredns map[k8s-app:kube-dns] UDP/53 FORWARDED",
		"4 prod/api-7d9f8b6c5-x2x9q map[app:api] -> 93.184.216.34 TCP/443 FORWARDED",
		"5 ingress-nginx/ingress-nginx-controller map[app.kubernetes.io/name:ingress-nginx] -> prod/api-7d9f8b6c5-x2x9q map[app:api] TCP/8080 FORWARDED",
		"6 node -> prod/api-7d9f8b6c5-x2x9q map[app:api] TCP/8080 FORWARDED",
		"7 shop/web-1 map[app:web] -> prod/db-0 map[app:db] TCP/5432 DROPPED",
		// line 8 is ICMP, line 9 a node status: no flows a policy governs.
		"10 prod/ map[app:api] -> prod/ map[app:db] TCP/5433 FORWARDED",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseOwnFormats(t *testing.T) {
	var csv, js []string
	for _, f := range readFlows(t, "testdata/flows.csv", FormatAuto) {
		csv = append(csv, flowText(f))
	}
	want := []string{
		"3 prod/api map[app:api] -> prod/db map[app:db] TCP/5432 ",
		"4 prod/api map[app:api] -> kube-system/coredns map[k8s-app:kube-dns] UDP/53 ",
		"5 prod/api map[app:api] -> 93.184.216.34 TCP/443 ",
		"6 ingress-nginx/ingress-nginx-controller map[app.kubernetes.io/name:ingress-nginx] -> prod/api map[app:api] TCP/8080 ",
	}
	if strings.Join(csv, "\n") != strings.Join(want, "\n") {
		t.Errorf("csv:\n%s\nwant:\n%s", strings.Join(csv, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range readFlows(t, "testdata/flows.json", FormatAuto) {
		js = append(js, flowText(f))
	}
	wantJS := []string{
		"2 prod/api map[app:api] -> prod/db map[app:db] TCP/5432 ",
		"3 prod/ map[app:api] -> 93.184.216.34 TCP/443 ",
	}
	if strings.Join(js, "\n") != strings.Join(wantJS, "\n") {
		t.Errorf("json:\n%s\nwant:\n%s", strings.Join(js, "\n"), strings.Join(wantJS, "\n"))
	}
}

// TestFlowErrors: every malformed input is an ErrFlowInput naming the line.
func TestFlowErrors(t *testing.T) {
	hubbleOK := `{"flow":{"verdict":"FORWARDED","IP":{"source":"10.0.0.1","destination":"10.0.0.2"},"l4":{"TCP":{"destination_port":80}},"source":{"namespace":"a","labels":["k8s:app=x"]},"destination":{"namespace":"b","labels":["k8s:app=y"]}}}`
	tests := []struct {
		name, format, input, want string
	}{
		{"hubble: not JSON", FormatHubble, hubbleOK + "\n{oops\n", "line 2: "},
		{"hubble: bad IP", FormatHubble, strings.Replace(hubbleOK, "10.0.0.2", "10.0.0.300", 1), `line 1: destination IP "10.0.0.300" is not an IP address`},
		{"hubble: port 0", FormatHubble, strings.Replace(hubbleOK, `"destination_port":80`, `"destination_port":0`, 1), "line 1: destination port 0"},
		{"hubble: bad label", FormatHubble, strings.Replace(hubbleOK, "k8s:app=x", "k8s:app=-x-", 1), `line 1: label app value "-x-"`},
		{"hubble: bad namespace", FormatHubble, strings.Replace(hubbleOK, `"namespace":"a"`, `"namespace":"A_b"`, 1), `line 1: source namespace "A_b"`},
		{"hubble: too long", FormatHubble, hubbleOK + "\n" + hubbleOK + strings.Repeat(" ", 2000) + "\n", "line 2: longer than 1000 bytes"},
		{"csv: unknown column", FormatCSV, "src_namespace,dst_namespace,proto,port\n", `line 1: unknown column "proto"`},
		{"csv: no port column", FormatCSV, "src_namespace,dst_namespace\n", "line 1: no port column"},
		{"csv: bad port", FormatCSV, "src_namespace,dst_namespace,port\na,b,80\na,b,http\n", `line 3: port "http"`},
		{"csv: bad protocol", FormatCSV, "src_namespace,dst_namespace,protocol,port\na,b,ICMP,1\n", `line 2: protocol "ICMP"`},
		{"csv: no end", FormatCSV, "src_namespace,dst_namespace,port\n,b,80\n", "line 2: src has neither a namespace nor an IP address"},
		{"csv: bad label", FormatCSV, "src_namespace,src_labels,dst_namespace,port\na,app,b,80\n", `line 2: label "app" is not key=value`},
		{"csv: quotes", FormatCSV, "src_namespace,dst_namespace,port\na,\"b,80\n", "line 2:"},
		{"json: no dst", FormatJSON, `{"src":{"namespace":"a"},"port":80}`, "line 1: no dst"},
		{"json: array with a bad record", FormatJSON, "[\n{\"src\":{\"namespace\":\"a\"},\"dst\":{\"namespace\":\"b\"},\"port\":80},\n{\"src\":{\"namespace\":\"a\"},\"dst\":{\"ip\":\"x\"},\"port\":80}\n]", `line 3: dst.ip "x"`},
		{"json: truncated array", FormatJSON, "[\n{\"src\":{\"namespace\":\"a\"},\"dst\":{\"namespace\":\"b\"},\"port\":80},\n", "line 2:"},
	}
	lim := DefaultLimits
	lim.MaxLine = 1000
	for _, tc := range tests {
		err := ParseFlows(strings.NewReader(tc.input), tc.format, lim, func(Flow) error { return nil })
		if err == nil || !errors.Is(err, ErrFlowInput) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	lim.MaxRecords = 1
	if err := ParseFlows(strings.NewReader(hubbleOK+"\n"+hubbleOK+"\n"), FormatHubble, lim, func(Flow) error { return nil }); err == nil || !strings.Contains(err.Error(), "line 2: more than 1 records") {
		t.Errorf("record limit: %v", err)
	}
}

// FuzzParseHubble: no input makes the parser panic or hang, and every
// error names a line.
func FuzzParseHubble(f *testing.F) {
	data, err := os.ReadFile("testdata/hubble.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Fuzz(func(t *testing.T, in []byte) {
		lim := Limits{MaxLine: 4096, MaxRecords: 1000, MaxLabels: 32}
		err := ParseHubble(strings.NewReader(string(in)), lim, func(fl Flow) error {
			if fl.Port < 1 || fl.Port > 65535 || fl.Line < 1 {
				t.Fatalf("bad flow %+v", fl)
			}
			return nil
		})
		if err != nil && !strings.Contains(err.Error(), "line ") {
			t.Fatalf("error without a line: %v", err)
		}
	})
}

// FuzzParseFlowsCSV: the same for Rampart's CSV format.
func FuzzParseFlowsCSV(f *testing.F) {
	data, err := os.ReadFile("testdata/flows.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Fuzz(func(t *testing.T, in []byte) {
		lim := Limits{MaxLine: 4096, MaxRecords: 1000, MaxLabels: 32}
		err := ParseFlowsCSV(strings.NewReader(string(in)), lim, func(fl Flow) error {
			if fl.Port < 1 || fl.Port > 65535 {
				t.Fatalf("bad flow %+v", fl)
			}
			l := NewLearner(LearnOptions{})
			l.Add(fl)
			l.Policies()
			return nil
		})
		if err != nil && !strings.Contains(err.Error(), "line ") {
			t.Fatalf("error without a line: %v", err)
		}
	})
}
