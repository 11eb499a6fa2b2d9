package admission

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/admission/admissiontest"
	"github.com/rampart-dev/rampart/internal/inventory"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// objectOutcome is what DecodeObject makes of one object of a request.
type objectOutcome struct {
	Obj *inventory.Object
	Err string
}

func outcomeOf(req *admissionv1.AdmissionRequest, ext runtime.RawExtension) objectOutcome {
	o, err := DecodeObject(req, ext)
	if err != nil {
		return objectOutcome{Err: err.Error()}
	}
	return objectOutcome{Obj: o}
}

// sameAsTwoSteps fails t unless decodeWorkloadReview reads body as
// DecodeAdmissionReview and then DecodeObject do: the same error, or the
// same review with the same decoded objects. It reports whether the one
// pass read the review (rather than handing it to the two steps).
func sameAsTwoSteps(t testing.TB, body []byte) bool {
	t.Helper()
	want, wantErr := DecodeAdmissionReview(body)
	got, gotErr := decodeWorkloadReview(body)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("error %v, want %v, for %s", gotErr, wantErr, body)
	}
	if wantErr != nil {
		return false
	}
	for _, ext := range []func(*admissionv1.AdmissionRequest) *runtime.RawExtension{
		func(r *admissionv1.AdmissionRequest) *runtime.RawExtension { return &r.Object },
		func(r *admissionv1.AdmissionRequest) *runtime.RawExtension { return &r.OldObject },
	} {
		g, w := outcomeOf(got.Request, *ext(got.Request)), outcomeOf(want.Request, *ext(want.Request))
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("object decoded as\n%+v\nthe two steps give\n%+v\nfor %s", g, w, body)
		}
	}
	once := got.Request.Object.Object != nil
	g, w := *got, *want
	gr, wr := *g.Request, *w.Request
	gr.Object, gr.OldObject, wr.Object, wr.OldObject = runtime.RawExtension{}, runtime.RawExtension{}, runtime.RawExtension{}, runtime.RawExtension{}
	g.Request, w.Request = &gr, &wr
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("review read as\n%+v\nthe two steps give\n%+v", g, w)
	}
	return once
}

