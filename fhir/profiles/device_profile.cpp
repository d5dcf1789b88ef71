#include "fhir/profiles/device_profile.h"

#include <string_view>

#include "fhir/profiles/domain_resource.h"
#include "fhir/types/datatypes.h"
#include "fhir/validation/issues.h"

namespace mes::fhir {
namespace {

// R4 Device elements (4.0.1).
// clang-format off
constexpr std::string_view kDeviceElements[] = {
    "resourceType", "id", "meta", "implicitRules", "language", "text", "contained", "extension",
    "modifierExtension", "identifier", "definition", "udiCarrier", "status", "statusReason",
    "distinctIdentifier", "manufacturer", "manufactureDate", "expirationDate", "lotNumber",
    "serialNumber", "deviceName", "modelNumber", "partNumber", "type", "specialization", "version",
    "property", "patient", "owner", "contact", "location", "url", "note", "safety", "parent"};
// clang-format on
constexpr std::string_view kUdiCarrierElements[] = {
    "id",           "extension",   "modifierExtension", "deviceIdentifier", "issuer",
    "jurisdiction", "carrierAIDC", "carrierHRF",        "entryType"};
constexpr std::string_view kDeviceNameElements[] = {"id", "extension", "modifierExtension", "name",
                                                    "type"};
constexpr std::string_view kSpecializationElements[] = {"id", "extension", "modifierExtension",
                                                        "systemType", "version"};
constexpr std::string_view kVersionElements[] = {"id",   "extension", "modifierExtension",
                                                 "type", "component", "value"};
constexpr std::string_view kPropertyElements[] = {"id",   "extension",     "modifierExtension",
                                                  "type", "valueQuantity", "valueCode"};

constexpr std::string_view kDeviceStatuses[] = {"active", "inactive", "entered-in-error",
                                                "unknown"};
constexpr std::string_view kDeviceNameTypes[] = {
    "udi-label-name",    "user-friendly-name", "patient-reported-name",
    "manufacturer-name", "model-name",         "other"};
constexpr std::string_view kUdiEntryTypes[] = {"barcode", "rfid",          "manual",
                                               "card",    "self-reported", "unknown"};

// A BackboneElement's extension / modifierExtension.
void checkBackbone(const Value& object, const Path& at, Issues& issues) {
  if (const Value* v = object.find("extension")) readExtensions(*v, at.member("extension"), issues);
  if (object.find("modifierExtension") != nullptr) {
    issues.notAllowed(at.member("modifierExtension"),
                      "the gateway does not accept modifier extensions");
  }
  if (const Value* v = object.find("id")) readString(*v, at.member("id"), issues);
}

template <typename Fn>
void eachBackbone(const Value& device, const Path& root, std::string_view name,
                  std::span<const std::string_view> known, Issues& issues, Fn&& fn) {
  const Value* v = device.find(name);
  if (v == nullptr) return;
  forEachItem(*v, root.member(name), issues, [&](const Value& item, const Path& p) {
    if (!checkObject(item, p, "an object", known, issues)) return;
    checkBackbone(item, p, issues);
    fn(item, p);
  });
}

void readConcepts(const Value& object, const Path& at, std::string_view name, Issues& issues) {
  if (const Value* v = object.find(name)) {
    forEachItem(*v, at.member(name), issues,
                [&](const Value& item, const Path& p) { readCodeableConcept(item, p, issues); });
  }
}

}  // namespace

Status validateDevice(const Value& device) {
  Issues issues;
  if (!checkResourceType(device, "Device", issues)) return issues.toError();
  const Path root("Device");
  issues.checkElements(device, root, kDeviceElements);
  checkDomainResource(device, root, issues);

  if (const Value* v = device.find("identifier")) {
    forEachItem(*v, root.member("identifier"), issues, [&](const Value& item, const Path& p) {
      if (!readIdentifier(item, p, issues)) return;
      if (item.find("system") == nullptr) {
        issues.missing(p.member("system"), "on every device identifier");
      }
      if (item.find("value") == nullptr) {
        issues.missing(p.member("value"), "on every device identifier");
      }
    });
  }
  if (const Value* v = device.find("definition")) {
    readReference(*v, root.member("definition"), issues);
  }
  eachBackbone(device, root, "udiCarrier", kUdiCarrierElements, issues,
               [&](const Value& item, const Path& p) {
                 for (std::string_view name : {"deviceIdentifier", "carrierAIDC", "carrierHRF"}) {
                   if (const Value* s = item.find(name)) readString(*s, p.member(name), issues);
                 }
                 for (std::string_view name : {"issuer", "jurisdiction"}) {
                   if (const Value* s = item.find(name)) readUri(*s, p.member(name), issues);
                 }
                 if (const Value* s = item.find("entryType")) {
                   readCodeFrom(*s, p.member("entryType"), issues, kUdiEntryTypes);
                 }
               });
  if (const Value* v = device.find("status")) {
    readCodeFrom(*v, root.member("status"), issues, kDeviceStatuses);
  }
  readConcepts(device, root, "statusReason", issues);
  for (std::string_view name : {"distinctIdentifier", "manufacturer", "lotNumber", "serialNumber",
                                "modelNumber", "partNumber"}) {
    if (const Value* v = device.find(name)) readString(*v, root.member(name), issues);
  }
  for (std::string_view name : {"manufactureDate", "expirationDate"}) {
    if (const Value* v = device.find(name)) readDateTime(*v, root.member(name), issues);
  }
  eachBackbone(device, root, "deviceName", kDeviceNameElements, issues,
               [&](const Value& item, const Path& p) {
                 if (const Value* s = item.find("name")) {
                   readString(*s, p.member("name"), issues);
                 } else {
                   issues.missing(p.member("name"), "in every deviceName");
                 }
                 if (const Value* s = item.find("type")) {
                   readCodeFrom(*s, p.member("type"), issues, kDeviceNameTypes);
                 } else {
                   issues.missing(p.member("type"), "in every deviceName");
                 }
               });
  if (const Value* v = device.find("type")) readCodeableConcept(*v, root.member("type"), issues);
  eachBackbone(device, root, "specialization", kSpecializationElements, issues,
               [&](const Value& item, const Path& p) {
                 if (const Value* s = item.find("systemType")) {
                   readCodeableConcept(*s, p.member("systemType"), issues);
                 } else {
                   issues.missing(p.member("systemType"), "in every specialization");
                 }
                 if (const Value* s = item.find("version")) {
                   readString(*s, p.member("version"), issues);
                 }
               });
  eachBackbone(device, root, "version", kVersionElements, issues,
               [&](const Value& item, const Path& p) {
                 if (const Value* s = item.find("type")) {
                   readCodeableConcept(*s, p.member("type"), issues);
                 }
                 if (const Value* s = item.find("component")) {
                   readIdentifier(*s, p.member("component"), issues);
                 }
                 if (const Value* s = item.find("value")) {
                   readString(*s, p.member("value"), issues);
                 } else {
                   issues.missing(p.member("value"), "in every version");
                 }
               });
  eachBackbone(
      device, root, "property", kPropertyElements, issues, [&](const Value& item, const Path& p) {
        if (const Value* s = item.find("type")) {
          readCodeableConcept(*s, p.member("type"), issues);
        } else {
          issues.missing(p.member("type"), "in every property");
        }
        if (const Value* s = item.find("valueQuantity")) {
          forEachItem(*s, p.member("valueQuantity"), issues,
                      [&](const Value& q, const Path& qp) { readQuantity(q, qp, issues); });
        }
        readConcepts(item, p, "valueCode", issues);
      });
  for (std::string_view name : {"patient", "owner", "location", "parent"}) {
    if (const Value* v = device.find(name)) readReference(*v, root.member(name), issues);
  }
  if (const Value* v = device.find("contact")) {
    forEachItem(*v, root.member("contact"), issues,
                [&](const Value& item, const Path& p) { checkContactPoint(item, p, issues); });
  }
  if (const Value* v = device.find("url")) readUri(*v, root.member("url"), issues);
  if (const Value* v = device.find("note")) {
    forEachItem(*v, root.member("note"), issues,
                [&](const Value& item, const Path& p) { checkAnnotation(item, p, issues); });
  }
  readConcepts(device, root, "safety", issues);
  return issues.toStatus();
}

}  // namespace mes::fhir
