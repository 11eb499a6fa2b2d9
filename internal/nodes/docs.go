package nodes

import (
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
)

// docTypes give the typed form of each configuration document, to
// validate it on reading: a wrongly typed field is an input error, not a
// silent default.
var docTypes = map[string]func() any{
	"EncryptionConfiguration":     func() any { return &apiserverv1.EncryptionConfiguration{} },
	"AdmissionConfiguration":      func() any { return &apiserverv1.AdmissionConfiguration{} },
	"AuthenticationConfiguration": func() any { return &apiserverv1.AuthenticationConfiguration{} },
	"AuthorizationConfiguration":  func() any { return &apiserverv1.AuthorizationConfiguration{} },
}
