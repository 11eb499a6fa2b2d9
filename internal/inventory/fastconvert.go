package inventory

import (
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"k8s.io/apimachinery/pkg/api/resource"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/structured-merge-diff/v6/value"
)

// toTyped fills typed, a new object from the scheme, from raw, with the
// result runtime.DefaultUnstructuredConverter.FromUnstructured gives.
//
// It first tries fastConvert, which does what FromUnstructured does with
// per-type plans instead of reflection on every field; when that cannot
// convert the object (a value of the wrong type, a type it has no plan
// for), the object is zeroed and FromUnstructured converts it, and reports
// the error, itself.
func toTyped(raw map[string]any, typed kruntime.Object) error {
	v := reflect.ValueOf(typed)
	if v.Kind() == reflect.Pointer && !v.IsNil() && v.Elem().Kind() == reflect.Struct {
		if convPlanFor(v.Type().Elem()).conv(raw, v.UnsafePointer()) {
			return nil
		}
		v.Elem().SetZero()
	}
	return kruntime.DefaultUnstructuredConverter.FromUnstructured(plain(raw).(map[string]any), typed)
}

// A convPlan converts a plain value into memory of one Go type, which must
// hold its zero value; conv reports false where FromUnstructured might do
// anything but succeed. A nil source leaves the zero value, as
// FromUnstructured does.
type convPlan struct {
	conv func(src any, dst unsafe.Pointer) bool
}

var (
	convPlans sync.Map // reflect.Type → *convPlan, complete plans only
	convBuild sync.Mutex
)

func convPlanFor(t reflect.Type) *convPlan {
	if p, ok := convPlans.Load(t); ok {
		return p.(*convPlan)
	}
	convBuild.Lock()
	defer convBuild.Unlock()
	building := map[reflect.Type]*convPlan{}
	p := buildPlan(t, building)
	// Publish only now: a plan may refer to plans built with it.
	for bt, bp := range building {
		convPlans.Store(bt, bp)
	}
	return p
}

// buildPlan makes the plan for t; building holds the plans under
// construction, so that recursive types refer to themselves.
func buildPlan(t reflect.Type, building map[reflect.Type]*convPlan) *convPlan {
	if p, ok := convPlans.Load(t); ok {
		return p.(*convPlan)
	}
	if p, ok := building[t]; ok {
		return p
	}
	p := &convPlan{}
	building[t] = p
	p.conv = makeConv(t, building)
	return p
}

func never(any, unsafe.Pointer) bool { return false }

var (
	quantityType       = reflect.TypeFor[resource.Quantity]()
	stringMapType      = reflect.TypeFor[map[string]string]()
	emptyInterfaceType = reflect.TypeFor[any]()
)

