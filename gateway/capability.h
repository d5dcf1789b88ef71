// Pieces of the CapabilityStatement (GET /fhir/metadata) shared by the route families that
// describe their own resources (FhirApi, AgendaApi, DocumentApi).
#pragma once

#include <initializer_list>

#include "fhir/json/value.h"

namespace mes::gateway {

// [{"code": c}...] for CapabilityStatement.rest.resource.interaction.
fhir::Value capabilityInteractions(std::initializer_list<const char*> codes);
// {"name", "type", "documentation"} for CapabilityStatement.rest.resource.searchParam.
fhir::Value capabilitySearchParam(const char* name, const char* type, const char* documentation);

}  // namespace mes::gateway
