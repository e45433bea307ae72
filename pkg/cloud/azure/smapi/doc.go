// Package smapi is the Service Management (classic) wire format that the
// azure driver speaks and the emulator serves: the XML documents, the URL
// paths built from a migration target, and the conversion between the
// discovery documents and the inventory model. Keeping both ends on one set
// of types is what makes the emulator a faithful test of the driver.
//
// Where the real API reports something in a document this package does not
// model (extension parameters, certificates, …) the element is left out.
// Where the inventory needs something the real API reports elsewhere, the
// element is added to the closest real document and marked "emulator
// extension" in its comment, so a reader knows which shapes are real.
package smapi