// reviewBodies are reviews of every kind that runs pods (the typical
// workloads and the corpus), of other kinds, and odd ones: an object
// before its kind, keys given twice, null, escapes.
func reviewBodies(t testing.TB) [][]byte {
	t.Helper()
	objs := append(workloadsAndCorpus(t),
		&corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: metav1.ObjectMeta{Name: "c"}, Data: map[string]string{"a": "b"}},
		&corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}, ObjectMeta: metav1.ObjectMeta{Name: "s"}})
	var bodies [][]byte
	for _, obj := range objs {
		gvk := obj.GetObjectKind().GroupVersionKind()
		kind := metav1.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind}
		for _, op := range []admissionv1.Operation{admissionv1.Create, admissionv1.Update, admissionv1.Delete} {
			r := admissiontest.Request{Kind: kind, Group: gvk.Group, Resource: strings.ToLower(gvk.Kind) + "s", Namespace: "shop", Name: "web", Operation: op, User: "u"}
			switch op {
			case admissionv1.Create:
				r.Object = obj
			case admissionv1.Update:
				r.Object, r.OldObject = obj, obj
			case admissionv1.Delete:
				r.OldObject = obj
			}
			bodies = append(bodies, admissiontest.Review(t, r))
		}
	}
	head := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","operation":"CREATE",`
	pod := `{"metadata":{"name":"p","labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"x","securityContext":{"privileged":true}}]}}`
	podKind := `"kind":{"version":"v1","kind":"Pod"}`
	for _, s := range []string{
		head + podKind + `,"object":` + pod + `}}`,
		head + `"object":` + pod + `,` + podKind + `}}`,
		head + podKind + `,"object":` + pod + `,"object":{"spec":{"hostPID":true}}}}`,
		head + podKind + `,"object":null}}`,
		head + podKind + `,"object":{}}}`,
		head + podKind + `,"object":{"status":{"phase":"Running"}}}}`,
		head + podKind + `}}`,
		head + podKind + `,` + podKind + `,"object":` + pod + `}}`,
		head + podKind + `,"object":` + pod + `,"kind":{"version":"v1","kind":"ConfigMap"}}}`,
		head + podKind + `,"obj\u0065ct":` + pod + `}}`,
		head + podKind + `,"object":` + pod + `,"obj\u0065ct":{"spec":{"hostIPC":true}}}}`,
		head + podKind + `,"Object":` + pod + `}}`,
		head + podKind + `,"object":7}}`,
		head + podKind + `,"object":[]}}`,
		head + podKind + `,"object":{"spec":{"containers":7}}}}`,
		head + podKind + `,"object":` + pod + `,"oldObject":{"spec":"x"}}}`,
		head + podKind + `,"object":` + pod + `,"oldObject":null}}`,
		head + `"kind":null,"object":` + pod + `}}`,
		head + `"kind":{"version":7},"object":` + pod + `}}`,
		head + podKind + `,"object":` + pod + `},"request":null}`,
		`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":null,"request":{"uid":"1",` + podKind + `,"object":` + pod + `}}`,
		`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1",` + podKind + `,"object":` + pod + `},"request":{"operation":"CREATE"}}`,
		`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{` + podKind + `,"object":` + pod + `}}`,
		`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`,
		`{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"1",` + podKind + `,"object":` + pod + `}}`,
		head + podKind + `,"object":` + pod + `},"response":{"allowed":"yes"}}`,
		head + podKind + `,"object":` + pod + `}} {}`,
		head + podKind + `,"object":` + pod + `,"options":{"dryRun":["All"]},"dryRun":true}}`,
		// Where encoding/json/v2 and v1 could part: escapes, invalid
		// UTF-8, names given twice deeper down, nulls into values, numbers
		// at the edges of their types, names that differ only in case.
		head + podKind + `,"object":{"metadata":{"name":"p","annotations":{"a":"\u003cb\u003e \u0026 \ud83d\ude00 \"q\" \\ \/ \t"}},"spec":{"containers":[{"name":"c\u0041","image":"x"}]}}}}`,
		head + podKind + `,"object":{"metadata":{"name":"p","annotations":{"a":"\ud800 alone"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}}`,
		head + podKind + `,"object":{"metadata":{"name":"p","annotations":{"a":"\udc00\ud800"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}}`,
		head + podKind + `,"object":{"metadata":{"name":"p` + "\xff\xfe" + `","labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}}`,
		head + podKind + `,"object":{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"x"}]}},"oldObject":{"metadata":{"name":"` + "\xc3" + `"}}}}`,
		head + podKind + `,"object":{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"x","securityContext":{"privileged":true,"privileged":false}}]}}}}`,
		head + podKind + `,"object":{"metadata":{"name":"p","labels":{"a":"b","a":"c"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}}`,
		head + podKind + `,"object":{"metadata":{"name":"p"},"spec":{"hostPID":true,"containers":[{"name":"c","image":"x"}]},"spec":{"hostIPC":true}}}}`,
		head + podKind + `,"object":{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"x"}]}},"oldObject":{"a":1,"a":2}}}`,
		head + podKind + `,"object":{"metadata":{"name":"p","labels":{"a":"b"},"labels":{"c":"d"}},"spec":{"containers":[{"name":"c","image":"x","ports":[{"containerPort":1}]}],"containers":[{"name":"d"}]}}}}`,
		head + podKind + `,"object":{"spec":{"containers":[{"name":"c","image":"x"},{"name":"e","image":"y"}],"containers":[{"name":"d"}],"nodeSelector":{"a":"b"},"nodeSelector":null}}}}`,
		head + podKind + `,"object":{"spec":{"securityContext":{"runAsUser":1},"securityContext":{"runAsGroup":2},"containers":[{"name":"c","image":"x","resources":{"limits":{"cpu":"1"}},"resources":{"requests":{"cpu":"1"}}}]}}}}`,
		head + podKind + `,"userInfo":{"username":"a","groups":["g"]},"userInfo":{"uid":"b"},"object":` + pod + `,"options":{"a":1},"options":{"b":2},"uid":"2"}}`,
		head + podKind + `,"object":null,"object":` + pod + `}}`,
		head + podKind + `,"object":{"metadata":{"name":"p"},"spec":null,"spec":{"hostPID":true,"containers":[{"name":"c","image":"x"}]}}}}`,
		head + podKind + `,"object":{"metadata":{"name":"p"},"spec":{"hostPID":true,"containers":[{"name":"c","image":"x"}]},"spec":null}}}`,
		head + podKind + `,"object":` + pod + `,"oldObject":` + pod + `,"oldObject":{}}}`,
		head + podKind + `,"object":{"metadata":null,"spec":{"containers":null,"hostPID":null,"securityContext":null,"priority":null}}}}`,
		head + podKind + `,"object":{"metadata":{"name":null,"labels":null,"creationTimestamp":null},"spec":{"containers":[{"name":"c","image":"x","ports":null,"resources":{"limits":null}}]}}}}`,
		head + podKind + `,"object":{"spec":{"terminationGracePeriodSeconds":1.0,"containers":[{"name":"c","image":"x"}]}}}}`,
		head + podKind + `,"object":{"spec":{"terminationGracePeriodSeconds":1e2,"containers":[{"name":"c","image":"x"}]}}}}`,
		head + podKind + `,"object":{"spec":{"terminationGracePeriodSeconds":-0,"priority":2147483648,"containers":[{"name":"c","image":"x"}]}}}}`,
		head + podKind + `,"object":{"spec":{"terminationGracePeriodSeconds":9223372036854775808,"containers":[{"name":"c","image":"x"}]}}}}`,
		head + podKind + `,"object":{"spec":{"containers":[{"name":"c","image":"x","resources":{"limits":{"cpu":1,"memory":"1e3","ephemeral-storage":0.5}}}]}}}}`,
		head + podKind + `,"object":{"spec":{"containers":[{"name":"c","image":"x","resources":{"limits":{"cpu":"x"}}}]}}}}`,
		head + podKind + `,"object":{"spec":{"containers":[{"name":"c","image":"x","livenessProbe":{"httpGet":{"port":"http"},"tcpSocket":{"port":8080}}}]}}}}`,
		head + podKind + `,"object":{"spec":{"containers":[{"name":"c","image":"x","livenessProbe":{"httpGet":{"port":1.5}}}]}}}}`,
		head + podKind + `,"object":{"metadata":{"name":"p","creationTimestamp":"2024-01-02T03:04:05Z"},"spec":{"containers":[{"name":"c","image":"x"}]}}}}`,
		head + podKind + `,"object":{"metadata":{"name":"p","creationTimestamp":"yesterday"},"spec":{"containers":[{"name":"c","image":"x"}]}}}}`,
		head + podKind + `,"object":{"Metadata":{"name":"p"},"spec":{"Containers":[{"name":"c","image":"x"}],"HostPID":true}}}}`,
		head + podKind + `,"object":{"spec":{"host_pid":true,"hostpid":true,"containers":[{"name":"c","image":"x"}]}}}}`,
		head + podKind + `,"object":{"spec":{"containers":{"name":"c"}}}}}`,
		head + podKind + `,"object":{"spec":{"containers":[{"name":"c","image":"x","securityContext":{"privileged":"true"}}]}}}}`,
		head + podKind + `,"object":{"spec":{"containers":[{"name":"c","image":"x","securityContext":{"capabilities":{"add":["SYS_ADMIN",null]}}}]}}}}`,
		head + podKind + `,"object":{"spec":{"nodeSelector":{"a":null},"containers":[{"name":"c","image":"x","env":[null,{"name":"a"}]}]}}}}`,
		head + podKind + `,"object":` + strings.Repeat(`{"a":`, 200) + `1` + strings.Repeat(`}`, 200) + `}}`,
		head + podKind + `,"object":{"spec":{"containers":[{"name":"c","image":"x"}]}} , "userInfo":{"username":"u","extra":{"k":["v",null]}}}}`,
		head + podKind + `,"object":{"spec":{"containers":[{"name":"c","image":"x"}]}},"requestKind":null,"dryRun":null,"options":null}}`,
		head + podKind + `,"object":{"spec":{"containers":[{"name":"c","image":"x"}]}}},"response":null}`,
		"\ufeff" + head + podKind + `,"object":` + pod + `}}`,
		head + podKind + `,"object":` + pod + "}}\n\t ",
	} {
		bodies = append(bodies, []byte(s))
	}
	return bodies
}

