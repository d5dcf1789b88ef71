// Checks shared by every resource the MES profiles accept: the resource type and the
// DomainResource elements (id, meta, implicitRules, language, text, contained, extension,
// modifierExtension).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "fhir/json/value.h"
#include "fhir/types/datatypes.h"
#include "fhir/validation/issues.h"

namespace mes::fhir {

// Checks that `resource` is a JSON object whose resourceType is `type`. Reports structurally
// ("invalid-type", "resource-type-mismatch") and returns false otherwise: the caller then
// stops, since nothing else can be checked against the right definition.
bool checkResourceType(const Value& resource, std::string_view type, Issues& issues);

struct DomainResourceParts {
  std::optional<Meta> meta;
  std::vector<Extension> extension;
};

// Reads id, meta, language, text and extension of `resource` (located at `root`) and refuses
// implicitRules, contained and modifierExtension ("element-not-allowed"): the gateway cannot
// honour rules or modifiers it does not know, and measures and devices have no use for
// contained resources. Element names are checked by the caller, which knows the full list.
DomainResourceParts checkDomainResource(const Value& resource, const Path& root, Issues& issues);

}  // namespace mes::fhir
