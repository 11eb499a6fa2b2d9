package finding

import "strings"

// NIST SP 800-190 countermeasure groups, by section number.
var NISTTitles = map[string]string{
	"4.1":   "Image countermeasures",
	"4.2":   "Registry countermeasures",
	"4.3.1": "Unbounded administrative access",
	"4.3.2": "Unauthorized access",
	"4.3.3": "Poorly separated inter-container network traffic",
	"4.3.4": "Mixing of workload sensitivity levels",
	"4.3.5": "Orchestrator node trust",
	"4.4":   "Container countermeasures",
	"4.5":   "Host OS countermeasures",
}

// NISTOrder lists the sections of NISTTitles in document order.
var NISTOrder = []string{"4.1", "4.2", "4.3.1", "4.3.2", "4.3.3", "4.3.4", "4.3.5", "4.4", "4.5"}

// NISTSection returns the section a finding's controls put it in: the
// first 4.3.x orchestrator countermeasure it maps to, else the first other
// countermeasure group (4.1, 4.2, 4.4, 4.5), else "".
func NISTSection(controls []string) string {
	other := ""
	for _, c := range controls {
		s, ok := strings.CutPrefix(c, "NIST-800-190:")
		if !ok {
			continue
		}
		if strings.HasPrefix(s, "4.3.") && len(s) >= 5 {
			return s[:5]
		}
		if other == "" && len(s) >= 3 {
			if _, known := NISTTitles[s[:3]]; known {
				other = s[:3]
			}
		}
	}
	return other
}