// The one pass reads every review as the two steps do, on well-formed
// reviews of every kind, odd ones, and every review cut short or with a
// byte changed.
func TestDecodeWorkloadReviewMatchesTwoSteps(t *testing.T) {
	bodies := reviewBodies(t)
	const edits = "\"{}[],:0 \\n"
	once := 0
	for _, body := range bodies {
		if sameAsTwoSteps(t, body) {
			once++
		}
		for i := 1; i < len(body); i += 1 + len(body)/40 {
			sameAsTwoSteps(t, body[:i])
			changed := bytes.Clone(body)
			changed[i] = edits[i%len(edits)]
			sameAsTwoSteps(t, changed)
		}
	}
	// The typical workloads of every kind, created and updated, at least.
	if once < 16 {
		t.Errorf("%d of %d reviews read in one pass: the test proves little about it", once, len(bodies))
	}
}

// The workload endpoint answers every review as it did when it read the
// object in a second step: the same status, body and decision records.
func TestWorkloadEndpointAnswersAsTwoSteps(t *testing.T) {
	pol := mustPolicy(t, "trustedRegistries: [registry.example.com/]\nwebhook: {admission: {mode: block}, labels: [{required: [team]}]}")
	answer := func(decode func([]byte) (*admissionv1.AdmissionReview, error), body []byte) (int, string, []Decision) {
		log := &memLog{}
		ep := &reviewEndpoint{kind: "workloads", handler: NewWorkloads(static(pol), log).Handler(), decode: decode, budget: DefaultBudget}
		rec := httptest.NewRecorder()
		ep.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body)))
		ds := log.all()
		for i := range ds {
			ds[i].Time = time.Time{}
		}
		return rec.Code, rec.Body.String(), ds
	}
	denied := 0
	for _, body := range reviewBodies(t) {
		code, got, gotLog := answer(decodeWorkloadReview, body)
		wantCode, want, wantLog := answer(nil, body)
		if code != wantCode || got != want || !reflect.DeepEqual(gotLog, wantLog) {
			t.Fatalf("answer %d %s %+v\nwith two steps %d %s %+v\nfor %s", code, got, gotLog, wantCode, want, wantLog, body)
		}
		if strings.Contains(got, `"allowed":false`) {
			denied++
		}
	}
	if denied == 0 {
		t.Error("no review denied: the answers compared say little")
	}
}

