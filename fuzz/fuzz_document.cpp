// libFuzzer target: a request body through parseJson, then the Documents and Agenda API
// profiles (fhir/profiles/document_profile.h, appointment_profile.h): validateDocumentReference
// in both attachment forms (ITI-105 inline data, ITI-65 Binary url) and for an update,
// validateSubmissionSet, validateBinary and validateAppointment. When the body is a Bundle,
// each entry's resource goes through the validator of its type, as the ITI-65 endpoint does.
//
// Checked on every parsed input:
//  - a refusal is kInvalid, kUnprocessable or kUnsupportedMediaType with at least one error,
//    and every problem has a code, a message and a FHIRPath expression rooted at the resource
//    type;
//  - an accepted DocumentReference keeps the header's promises: a type and a class of the
//    tables, an allowed content type, a size >= 0, a patient id, status current for a deposit,
//    exactly one of data / url as the form asks, a period with start <= end;
//  - an accepted Binary has an allowed content type; an accepted SubmissionSet a patient id
//    and entries that each have a reference;
//  - an accepted Appointment has a known status, start and end both or neither (neither only
//    for proposed, cancelled, waitlist), start strictly before end, at least one patient, and
//    identifiers with system and value.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fhir/json/json.h"
#include "fhir/profiles/appointment_profile.h"
#include "fhir/profiles/document_profile.h"
#include "fhir/types/datatypes.h"
#include "fuzz/fuzz_check.h"

