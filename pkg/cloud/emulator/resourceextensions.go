package emulator

import (
	"net/http"
	"sort"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud/azure/smapi"
)

// listResourceExtensionVersions answers List Resource Extension Versions
// (GET /{sub}/services/resourceextensions/{publisher}/{name},
// learn.microsoft.com previous-versions/azure/reference/dn495440) for the
// extensions the estate's roles reference: one version per version a role
// selects ("1.*" is served as 1.0, none as 1.0), IsJsonExtension false for
// an extension the estate gives `format: xml`. The reference itself does
// not say whether an extension is a legacy XML one, as in Azure; this list
// is where a client finds out. An extension no role references answers
// 404, the estate having nothing to say of it.
func (s *Server) listResourceExtensionVersions(w http.ResponseWriter, r *http.Request) {
	inv, err := s.d.Discover(r.Context())
	if err != nil {
		writeCloudError(w, err)
		return
	}
	pub, name := r.PathValue("publisher"), r.PathValue("name")
	json := map[string]bool{} // version -> takes JSON
	for _, cs := range inv.CloudServices {
		for _, role := range cs.Deployment.Roles {
			for _, x := range role.Extensions {
				if !strings.EqualFold(x.Publisher, pub) || !strings.EqualFold(x.Name, name) {
					continue
				}
				v := servedVersion(x.Version)
				isJSON := !strings.EqualFold(x.Format, "xml")
				if prev, ok := json[v]; ok {
					isJSON = isJSON && prev
				}
				json[v] = isJSON
			}
		}
	}
	if len(json) == 0 {
		writeXMLError(w, http.StatusNotFound, "ResourceNotFound", "The resource extension '"+pub+"/"+name+"' was not found.")
		return
	}
	out := smapi.ResourceExtensions{}
	for v, isJSON := range json {
		out.Extensions = append(out.Extensions, smapi.ResourceExtension{Publisher: pub, Name: name, Version: v, IsJSONExtension: &isJSON})
	}
	sort.Slice(out.Extensions, func(i, j int) bool { return out.Extensions[i].Version < out.Extensions[j].Version })
	writeXML(w, http.StatusOK, out)
}

// servedVersion is the version the emulator lists for a role's reference:
// a major-version reference ("1.*") or none selects the first minor.
func servedVersion(ref string) string {
	switch {
	case ref == "" || ref == "*":
		return "1.0"
	case strings.HasSuffix(ref, ".*"):
		return strings.TrimSuffix(ref, "*") + "0"
	}
	return ref
}
