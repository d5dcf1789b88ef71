#include "gateway/resource_index.h"

#include "fhir/types/datetime.h"

namespace mes::gateway {
namespace {

void addTokens(store::IndexRows& rows, const std::string& param, const fhir::Value* codings) {
  if (codings == nullptr || !codings->isArray()) return;
  for (const auto& coding : codings->items()) {
    const std::string* code = coding.findString(param == "identifier" ? "value" : "code");
    if (code == nullptr) continue;
    const std::string* system = coding.findString("system");
    rows.tokens.push_back({param, system != nullptr ? *system : std::string(), *code});
  }
}

void addReference(store::IndexRows& rows, const std::string& param, const fhir::Value* ref) {
  if (ref == nullptr || !ref->isObject()) return;
  if (const std::string* target = ref->findString("reference")) {
    rows.references.push_back({param, *target});
  }
}

}  // namespace

std::string referencedId(const fhir::Value& reference, const std::string& type) {
  const std::string* target = reference.findString("reference");
  if (target == nullptr) return {};
  const std::string prefix = type + "/";
  if (target->rfind(prefix, 0) != 0) return {};
  std::string id = target->substr(prefix.size());
  if (id.empty() || id.find('/') != std::string::npos) return {};
  return id;
}

store::IndexRows indexRowsFor(const std::string& type, const std::string& id,
                              const fhir::Value& resource) {
  store::IndexRows rows;
  if (type == "Observation") {
    if (const fhir::Value* subject = resource.find("subject")) {
      rows.patient = referencedId(*subject, "Patient");
      addReference(rows, "subject", subject);
    }
    if (const std::string* effective = resource.findString("effectiveDateTime")) {
      if (auto range = fhir::parseDateTime(*effective)) {
        rows.dateLowMs = range->lowMs;
        rows.dateHighMs = range->highMs;
      }
    }
    if (const fhir::Value* code = resource.find("code")) addTokens(rows, "code", code->find("coding"));
    if (const std::string* status = resource.findString("status")) {
      rows.tokens.push_back({"status", "http://hl7.org/fhir/observation-status", *status});
    }
    addTokens(rows, "identifier", resource.find("identifier"));
    addReference(rows, "device", resource.find("device"));
    if (const fhir::Value* derived = resource.find("derivedFrom"); derived && derived->isArray()) {
      for (const auto& ref : derived->items()) addReference(rows, "derived-from", &ref);
    }
  } else if (type == "Device") {
    addTokens(rows, "identifier", resource.find("identifier"));
    if (const fhir::Value* patient = resource.find("patient")) {
      rows.patient = referencedId(*patient, "Patient");
    }
  } else if (type == "Patient") {
    rows.patient = id;
    addTokens(rows, "identifier", resource.find("identifier"));
  }
  return rows;
}

}  // namespace mes::gateway