namespace {

using mes::ErrorKind;
using mes::fhir::AttachmentSource;
using mes::fhir::DocumentRules;
using mes::fhir::Value;
using mes::fuzz::describe;

std::string report(std::string_view body) { return "body: " + mes::fuzz::printable(body); }

void checkRefusal(const mes::Error& e, std::string_view resourceType, std::string_view body) {
  const auto where = [&] { return describe(e) + "\n" + report(body); };
  MES_FUZZ_CHECK(e.kind == ErrorKind::kInvalid || e.kind == ErrorKind::kUnprocessable ||
                     e.kind == ErrorKind::kUnsupportedMediaType,
                 where());
  MES_FUZZ_CHECK(!e.problems.empty(), where());
  bool anyError = false;
  for (const mes::Problem& p : e.problems) {
    MES_FUZZ_CHECK(!p.code.empty() && !p.message.empty(), where());
    MES_FUZZ_CHECK(std::string_view(p.expression).substr(0, resourceType.size()) == resourceType,
                   where());
    anyError = anyError || p.severity == "error";
  }
  MES_FUZZ_CHECK(anyError, where());
}

bool allowedType(std::string_view contentType) {
  const auto allowed = mes::fhir::allowedContentTypes();
  return std::find(allowed.begin(), allowed.end(), contentType) != allowed.end();
}

void validateDocument(const Value& resource, const DocumentRules& rules, std::string_view body) {
  auto doc = mes::fhir::validateDocumentReference(resource, rules);
  if (!doc) {
    checkRefusal(doc.error(), "DocumentReference", body);
    return;
  }
  const auto where = [&] {
    return std::string(rules.attachment == AttachmentSource::kInlineData ? "inline" : "url") +
           (rules.forCreate ? " deposit; " : " update; ") + report(body);
  };
  MES_FUZZ_CHECK(doc->type != nullptr &&
                     mes::fhir::findDocumentType(doc->type->code) == doc->type,
                 where());
  MES_FUZZ_CHECK(doc->documentClass != nullptr &&
                     mes::fhir::findDocumentClass(doc->documentClass->code) == doc->documentClass,
                 where());
  MES_FUZZ_CHECK(allowedType(doc->contentType), where());
  MES_FUZZ_CHECK(doc->size >= 0, where());
  MES_FUZZ_CHECK(mes::fhir::isValidId(doc->patientId), where());
  MES_FUZZ_CHECK(!rules.forCreate || doc->status == "current", where());
  MES_FUZZ_CHECK(doc->status == "current" || doc->status == "superseded" ||
                     doc->status == "entered-in-error",
                 where());
  if (rules.attachment == AttachmentSource::kInlineData) {
    MES_FUZZ_CHECK(!doc->attachmentUrl, where());
  } else {
    MES_FUZZ_CHECK(doc->attachmentUrl && !doc->attachmentUrl->empty(), where());
    MES_FUZZ_CHECK(doc->inlineDataSize == 0, where());
  }
  // spooledData is set only for a body an AttachmentSpool rewrote (the upload path); the
  // fuzzer's bodies are parsed directly, so it stays empty whatever the input.
  MES_FUZZ_CHECK(!doc->spooledData, where());
  if (doc->period && doc->period->start && doc->period->end) {
    MES_FUZZ_CHECK(doc->period->start->lowMs <= doc->period->end->highMs, where());
  }
}

void validateList(const Value& resource, std::string_view body) {
  auto list = mes::fhir::validateSubmissionSet(resource);
  if (!list) {
    checkRefusal(list.error(), "List", body);
    return;
  }
  MES_FUZZ_CHECK(mes::fhir::isValidId(list->patientId), report(body));
  for (const auto& entry : list->entries) {
    MES_FUZZ_CHECK(!entry.reference.empty() && !entry.expression.empty(), report(body));
  }
}

void validateBinary(const Value& resource, std::string_view body) {
  auto binary = mes::fhir::validateBinary(resource);
  if (!binary) {
    checkRefusal(binary.error(), "Binary", body);
    return;
  }
  MES_FUZZ_CHECK(allowedType(binary->contentType), report(body));
  MES_FUZZ_CHECK(!binary->spooledData, report(body));
}

void validateAppointment(const Value& resource, std::string_view body) {
  auto appointment = mes::fhir::validateAppointment(resource);
  if (!appointment) {
    checkRefusal(appointment.error(), "Appointment", body);
    return;
  }
  const auto where = [&] { return "status " + appointment->status + "; " + report(body); };
  static constexpr std::string_view kStatuses[] = {
      "proposed",  "pending", "booked",          "arrived",          "fulfilled",
      "cancelled", "noshow",  "entered-in-error", "checked-in",       "waitlist"};
  MES_FUZZ_CHECK(std::find(std::begin(kStatuses), std::end(kStatuses), appointment->status) !=
                     std::end(kStatuses),
                 where());
  MES_FUZZ_CHECK(appointment->start.has_value() == appointment->end.has_value(), where());
  if (!appointment->start) {
    MES_FUZZ_CHECK(appointment->status == "proposed" || appointment->status == "cancelled" ||
                       appointment->status == "waitlist",
                   where());
  } else {
    MES_FUZZ_CHECK(appointment->start->lowMs < appointment->end->lowMs, where());
  }
  MES_FUZZ_CHECK(!appointment->patientIds.empty(), where());
  for (const std::string& id : appointment->patientIds) {
    MES_FUZZ_CHECK(mes::fhir::isValidId(id), where());
  }
  for (const auto& identifier : appointment->identifiers) {
    MES_FUZZ_CHECK(!identifier.system.empty() && !identifier.value.empty(), where());
  }
}

void validateAny(const Value& resource, std::string_view body) {
  validateDocument(resource, {true, AttachmentSource::kInlineData}, body);
  validateDocument(resource, {true, AttachmentSource::kBundleUrl}, body);
  validateDocument(resource, {false, AttachmentSource::kInlineData}, body);
  validateList(resource, body);
  validateBinary(resource, body);
  validateAppointment(resource, body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = mes::fhir::parseJson(text);
  if (!parsed) return 0;
  const Value& root = *parsed;
  // Whatever the body is, every validator must answer it with a value.
  validateAny(root, text);

  const std::string* type = root.isObject() ? root.findString("resourceType") : nullptr;
  const Value* entries = type != nullptr && *type == "Bundle" ? root.find("entry") : nullptr;
  if (entries == nullptr || !entries->isArray()) return 0;
  for (const Value& entry : entries->items()) {
    const Value* resource = entry.isObject() ? entry.find("resource") : nullptr;
    if (resource != nullptr) validateAny(*resource, text);
  }
  return 0;
}