func makeConv(t reflect.Type, building map[reflect.Type]*convPlan) func(any, unsafe.Pointer) bool {
	switch t.Kind() {
	case reflect.String:
		return func(src any, dst unsafe.Pointer) bool {
			s, ok := src.(string)
			if ok {
				*(*string)(dst) = s
			}
			return ok
		}
	case reflect.Bool:
		return func(src any, dst unsafe.Pointer) bool {
			b, ok := src.(bool)
			if ok {
				*(*bool)(dst) = b
			}
			return ok
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return numberConv(t)
	case reflect.Map, reflect.Slice, reflect.Pointer, reflect.Struct, reflect.Interface:
		// FromUnstructured hands types with their own JSON decoding to it.
		if value.TypeReflectEntryOf(t).CanConvertFromUnstructured() {
			return customConv(t)
		}
	default:
		return never
	}
	switch t.Kind() {
	case reflect.Pointer:
		elem := t.Elem()
		ep := buildPlan(elem, building)
		return func(src any, dst unsafe.Pointer) bool {
			if src == nil {
				return true
			}
			np := reflect.New(elem).UnsafePointer()
			*(*unsafe.Pointer)(dst) = np
			return ep.conv(src, np)
		}
	case reflect.Slice:
		elem := t.Elem()
		if elem.Kind() == reflect.Uint8 {
			return never // []byte from base64 strings: rare, left to FromUnstructured
		}
		ep := buildPlan(elem, building)
		size := elem.Size()
		return func(src any, dst unsafe.Pointer) bool {
			s, ok := src.([]any)
			if !ok {
				return false
			}
			if s == nil {
				return true
			}
			sv := reflect.MakeSlice(t, len(s), len(s))
			data := sv.UnsafePointer()
			*(*sliceHeader)(dst) = sliceHeader{data: data, len: len(s), cap: len(s)}
			for i, v := range s {
				if v != nil && !ep.conv(v, unsafe.Add(data, uintptr(i)*size)) {
					return false
				}
			}
			return true
		}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return never
		}
		if t == stringMapType {
			return func(src any, dst unsafe.Pointer) bool {
				put := func(out map[string]string, k string, v any) bool {
					if v == nil {
						out[k] = ""
						return true
					}
					s, ok := v.(string)
					out[k] = s
					return ok
				}
				var out map[string]string
				switch m := src.(type) {
				case *fastMap:
					out = make(map[string]string, len(m.kv))
					for _, e := range m.kv {
						if !put(out, e.k, e.v) {
							return false
						}
					}
				case map[string]any:
					if m == nil {
						return true
					}
					out = make(map[string]string, len(m))
					for k, v := range m {
						if !put(out, k, v) {
							return false
						}
					}
				default:
					return false
				}
				*(*map[string]string)(dst) = out
				return true
			}
		}
		key, elem := t.Key(), t.Elem()
		ep := buildPlan(elem, building)
		return func(src any, dst unsafe.Pointer) bool {
			var out reflect.Value
			put := func(k string, v any) bool {
				ev := reflect.New(elem)
				if v != nil && !ep.conv(v, ev.UnsafePointer()) {
					return false
				}
				out.SetMapIndex(reflect.ValueOf(k).Convert(key), ev.Elem())
				return true
			}
			switch m := src.(type) {
			case *fastMap:
				out = reflect.MakeMapWithSize(t, len(m.kv))
				for _, e := range m.kv {
					if !put(e.k, e.v) {
						return false
					}
				}
			case map[string]any:
				if m == nil {
					return true
				}
				out = reflect.MakeMapWithSize(t, len(m))
				for k, v := range m {
					if !put(k, v) {
						return false
					}
				}
			default:
				return false
			}
			reflect.NewAt(t, dst).Elem().Set(out)
			return true
		}
	case reflect.Interface:
		if t != emptyInterfaceType {
			return never
		}
		return func(src any, dst unsafe.Pointer) bool {
			*(*any)(dst) = plain(src)
			return true
		}
	case reflect.Struct:
		fields, ok := structFields(t, 0, building, map[string][]fieldPlan{})
		if !ok {
			return never
		}
		set := func(dst unsafe.Pointer, k string, v any) bool {
			if v == nil {
				return true
			}
			for _, f := range fields[k] {
				if !f.plan.conv(v, unsafe.Add(dst, f.offset)) {
					return false
				}
			}
			return true
		}
		return func(src any, dst unsafe.Pointer) bool {
			switch m := src.(type) {
			case *fastMap:
				for _, e := range m.kv {
					if !set(dst, e.k, e.v) {
						return false
					}
				}
			case map[string]any:
				for k, v := range m {
					if !set(dst, k, v) {
						return false
					}
				}
			default:
				return false
			}
			return true
		}
	}
	return never
}

type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

type fieldPlan struct {
	offset uintptr
	plan   *convPlan
}