// FuzzDecodeWorkloadReview: whatever the body, the one pass reads it as
// the two steps do. The seeds are small, so that the fuzzer's inputs are.
func FuzzDecodeWorkloadReview(f *testing.F) {
	for _, body := range reviewBodies(f) {
		if len(body) < 2048 {
			f.Add(body)
		}
	}
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","kind":{"group":"apps","version":"v1","kind":"Deployment"},` +
		`"operation":"UPDATE","object":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"app":"web"},` +
		`"managedFields":[{"manager":"kubectl","operation":"Apply","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{}}}]},` +
		`"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"app","image":"x:1","resources":{"limits":{"cpu":"500m"}}}]}}},` +
		`"status":{"replicas":2}},"oldObject":{"metadata":{"name":"web"}}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		sameAsTwoSteps(t, body)
	})
}

// A decision that runs past its budget keeps its body: the review's raw
// objects are slices of it, and the requests after it must not reuse it.
func TestLateDecisionKeepsItsBody(t *testing.T) {
	saw := make(chan string, 1)
	late := handlerFunc(func(_ context.Context, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
		if string(req.OldObject.Raw) == `{"n":1}` {
			time.Sleep(100 * time.Millisecond) // past the budget, while the next request runs
			saw <- string(req.OldObject.Raw)
		}
		return allow()
	})
	ep := &reviewEndpoint{kind: "x", handler: late, decode: decodeWorkloadReview, budget: 20 * time.Millisecond}
	review := func(n int) []byte {
		return admissiontest.Review(t, admissiontest.Request{Operation: admissionv1.Update, Object: map[string]int{"n": n}, OldObject: map[string]int{"n": n}})
	}
	if resp, code, body := post(t, ep, review(1)); resp == nil || !strings.Contains(strings.Join(resp.Warnings, ""), "no decision within") {
		t.Fatalf("status %d %s: want an answer by failure policy", code, body)
	}
	for range 10 {
		post(t, ep, review(2))
	}
	if got := <-saw; got != `{"n":1}` {
		t.Errorf("the late decision read %s, want its own old object", got)
	}
}
