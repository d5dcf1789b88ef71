#include "fhir/profiles/domain_resource.h"

#include <string>

namespace mes::fhir {

bool checkResourceType(const Value& resource, std::string_view type, Issues& issues) {
  const Path root(type);
  if (!resource.isObject()) {
    issues.wrongType(root, "a JSON object (a " + std::string(type) + " resource)", resource);
    return false;
  }
  const Value* rt = resource.find("resourceType");
  const Path at = root.member("resourceType");
  if (rt == nullptr) {
    issues.structural("resource-type-mismatch",
                      "resourceType is required and must be '" + std::string(type) + "'.", at);
    return false;
  }
  if (!rt->isString()) {
    issues.wrongType(at, "the string '" + std::string(type) + "'", *rt);
    return false;
  }
  if (rt->text() != type) {
    const bool vowel = std::string_view("AEIOU").find(type.front()) != std::string_view::npos;
    issues.structural("resource-type-mismatch",
                      std::string("The resource must be ") + (vowel ? "an " : "a ") +
                          std::string(type) + "; got resourceType '" + rt->text() + "'.",
                      at);
    return false;
  }
  return true;
}

DomainResourceParts checkDomainResource(const Value& resource, const Path& root, Issues& issues) {
  DomainResourceParts out;
  if (const Value* v = resource.find("id")) readId(*v, root.member("id"), issues);
  if (const Value* v = resource.find("meta")) out.meta = readMeta(*v, root.member("meta"), issues);
  if (resource.find("implicitRules") != nullptr) {
    issues.notAllowed(root.member("implicitRules"),
                      "the gateway only accepts resources under the base FHIR rules");
  }
  if (const Value* v = resource.find("language")) readCode(*v, root.member("language"), issues);
  if (const Value* v = resource.find("text")) checkNarrative(*v, root.member("text"), issues);
  if (resource.find("contained") != nullptr) {
    issues.notAllowed(root.member("contained"), "send referenced resources separately");
  }
  if (const Value* v = resource.find("extension")) {
    out.extension = readExtensions(*v, root.member("extension"), issues);
  }
  if (resource.find("modifierExtension") != nullptr) {
    issues.notAllowed(root.member("modifierExtension"),
                      "the gateway does not accept modifier extensions");
  }
  return out;
}

}  // namespace mes::fhir