// structFields lists the fields FromUnstructured fills in a struct, by the
// key it reads them from, with embedded structs without a JSON name read
// from the same mapping. It gives up (false) on what it does not mirror
// exactly: unexported fields, embedded pointers or non-structs, and the
// ",embed" directive, whose meaning depends on the Go version.
func structFields(t reflect.Type, base uintptr, building map[reflect.Type]*convPlan, out map[string][]fieldPlan) (map[string][]fieldPlan, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := f.Name
		tag, hasTag := f.Tag.Lookup("json")
		if hasTag && tag != "" {
			items := strings.Split(tag, ",")
			for _, d := range items[1:] {
				if d == "embed" {
					return nil, false
				}
			}
			if items[0] != "" {
				name = items[0]
			}
		}
		if f.Anonymous && (!hasTag || tag == "" || strings.HasPrefix(tag, ",")) {
			name = ""
		}
		if !f.IsExported() {
			return nil, false
		}
		if name == "" {
			if f.Type.Kind() != reflect.Struct || value.TypeReflectEntryOf(f.Type).CanConvertFromUnstructured() {
				return nil, false
			}
			if _, ok := structFields(f.Type, base+f.Offset, building, out); !ok {
				return nil, false
			}
			continue
		}
		out[name] = append(out[name], fieldPlan{offset: base + f.Offset, plan: buildPlan(f.Type, building)})
	}
	return out, true
}

// numberConv converts bools, integers and floats as FromUnstructured does:
// integers to any integer or float type (wrapping, as Go conversions do),
// floats to floats, and whole floats to integers.
func numberConv(t reflect.Type) func(any, unsafe.Pointer) bool {
	kind := t.Kind()
	return func(src any, dst unsafe.Pointer) bool {
		switch v := src.(type) {
		case int64:
			switch kind {
			case reflect.Int:
				*(*int)(dst) = int(v)
			case reflect.Int8:
				*(*int8)(dst) = int8(v)
			case reflect.Int16:
				*(*int16)(dst) = int16(v)
			case reflect.Int32:
				*(*int32)(dst) = int32(v)
			case reflect.Int64:
				*(*int64)(dst) = v
			case reflect.Uint:
				*(*uint)(dst) = uint(v)
			case reflect.Uint8:
				*(*uint8)(dst) = uint8(v)
			case reflect.Uint16:
				*(*uint16)(dst) = uint16(v)
			case reflect.Uint32:
				*(*uint32)(dst) = uint32(v)
			case reflect.Uint64:
				*(*uint64)(dst) = uint64(v)
			case reflect.Float32:
				*(*float32)(dst) = float32(float64(v))
			case reflect.Float64:
				*(*float64)(dst) = float64(v)
			}
			return true
		case float64:
			// Rare in manifests: let reflect convert, exactly as
			// FromUnstructured does.
			return floatConv(t, v, dst)
		}
		return false
	}
}

func floatConv(t reflect.Type, v float64, dst unsafe.Pointer) bool {
	sv := reflect.ValueOf(v)
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
	default:
		if v != float64(int64(v)) && v != float64(uint64(v)) {
			return false // FromUnstructured: whole numbers only; and do not trust edge cases
		}
	}
	reflect.NewAt(t, dst).Elem().Set(sv.Convert(t))
	return true
}

// customConv decodes a type with its own JSON decoding (Quantity,
// IntOrString, Time...) the way FromUnstructured does, through JSON; a
// Quantity written as a plain word or an integer is parsed directly, as
// UnmarshalJSON would parse it.
func customConv(t reflect.Type) func(any, unsafe.Pointer) bool {
	entry := value.TypeReflectEntryOf(t)
	generic := func(src any, dst unsafe.Pointer) bool {
		return entry.FromUnstructured(reflect.ValueOf(plain(src)), reflect.NewAt(t, dst).Elem()) == nil
	}
	if t != quantityType {
		return func(src any, dst unsafe.Pointer) bool {
			if src == nil {
				return true
			}
			return generic(src, dst)
		}
	}
	return func(src any, dst unsafe.Pointer) bool {
		var s string
		switch v := src.(type) {
		case nil:
			return true
		case string:
			if !quantityWord(v) {
				return generic(src, dst)
			}
			s = v
		case int64:
			s = strconv.FormatInt(v, 10)
		default:
			return generic(src, dst)
		}
		q, err := resource.ParseQuantity(s)
		if err != nil {
			return false
		}
		*(*resource.Quantity)(dst) = q
		return true
	}
}

// quantityWord reports whether s is JSON-encoded as itself in quotes, with
// nothing for UnmarshalJSON to trim: then it parses s itself.
func quantityWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '+' || c == '-') {
			return false
		}
	}
	return true
}
