#include "fhir/profiles/document_profile.h"

#include <algorithm>
#include <cstring>

#include "fhir/json/attachment_spool.h"
#include "fhir/profiles/domain_resource.h"
#include "fhir/types/base64.h"
#include "fhir/validation/issues.h"

namespace mes::fhir {
namespace {

// ---- Tables (documented in the header and in docs/document-types.md) ----------------------

// clang-format off
constexpr DocumentClass kDocumentClasses[] = {
    {"10", "Compte rendu"},
    {"11", "Synthèse"},
    {"31", "Imagerie médicale"},
    {"42", "Prescription"},
    {"43", "Dispensation"},
    {"44", "Plan de soins"},
    {"45", "Traitement administré"},
    {"52", "Certificat/déclaration"},
    {"60", "Données de remboursement"},
    {"90", "Autres documents déposés par le patient"},
    {"95", "Document de gestion"},
};

// LOINC code, French display of JDV_J07-XdsTypeCode-CISIS, usual TRE_A03 class.
constexpr DocumentType kDocumentTypes[] = {
    {"11488-4", "CR ou fiche de consultation ou de visite",                "10"},
    {"11490-0", "Lettre de liaison à la sortie d'un établissement de soins", "10"},
    {"11502-2", "CR d'examens biologiques",                                "10"},
    {"11505-5", "CR d'acte thérapeutique (autre)",                         "10"},
    {"11506-3", "CR ou fiche de suivi de soins par auxiliaire médical",    "10"},
    {"15507-7", "CR de passage aux urgences",                              "10"},
    {"34112-3", "CR hospitalier (séjour)",                                 "10"},
    {"34794-8", "CR de réunion de concertation pluridisciplinaire",        "10"},
    {"34874-8", "CR opératoire",                                           "10"},
    {"47420-5", "CR de bilan fonctionnel",                                 "10"},
    {"60568-3", "CR d'anatomie et de cytologie pathologiques",             "10"},
    {"70004-7", "CR d'acte diagnostique (autre)",                          "10"},
    {"85208-7", "CR de télémédecine",                                      "10"},
    {"34133-9", "Synthèse d'épisode de soins",                             "11"},
    {"60591-5", "Synthèse médicale",                                       "11"},
    {"68599-0", "Synthèse psychiatrique",                                  "11"},
    {"18748-4", "CR d'imagerie médicale",                                  "31"},
    {"52040-3", "Document encapsulant une image d'illustration non DICOM", "31"},
    {"55115-0", "Demande d'actes d'imagerie",                              "42"},
    {"57828-6", "Prescription (autre)",                                    "42"},
    {"57832-8", "Prescription de soins",                                   "42"},
    {"57833-6", "Prescription de produits de santé",                       "42"},
    {"60593-1", "Dispensation médicamenteuse",                             "43"},
    {"18776-5", "Plan personnalisé de soins",                              "44"},
    {"77604-7", "Planification thérapeutique",                             "44"},
    {"80565-5", "CR d'administration de médicaments",                      "45"},
    {"55751-2", "Déclaration de problème de santé publique",               "52"},
    {"59284-0", "Attestation de consentement",                             "52"},
    {"89601-9", "Certificat médical",                                      "52"},
    {"51851-4", "Document administratif",                                  "95"},
};
// clang-format on

constexpr std::string_view kAllowedContentTypes[] = {
    "application/pdf", "image/jpeg", "image/png", "text/plain", "text/xml", "application/xml"};

constexpr std::string_view kDocumentStatuses[] = {"current", "superseded", "entered-in-error"};
constexpr std::string_view kDocStatuses[] = {"preliminary", "final", "amended", "entered-in-error"};
constexpr std::string_view kRelatesToCodes[] = {"replaces", "transforms", "signs", "appends"};
constexpr std::string_view kListStatuses[] = {"current", "retired", "entered-in-error"};
constexpr std::string_view kListModes[] = {"working", "snapshot", "changes"};

// R4 (4.0.1) element names.
// clang-format off
constexpr std::string_view kDocumentReferenceElements[] = {
    "resourceType", "id", "meta", "implicitRules", "language", "text", "contained", "extension",
    "modifierExtension", "masterIdentifier", "identifier", "status", "docStatus", "type",
    "category", "subject", "date", "author", "authenticator", "custodian", "relatesTo",
    "description", "securityLabel", "content", "context"};
// clang-format on
constexpr std::string_view kRelatesToElements[] = {"id", "extension", "modifierExtension", "code",
                                                   "target"};
constexpr std::string_view kContentElements[] = {"id", "extension", "modifierExtension",
                                                 "attachment", "format"};
constexpr std::string_view kAttachmentElements[] = {"id",    "extension", "contentType", "language",
                                                    "data",  "url",       "size",        "hash",
                                                    "title", "creation"};
constexpr std::string_view kContextElements[] = {
    "id",     "extension",    "modifierExtension", "encounter",         "event",
    "period", "facilityType", "practiceSetting",   "sourcePatientInfo", "related"};
// clang-format off
constexpr std::string_view kListElements[] = {
    "resourceType", "id", "meta", "implicitRules", "language", "text", "contained", "extension",
    "modifierExtension", "identifier", "status", "mode", "title", "code", "subject", "encounter",
    "date", "source", "orderedBy", "note", "entry", "emptyReason"};
// clang-format on
constexpr std::string_view kListEntryElements[] = {
    "id", "extension", "modifierExtension", "flag", "deleted", "date", "item"};
constexpr std::string_view kBinaryElements[] = {"resourceType",    "id",       "meta",
                                                "implicitRules",   "language", "contentType",
                                                "securityContext", "data"};

constexpr size_t kSha1Size = 20;

// ---- Small helpers ------------------------------------------------------------------------

bool isMediaTypeChar(char c) {
  // RFC 6838 restricted-name characters, plus '.' '+' '-' '_' already among them.
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::strchr("!#$&-^_.+", c) != nullptr;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string codingText(const Coding& c) {
  std::string out = c.system.value_or("(no system)");
  out += '|';
  out += c.code.value_or("(no code)");
  return out;
}

std::string quotedList(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " and " : ", ";
    out += '\'' + items[i] + '\'';
  }
  return out;
}

std::string allowedContentTypesText() {
  std::string out;
  for (std::string_view t : kAllowedContentTypes) {
    if (!out.empty()) out += ", ";
    out += t;
  }
  return out;
}

// FHIR uuid: urn:uuid: then 8-4-4-4-12 lower-case hex digits.
bool isUrnUuid(std::string_view s) {
  constexpr std::string_view kPrefix = "urn:uuid:";
  if (s.size() != kPrefix.size() + 36 || s.substr(0, kPrefix.size()) != kPrefix) return false;
  s.remove_prefix(kPrefix.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    const char c = s[i];
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// A backbone element's id / extension / modifierExtension.
void checkBackbone(const Value& object, const Path& at, Issues& issues) {
  if (const Value* v = object.find("id")) readString(*v, at.member("id"), issues);
  if (const Value* v = object.find("extension")) readExtensions(*v, at.member("extension"), issues);
  if (object.find("modifierExtension") != nullptr) {
    issues.notAllowed(at.member("modifierExtension"),
                      "the gateway does not accept modifier extensions");
  }
}

void readReferences(const Value& object, const Path& at, std::string_view name, Issues& issues) {
  if (const Value* v = object.find(name)) {
    forEachItem(*v, at.member(name), issues,
                [&](const Value& item, const Path& p) { readReference(item, p, issues); });
  }
}

void readConcepts(const Value& object, const Path& at, std::string_view name, Issues& issues) {
  if (const Value* v = object.find(name)) {
    forEachItem(*v, at.member(name), issues,
                [&](const Value& item, const Path& p) { readCodeableConcept(item, p, issues); });
  }
}

// subject: a literal reference "Patient/<id>"; returns the id.
std::optional<std::string> readPatientSubject(const Value& resource, const Path& root,
                                              Issues& issues) {
  const Path at = root.member("subject");
  const Value* v = resource.find("subject");
  if (v == nullptr) {
    issues.missing(at, "(a reference \"Patient/<id>\" to the paired patient)");
    return std::nullopt;
  }
  std::optional<Reference> subject = readReference(*v, at, issues);
  if (!subject) return std::nullopt;
  RelativeReference ref;
  if (!subject->reference) {
    if (v->find("reference") == nullptr) {
      issues.error("subject-invalid",
                   at.str() + " must be a reference \"Patient/<id>\" to the paired patient.",
                   at.member("reference"), IssueType::kRequired);
    }
    return std::nullopt;
  }
  if (!parseRelativeReference(*subject->reference, ref) || ref.type != "Patient" ||
      !ref.versionId.empty()) {
    issues.error("subject-invalid",
                 at.str() + ".reference must be \"Patient/<id>\" for the paired patient; got '" +
                     *subject->reference + "'.",
                 at.member("reference"), IssueType::kValue);
    return std::nullopt;
  }
  return ref.id;
}

// A non-empty JSON string holding base64, without copying it (attachments are large).
const std::string* base64Text(const Value& value, const Path& at, Issues& issues) {
  if (!value.isString()) {
    issues.wrongType(at, "a base64 string", value);
    return nullptr;
  }
  if (value.text().empty()) {
    issues.structural("empty-element", at.str() + " must not be an empty string.", at);
    return nullptr;
  }
  return &value.text();
}

void invalidBase64(const Path& at, const Error& e, Issues& issues) {
  std::string message = at.str() + " must be base64Binary. ";
  message += e.problems.empty() ? std::string("Invalid base64.") : e.problems.front().message;
  issues.structural("invalid-primitive", std::move(message), at);
}

// The allowed media type of `value` (a contentType element at `at`), reporting problems.
std::optional<std::string_view> readAllowedContentType(const Value& value, const Path& at,
                                                       Issues& issues) {
  std::optional<std::string> text = readCode(value, at, issues);
  if (!text) return std::nullopt;
  std::optional<std::string_view> allowed = matchAllowedContentType(*text);
  if (!allowed) {
    issues.error(std::string(kContentTypeNotAllowed),
                 "Content type '" + *text + "' is not accepted for documents; allowed: " +
                     allowedContentTypesText() + " (text/xml and application/xml for CDA).",
                 at, IssueType::kNotSupported);
  }
  return allowed;
}

std::optional<int64_t> readUnsignedInt(const Value& value, const Path& at, Issues& issues) {
  std::optional<int64_t> n = readInteger(value, at, issues);
  if (n && *n < 0) {
    issues.structural("invalid-primitive",
                      at.str() + " must be an unsignedInt (0 or more); got " + value.text() + ".",
                      at);
    return std::nullopt;
  }
  return n;
}

const Value* firstAttachment(const Value& doc) {
  if (!doc.isObject()) return nullptr;
  const Value* content = doc.find("content");
  if (content == nullptr || !content->isArray() || content->items().empty()) return nullptr;
  const Value& first = content->items().front();
  if (!first.isObject()) return nullptr;
  const Value* attachment = first.find("attachment");
  return attachment != nullptr && attachment->isObject() ? attachment : nullptr;
}

// ---- DocumentReference parts --------------------------------------------------------------

const DocumentType* checkType(const Value& doc, const Path& root, Issues& issues) {
  const Path at = root.member("type");
  const Value* v = doc.find("type");
  if (v == nullptr) {
    issues.missing(at, "(a LOINC document type, see docs/document-types.md)");
    return nullptr;
  }
  const size_t errorsBefore = issues.errorCount();
  std::optional<CodeableConcept> cc = readCodeableConcept(*v, at, issues);
  // A type that could not be read whole was reported already; matching it would add noise.
  if (!cc || issues.errorCount() != errorsBefore) return nullptr;
  const DocumentType* found = nullptr;
  std::vector<std::string> rejected;
  std::vector<std::string> sent;
  std::optional<size_t> firstRejected;
  for (size_t i = 0; i < cc->coding.size(); ++i) {
    const Coding& c = cc->coding[i];
    sent.push_back(codingText(c));
    if (c.system != kDocumentTypeSystem) continue;
    const DocumentType* t = c.code ? findDocumentType(*c.code) : nullptr;
    if (t == nullptr) {
      rejected.push_back(codingText(c));
      if (!firstRejected) firstRejected = i;
      continue;
    }
    if (found != nullptr && found != t) {
      issues.error("document-type-ambiguous",
                   "DocumentReference.type must hold one accepted LOINC document type; got both '" +
                       std::string(found->code) + "' and '" + std::string(t->code) + "'.",
                   at.member("coding").index(i), IssueType::kBusinessRule);
      return nullptr;
    }
    found = t;
  }
  if (found != nullptr) return found;
  if (!rejected.empty()) {
    issues.error("document-type-unknown",
                 "DocumentReference.type: LOINC code " + quotedList(rejected) +
                     " is not an accepted document type (see docs/document-types.md).",
                 at.member("coding").index(*firstRejected), IssueType::kCodeInvalid);
  } else {
    issues.error("document-type-unknown",
                 "DocumentReference.type must hold a LOINC coding (system http://loinc.org) of "
                 "an accepted document type" +
                     (sent.empty() ? std::string(".") : "; got " + quotedList(sent) + "."),
                 at.member("coding"), IssueType::kCodeInvalid);
  }
  return nullptr;
}

const DocumentClass* checkCategory(const Value& doc, const Path& root, Issues& issues) {
  const Path at = root.member("category");
  const Value* v = doc.find("category");
  if (v == nullptr) {
    issues.missing(at, "(a DMP document class, system " + std::string(kDocumentClassSystem) + ")");
    return nullptr;
  }
  const size_t errorsBefore = issues.errorCount();
  struct Seen {
    Coding coding;
    Path path;
  };
  std::vector<Seen> codings;
  forEachItem(*v, at, issues, [&](const Value& item, const Path& p) {
    if (std::optional<CodeableConcept> cc = readCodeableConcept(item, p, issues)) {
      for (size_t j = 0; j < cc->coding.size(); ++j) {
        codings.push_back({cc->coding[j], p.member("coding").index(j)});
      }
    }
  });
  if (issues.errorCount() != errorsBefore) return nullptr;
  const DocumentClass* found = nullptr;
  std::vector<std::string> sent;
  for (const Seen& s : codings) {
    sent.push_back(codingText(s.coding));
    if (s.coding.system != kDocumentClassSystem) continue;
    const DocumentClass* c = s.coding.code ? findDocumentClass(*s.coding.code) : nullptr;
    if (c == nullptr) {
      issues.error("document-class-unknown",
                   "DocumentReference.category: class code '" +
                       s.coding.code.value_or("(no code)") +
                       "' is not a DMP document class (10, 11, 31, 42, 43, 44, 45, 52, 60, 90, "
                       "95).",
                   s.path, IssueType::kCodeInvalid);
      return nullptr;
    }
    if (found != nullptr && found != c) {
      issues.error("document-class-ambiguous",
                   "DocumentReference.category must hold one DMP document class; got both '" +
                       std::string(found->code) + "' and '" + std::string(c->code) + "'.",
                   s.path, IssueType::kBusinessRule);
      return nullptr;
    }
    found = c;
  }
  if (found == nullptr) {
    issues.error("document-class-missing",
                 "DocumentReference.category must hold a DMP document class (system " +
                     std::string(kDocumentClassSystem) + ")" +
                     (sent.empty() ? std::string(".") : "; got " + quotedList(sent) + "."),
                 at, IssueType::kRequired);
  }
  return found;
}

DocumentSecurityLabels checkSecurityLabels(const Value& doc, const Path& root, Issues& issues) {
  DocumentSecurityLabels labels;
  const Value* v = doc.find("securityLabel");
  if (v == nullptr) return labels;
  forEachItem(*v, root.member("securityLabel"), issues, [&](const Value& item, const Path& p) {
    const size_t errorsBefore = issues.errorCount();
    std::optional<CodeableConcept> cc = readCodeableConcept(item, p, issues);
    if (!cc || issues.errorCount() != errorsBefore) return;
    if (cc->coding.empty()) {
      issues.error("security-label-unknown",
                   p.str() + " must be coded: " + std::string(kInvisiblePatientLabel) + " or " +
                       std::string(kMasquePsLabel) + " (system " +
                       std::string(kDocumentVisibilitySystem) + ").",
                   p, IssueType::kCodeInvalid);
      return;
    }
    for (size_t j = 0; j < cc->coding.size(); ++j) {
      const Coding& c = cc->coding[j];
      if (c.system == kDocumentVisibilitySystem && c.code == kInvisiblePatientLabel) {
        labels.invisiblePatient = true;
      } else if (c.system == kDocumentVisibilitySystem && c.code == kMasquePsLabel) {
        labels.masquePs = true;
      } else {
        issues.error("security-label-unknown",
                     "Security label '" + codingText(c) + "' is not accepted; use " +
                         std::string(kInvisiblePatientLabel) + " or " +
                         std::string(kMasquePsLabel) + " (system " +
                         std::string(kDocumentVisibilitySystem) + ").",
                     p.member("coding").index(j), IssueType::kCodeInvalid);
      }
    }
  });
  return labels;
}

void checkAttachment(const Value& attachment, const Path& at, const DocumentRules& rules,
                     ValidatedDocument& out, Issues& issues) {
  if (!checkObject(attachment, at, "an Attachment object", kAttachmentElements, issues)) return;
  if (const Value* v = attachment.find("id")) readString(*v, at.member("id"), issues);
  if (const Value* v = attachment.find("extension")) {
    readExtensions(*v, at.member("extension"), issues);
  }
  if (const Value* v = attachment.find("contentType")) {
    if (auto t = readAllowedContentType(*v, at.member("contentType"), issues)) out.contentType = *t;
  } else {
    issues.missing(at.member("contentType"), "(" + allowedContentTypesText() + ")");
  }
  if (const Value* v = attachment.find("language")) readCode(*v, at.member("language"), issues);
  if (const Value* v = attachment.find("title")) readString(*v, at.member("title"), issues);
  if (const Value* v = attachment.find("creation")) {
    readDateTime(*v, at.member("creation"), issues);
  }
  if (const Value* v = attachment.find("size")) {
    if (auto n = readUnsignedInt(*v, at.member("size"), issues)) out.size = *n;
  } else {
    issues.missing(at.member("size"), "(the document's length in bytes)");
  }
  if (const Value* v = attachment.find("hash")) {
    const Path hashAt = at.member("hash");
    if (const std::string* text = base64Text(*v, hashAt, issues)) {
      Result<std::string> bytes = decodeBase64(*text);
      if (!bytes.isOk()) {
        invalidBase64(hashAt, bytes.error(), issues);
      } else if (bytes->size() != kSha1Size) {
        issues.error("hash-not-sha1",
                     hashAt.str() +
                         " must be the SHA-1 of the document: 20 bytes in base64 (28 "
                         "characters); got " +
                         std::to_string(bytes->size()) + " bytes.",
                     hashAt, IssueType::kValue);
      } else {
        std::copy(bytes->begin(), bytes->end(), out.sha1.begin());
      }
    }
  } else {
    issues.missing(at.member("hash"), "(the SHA-1 of the document, base64)");
  }
  const Value* data = attachment.find("data");
  const Value* url = attachment.find("url");
  const bool inline_ = rules.attachment == AttachmentSource::kInlineData;
  if (data != nullptr) {
    const Path dataAt = at.member("data");
    if (const std::string* text = base64Text(*data, dataAt, issues)) {
      if (std::optional<size_t> spooled = spooledIndex(*text)) {
        out.spooledData = spooled;  // checked as base64 by the spool as it streamed by
      } else if (Result<uint64_t> n = checkBase64(*text); !n.isOk()) {
        invalidBase64(dataAt, n.error(), issues);
      } else {
        out.inlineDataSize = *n;
      }
    }
    if (!inline_) {
      issues.notAllowed(dataAt,
                        "in a transaction Bundle the bytes travel in a Binary entry that "
                        "attachment.url points to");
    }
  } else if (inline_) {
    issues.missing(at.member("data"), "(the document, base64)");
  }
  if (url != nullptr) {
    const Path urlAt = at.member("url");
    if (std::optional<std::string> u = readUri(*url, urlAt, issues)) {
      RelativeReference ref;
      const bool binaryRef =
          parseRelativeReference(*u, ref) && ref.type == "Binary" && ref.versionId.empty();
      if (!inline_ && !isUrnUuid(*u) && !binaryRef) {
        issues.error("attachment-url-invalid",
                     urlAt.str() +
                         " must be the fullUrl of the Binary entry of the Bundle, "
                         "\"urn:uuid:<uuid>\" or \"Binary/<id>\"; got '" +
                         *u + "'.",
                     urlAt, IssueType::kValue);
      } else if (!inline_) {
        out.attachmentUrl = *u;
      }
    }
    if (inline_) {
      issues.notAllowed(urlAt, "send the document inline in attachment.data");
    }
  } else if (!inline_) {
    issues.missing(at.member("url"), "(the fullUrl of the Binary entry of the Bundle)");
  }
}

}  // namespace

// ---- Tables -------------------------------------------------------------------------------

std::span<const DocumentClass> documentClasses() {
  return kDocumentClasses;
}

const DocumentClass* findDocumentClass(std::string_view code) {
  for (const DocumentClass& c : kDocumentClasses) {
    if (c.code == code) return &c;
  }
  return nullptr;
}

std::span<const DocumentType> documentTypes() {
  return kDocumentTypes;
}

const DocumentType* findDocumentType(std::string_view loincCode) {
  for (const DocumentType& t : kDocumentTypes) {
    if (t.code == loincCode) return &t;
  }
  return nullptr;
}

std::span<const std::string_view> allowedContentTypes() {
  return kAllowedContentTypes;
}

std::string normalizeMediaType(std::string_view contentType) {
  std::string_view s = contentType;
  if (const size_t semi = s.find(';'); semi != std::string_view::npos) s = s.substr(0, semi);
  s = trim(s);
  const size_t slash = s.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == s.size()) return {};
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == slash) {
      out += '/';
      continue;
    }
    if (!isMediaTypeChar(c)) return {};
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

std::optional<std::string_view> matchAllowedContentType(std::string_view contentType) {
  const std::string normalized = normalizeMediaType(contentType);
  if (normalized.empty()) return std::nullopt;
  for (std::string_view t : kAllowedContentTypes) {
    if (t == normalized) return t;
  }
  return std::nullopt;
}

bool hasContentTypeNotAllowed(const Error& error) {
  return std::any_of(error.problems.begin(), error.problems.end(),
                     [](const Problem& p) { return p.code == kContentTypeNotAllowed; });
}

// ---- DocumentReference --------------------------------------------------------------------

Result<ValidatedDocument> validateDocumentReference(const Value& doc, const DocumentRules& rules) {
  Issues issues;
  if (!checkResourceType(doc, "DocumentReference", issues)) return issues.toError();
  const Path root("DocumentReference");
  issues.checkElements(doc, root, kDocumentReferenceElements);
  checkDomainResource(doc, root, issues);

  ValidatedDocument out;
  if (const Value* v = doc.find("masterIdentifier")) {
    readIdentifier(*v, root.member("masterIdentifier"), issues);
  }
  if (const Value* v = doc.find("identifier")) {
    forEachItem(*v, root.member("identifier"), issues,
                [&](const Value& item, const Path& p) { readIdentifier(item, p, issues); });
  }

  // status, docStatus
  if (const Value* v = doc.find("status")) {
    const Path at = root.member("status");
    if (auto status = readCodeFrom(*v, at, issues, kDocumentStatuses)) {
      out.status = *status;
      if (rules.forCreate && *status != "current") {
        issues.error("status-invalid",
                     "A new document must be deposited with DocumentReference.status 'current'; "
                     "got '" +
                         *status + "'.",
                     at, IssueType::kBusinessRule);
      }
    }
  } else {
    issues.missing(root.member("status"), "(current for a new document)");
  }
  if (const Value* v = doc.find("docStatus")) {
    out.docStatus = readCodeFrom(*v, root.member("docStatus"), issues, kDocStatuses);
  }

  out.type = checkType(doc, root, issues);
  out.documentClass = checkCategory(doc, root, issues);
  if (auto id = readPatientSubject(doc, root, issues)) out.patientId = *id;

  if (const Value* v = doc.find("date")) {
    out.date = readDateTime(*v, root.member("date"), issues, DateTimeForm::kInstant);
  }
  readReferences(doc, root, "author", issues);
  for (std::string_view name : {"authenticator", "custodian"}) {
    if (const Value* v = doc.find(name)) readReference(*v, root.member(name), issues);
  }
  if (const Value* v = doc.find("relatesTo")) {
    forEachItem(*v, root.member("relatesTo"), issues, [&](const Value& item, const Path& p) {
      if (!checkObject(item, p, "an object", kRelatesToElements, issues)) return;
      checkBackbone(item, p, issues);
      if (const Value* s = item.find("code")) {
        readCodeFrom(*s, p.member("code"), issues, kRelatesToCodes);
      } else {
        issues.missing(p.member("code"), "in every relatesTo");
      }
      if (const Value* s = item.find("target")) {
        readReference(*s, p.member("target"), issues);
      } else {
        issues.missing(p.member("target"), "in every relatesTo");
      }
    });
  }
  if (const Value* v = doc.find("description")) {
    readString(*v, root.member("description"), issues);
  }
  out.labels = checkSecurityLabels(doc, root, issues);

  // content: exactly one
  if (const Value* v = doc.find("content")) {
    const Path at = root.member("content");
    size_t index = 0;
    forEachItem(*v, at, issues, [&](const Value& item, const Path& p) {
      const bool first = index++ == 0;
      if (!checkObject(item, p, "an object", kContentElements, issues)) return;
      checkBackbone(item, p, issues);
      if (const Value* s = item.find("format")) readCoding(*s, p.member("format"), issues);
      if (const Value* s = item.find("attachment")) {
        // Only the first content is the document; the others are refused below.
        if (first) {
          checkAttachment(*s, p.member("attachment"), rules, out, issues);
        }
      } else {
        issues.missing(p.member("attachment"), "in every content");
      }
    });
    if (v->isArray() && v->items().size() > 1) {
      issues.error("content-multiple",
                   "DocumentReference.content must hold exactly one document; got " +
                       std::to_string(v->items().size()) +
                       ". Deposit each document with its own DocumentReference.",
                   at.index(1), IssueType::kBusinessRule);
    }
  } else {
    issues.missing(root.member("content"), "(exactly one, with the document's attachment)");
  }

  // context
  if (const Value* v = doc.find("context")) {
    const Path at = root.member("context");
    if (checkObject(*v, at, "an object", kContextElements, issues)) {
      checkBackbone(*v, at, issues);
      readReferences(*v, at, "encounter", issues);
      readConcepts(*v, at, "event", issues);
      if (const Value* s = v->find("period"))
        out.period = readPeriod(*s, at.member("period"), issues);
      for (std::string_view name : {"facilityType", "practiceSetting"}) {
        if (const Value* s = v->find(name)) readCodeableConcept(*s, at.member(name), issues);
      }
      if (const Value* s = v->find("sourcePatientInfo")) {
        readReference(*s, at.member("sourcePatientInfo"), issues);
      }
      readReferences(*v, at, "related", issues);
    }
  }

  if (issues.hasErrors()) return issues.toError();
  if (out.type == nullptr || out.documentClass == nullptr || out.contentType.empty()) {
    return Error::internal("validateDocumentReference: no error reported but a part is unset");
  }
  return out;
}

// ---- Helpers ------------------------------------------------------------------------------

std::optional<std::array<unsigned char, 20>> attachmentSha1(const Value& doc) {
  const Value* attachment = firstAttachment(doc);
  const std::string* hash = attachment != nullptr ? attachment->findString("hash") : nullptr;
  if (hash == nullptr) return std::nullopt;
  Result<std::string> bytes = decodeBase64(*hash);
  if (!bytes.isOk() || bytes->size() != kSha1Size) return std::nullopt;
  std::array<unsigned char, 20> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

std::optional<int64_t> declaredSize(const Value& doc) {
  const Value* attachment = firstAttachment(doc);
  const Value* size = attachment != nullptr ? attachment->find("size") : nullptr;
  if (size == nullptr || !size->isNumber()) return std::nullopt;
  std::optional<int64_t> n = size->asInt();
  if (!n || *n < 0) return std::nullopt;
  return n;
}

std::optional<std::string> documentSubjectId(const Value& doc) {
  if (!doc.isObject()) return std::nullopt;
  const Value* subject = doc.find("subject");
  const std::string* reference =
      subject != nullptr && subject->isObject() ? subject->findString("reference") : nullptr;
  RelativeReference ref;
  if (reference == nullptr || !parseRelativeReference(*reference, ref) || ref.type != "Patient" ||
      !ref.versionId.empty()) {
    return std::nullopt;
  }
  return ref.id;
}

DocumentSecurityLabels securityLabels(const Value& doc) {
  DocumentSecurityLabels labels;
  if (!doc.isObject()) return labels;
  const Value* list = doc.find("securityLabel");
  if (list == nullptr || !list->isArray()) return labels;
  for (const Value& cc : list->items()) {
    const Value* codings = cc.isObject() ? cc.find("coding") : nullptr;
    if (codings == nullptr || !codings->isArray()) continue;
    for (const Value& coding : codings->items()) {
      if (!coding.isObject()) continue;
      const std::string* system = coding.findString("system");
      const std::string* code = coding.findString("code");
      if (system == nullptr || code == nullptr || *system != kDocumentVisibilitySystem) continue;
      if (*code == kInvisiblePatientLabel) labels.invisiblePatient = true;
      if (*code == kMasquePsLabel) labels.masquePs = true;
    }
  }
  return labels;
}

std::optional<std::string> documentContentType(const Value& doc) {
  const Value* attachment = firstAttachment(doc);
  const std::string* type = attachment != nullptr ? attachment->findString("contentType") : nullptr;
  if (type == nullptr) return std::nullopt;
  std::string normalized = normalizeMediaType(*type);
  if (normalized.empty()) return std::nullopt;
  return normalized;
}

// ---- SubmissionSet ------------------------------------------------------------------------

Result<ValidatedSubmissionSet> validateSubmissionSet(const Value& list) {
  Issues issues;
  if (!checkResourceType(list, "List", issues)) return issues.toError();
  const Path root("List");
  issues.checkElements(list, root, kListElements);
  checkDomainResource(list, root, issues);
  ValidatedSubmissionSet out;

  // ihe-sourceId, when sent.
  if (const Value* v = list.find("extension"); v != nullptr && v->isArray()) {
    for (size_t i = 0; i < v->items().size(); ++i) {
      const Value& ext = v->items()[i];
      const std::string* url = ext.isObject() ? ext.findString("url") : nullptr;
      if (url == nullptr || *url != kMhdSourceIdUrl) continue;
      const Value* id = ext.find("valueIdentifier");
      const std::string* value =
          id != nullptr && id->isObject() ? id->findString("value") : nullptr;
      if (value == nullptr || value->empty()) {
        issues.error("extension-value-invalid",
                     "The ihe-sourceId extension must carry a valueIdentifier with a value (the "
                     "OID of the submitting source, \"urn:oid:...\").",
                     root.member("extension").index(i), IssueType::kExtension);
      } else {
        out.sourceId = *value;
      }
    }
  }

  if (const Value* v = list.find("identifier")) {
    forEachItem(*v, root.member("identifier"), issues,
                [&](const Value& item, const Path& p) { readIdentifier(item, p, issues); });
  }
  if (const Value* v = list.find("status")) {
    const Path at = root.member("status");
    if (auto s = readCodeFrom(*v, at, issues, kListStatuses); s && *s != "current") {
      issues.error("status-invalid",
                   "A SubmissionSet's List.status must be 'current'; got '" + *s + "'.", at,
                   IssueType::kBusinessRule);
    }
  } else {
    issues.missing(root.member("status"), "('current')");
  }
  if (const Value* v = list.find("mode")) {
    const Path at = root.member("mode");
    if (auto s = readCodeFrom(*v, at, issues, kListModes); s && *s != "working") {
      issues.error("mode-invalid",
                   "A SubmissionSet's List.mode must be 'working'; got '" + *s + "'.", at,
                   IssueType::kBusinessRule);
    }
  } else {
    issues.missing(root.member("mode"), "('working')");
  }
  if (const Value* v = list.find("title")) readString(*v, root.member("title"), issues);

  const std::string expectedCode =
      std::string(kMhdListTypesSystem) + "|" + std::string(kSubmissionSetCode);
  if (const Value* v = list.find("code")) {
    const Path at = root.member("code");
    const size_t errorsBefore = issues.errorCount();
    std::optional<CodeableConcept> cc = readCodeableConcept(*v, at, issues);
    if (cc && issues.errorCount() == errorsBefore &&
        cc->find(kMhdListTypesSystem, kSubmissionSetCode) == nullptr) {
      std::vector<std::string> sent;
      for (const Coding& c : cc->coding) sent.push_back(codingText(c));
      issues.error("submissionset-code-missing",
                   "List.code must hold the coding " + expectedCode + " (an MHD SubmissionSet)" +
                       (sent.empty() ? std::string(".") : "; got " + quotedList(sent) + "."),
                   at, IssueType::kValue);
    }
  } else {
    issues.error("submissionset-code-missing",
                 "List.code is required and must hold the coding " + expectedCode + ".",
                 root.member("code"), IssueType::kRequired);
  }

  if (auto id = readPatientSubject(list, root, issues)) out.patientId = *id;
  for (std::string_view name : {"encounter", "orderedBy", "emptyReason"}) {
    if (list.find(name) != nullptr) {
      issues.notAllowed(root.member(name), "MHD SubmissionSets do not use it");
    }
  }
  if (const Value* v = list.find("date")) readDateTime(*v, root.member("date"), issues);
  if (const Value* v = list.find("source")) readReference(*v, root.member("source"), issues);
  if (const Value* v = list.find("note")) {
    forEachItem(*v, root.member("note"), issues,
                [&](const Value& item, const Path& p) { checkAnnotation(item, p, issues); });
  }

  if (const Value* v = list.find("entry")) {
    forEachItem(*v, root.member("entry"), issues, [&](const Value& item, const Path& p) {
      if (!checkObject(item, p, "an object", kListEntryElements, issues)) return;
      checkBackbone(item, p, issues);
      for (std::string_view name : {"flag", "deleted", "date"}) {
        if (item.find(name) != nullptr) {
          issues.notAllowed(p.member(name), "MHD SubmissionSet entries only carry item");
        }
      }
      const Value* itemRef = item.find("item");
      if (itemRef == nullptr) {
        issues.missing(p.member("item"), "in every entry (a DocumentReference of the Bundle)");
        return;
      }
      const Path itemAt = p.member("item");
      const size_t errorsBefore = issues.errorCount();
      std::optional<Reference> ref = readReference(*itemRef, itemAt, issues);
      if (!ref || issues.errorCount() != errorsBefore) return;
      const Path refAt = itemAt.member("reference");
      if (!ref->reference) {
        issues.error("entry-item-invalid",
                     itemAt.str() +
                         " must be a literal reference to a DocumentReference of the Bundle "
                         "(its fullUrl).",
                     refAt, IssueType::kRequired);
        return;
      }
      RelativeReference rel;
      if (parseRelativeReference(*ref->reference, rel) && rel.type != "DocumentReference") {
        issues.error(
            "entry-item-invalid",
            refAt.str() + " must point at a DocumentReference; got '" + *ref->reference + "'.",
            refAt, IssueType::kValue);
        return;
      }
      out.entries.push_back({*ref->reference, refAt.str()});
    });
  } else {
    issues.missing(root.member("entry"), "(one per DocumentReference of the submission)");
  }

  if (issues.hasErrors()) return issues.toError();
  return out;
}

// ---- Binary -------------------------------------------------------------------------------

Result<ValidatedBinary> validateBinary(const Value& binary) {
  Issues issues;
  if (!checkResourceType(binary, "Binary", issues)) return issues.toError();
  const Path root("Binary");
  issues.checkElements(binary, root, kBinaryElements);
  ValidatedBinary out;
  if (const Value* v = binary.find("id")) readId(*v, root.member("id"), issues);
  if (const Value* v = binary.find("meta")) readMeta(*v, root.member("meta"), issues);
  if (binary.find("implicitRules") != nullptr) {
    issues.notAllowed(root.member("implicitRules"),
                      "the gateway only accepts resources under the base FHIR rules");
  }
  if (const Value* v = binary.find("language")) readCode(*v, root.member("language"), issues);
  if (const Value* v = binary.find("contentType")) {
    if (auto t = readAllowedContentType(*v, root.member("contentType"), issues)) {
      out.contentType = *t;
    }
  } else {
    issues.missing(root.member("contentType"), "(" + allowedContentTypesText() + ")");
  }
  if (const Value* v = binary.find("securityContext")) {
    readReference(*v, root.member("securityContext"), issues);
  }
  if (const Value* v = binary.find("data")) {
    const Path at = root.member("data");
    if (const std::string* text = base64Text(*v, at, issues)) {
      if (std::optional<size_t> spooled = spooledIndex(*text)) {
        out.spooledData = spooled;
      } else if (Result<uint64_t> n = checkBase64(*text); !n.isOk()) {
        invalidBase64(at, n.error(), issues);
      } else {
        out.dataSize = *n;
      }
    }
  } else {
    issues.missing(root.member("data"), "(the document, base64)");
  }
  if (issues.hasErrors()) return issues.toError();
  return out;
}

}  // namespace mes::fhir
