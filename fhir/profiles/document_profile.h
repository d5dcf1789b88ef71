// The Documents API resources (SPEC §3, ANS PDSm / IHE MHD) as data, and their validation:
// DocumentReference (ITI-105 simplified publish and the entries of an ITI-65 bundle), the
// SubmissionSet List of an ITI-65 bundle, and Binary.
//
// Pure functions, no I/O. The validators check the JSON the client sent: shape, codes,
// references and the *format* of the attachment metadata. They never see the document bytes
// when those arrive elsewhere (a Binary entry, a body streamed to disk): comparing
// attachment.size and attachment.hash with the bytes received is the gateway's job, helped by
// attachmentSha1() and declaredSize() below.
//
// Problems are reported the way validateMeasure() reports them (fhir/validation/issues.h):
// every problem in one pass, each with a stable project code and a FHIRPath expression; the
// Error is kInvalid (400) when any problem is structural (wrong JSON type, unknown element,
// malformed primitive such as bad base64), otherwise kUnprocessable (422).
//
// 415: a content type outside the allowed list is reported as an ordinary rule problem with
// the code kContentTypeNotAllowed ("content-type-not-allowed", IssueType not-supported). The
// Error kind stays 400/422 as above, because the engine cannot know the HTTP context; the
// gateway answers 415 when hasContentTypeNotAllowed(error) is true and it chooses to (e.g.
// when that is the only problem), with the same OperationOutcome.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "fhir/json/value.h"
#include "fhir/types/datatypes.h"
#include "fhir/types/datetime.h"

namespace mes::fhir {

// ---- Code systems and URLs ---------------------------------------------------------------

// DocumentReference.type: LOINC (the same system as kLoincSystem in measure_profiles.h).
inline constexpr std::string_view kDocumentTypeSystem = "http://loinc.org";
// DocumentReference.category: the DMP document classes (XDS classCode), TRE_A03.
inline constexpr std::string_view kDocumentClassSystem =
    "https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument";
// DocumentReference.securityLabel: the DMP visibility statuses, TRE_A07
// "StatutVisibiliteDocument" (OID 1.2.250.1.213.1.1.4.13, the XDS confidentialityCode scheme
// the DMP uses for INVISIBLE_PATIENT and MASQUE_PS), as published by the ANS terminology
// server (ansforge IG-terminologie-de-sante, CodeSystem TRE-A07-StatutVisibiliteDocument).
inline constexpr std::string_view kDocumentVisibilitySystem =
    "https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/"
    "TRE-A07-StatutVisibiliteDocument";
inline constexpr std::string_view kInvisiblePatientLabel = "INVISIBLE_PATIENT";
inline constexpr std::string_view kMasquePsLabel = "MASQUE_PS";
// IHE MHD SubmissionSet.
inline constexpr std::string_view kMhdListTypesSystem =
    "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes";
inline constexpr std::string_view kSubmissionSetCode = "submissionset";
inline constexpr std::string_view kMhdSourceIdUrl =
    "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-sourceId";

// Project code of the problem the gateway maps to 415 Unsupported Media Type.
inline constexpr std::string_view kContentTypeNotAllowed = "content-type-not-allowed";

// ---- Tables ------------------------------------------------------------------------------

// A DMP document class (TRE_A03), with its French display.
struct DocumentClass {
  std::string_view code;     // "10"
  std::string_view display;  // "Compte rendu"
};

// The 11 classes of SPEC §3, in code order:
//   10 Compte rendu · 11 Synthèse · 31 Imagerie médicale · 42 Prescription · 43 Dispensation ·
//   44 Plan de soins · 45 Traitement administré · 52 Certificat/déclaration ·
//   60 Données de remboursement · 90 Autres documents déposés par le patient ·
//   95 Document de gestion.
std::span<const DocumentClass> documentClasses();
const DocumentClass* findDocumentClass(std::string_view code);

// An accepted document type: a LOINC code, its French display and the class it is normally
// filed under.
struct DocumentType {
  std::string_view code;       // LOINC, e.g. "11488-4"
  std::string_view display;    // French display of the ANS value set
  std::string_view classCode;  // TRE_A03 code it normally belongs to
};

// The accepted LOINC document types (docs/document-types.md holds the same table).
//
// Source: the LOINC part of the ANS value set JDV_J07-XdsTypeCode-CISIS
// (https://mos.esante.gouv.fr/NOS/JDV_J07-XdsTypeCode-CISIS/FHIR/JDV-J07-XdsTypeCode-CISIS,
// OID 1.2.250.1.213.1.1.5.471, ans.fr.terminologies), whose French displays are kept as
// published. 30 of its ~90 LOINC codes are kept: the reports, summaries, prescriptions,
// dispensations, care plans, administration records and certificates an app may plausibly
// write for its patient; codes for hospital-internal or perinatal workflows are left out
// and can be added as one line each. The TRE_A05 codes of that value set (DOCPAT01...,
// REMB, SYNTH...) are not LOINC and not accepted: SPEC §3 says `type` is LOINC.
//
// classCode is this project's reading of the DMP practice, for display and defaults; it is
// NOT enforced: a type may legitimately be filed under another class (a patient-deposited
// report goes under 90 whatever its type), so any class of the table is accepted with any
// type of the table.
std::span<const DocumentType> documentTypes();
const DocumentType* findDocumentType(std::string_view loincCode);

// Allowed attachment content types (SPEC §3), as canonical lower-case media types:
//   application/pdf, image/jpeg, image/png, text/plain, text/xml, application/xml.
// CDA R2 documents (the DMP's structured format) have no media type of their own: the DMP
// and IHE XDS send them as text/xml, and application/xml is the RFC 7303 equivalent many
// libraries emit, so both are accepted. application/hl7-v3+xml and other +xml types are
// refused: the gateway would store content it cannot recognise as CDA.
std::span<const std::string_view> allowedContentTypes();

// The media type of a Content-Type value: type/subtype only (parameters such as
// "; charset=utf-8" dropped), surrounding whitespace trimmed, lower-cased (media types are
// case-insensitive). "" when `contentType` has no "type/subtype" shape.
std::string normalizeMediaType(std::string_view contentType);
// The canonical allowed media type matching `contentType` (compared as normalizeMediaType
// does), or nullopt when it is not allowed. The view points into the static table.
std::optional<std::string_view> matchAllowedContentType(std::string_view contentType);

// ---- DocumentReference -------------------------------------------------------------------

// Where the document bytes travel.
enum class AttachmentSource {
  kInlineData,  // ITI-105 (POST /fhir/DocumentReference): content.attachment.data, no url
  kBundleUrl,   // ITI-65 (transaction Bundle): content.attachment.url = the Binary entry's
                // fullUrl "urn:uuid:<uuid>" or "Binary/<id>", no data
};

struct DocumentRules {
  // A new deposit: status must be "current". Off for an update (superseded and
  // entered-in-error are the logical deletions of SPEC §3).
  bool forCreate = true;
  AttachmentSource attachment = AttachmentSource::kInlineData;
};

// The visibility labels of a document (SPEC §3: INVISIBLE_PATIENT hides it from the patient
// and every app; MASQUE_PS hides it from professionals only).
struct DocumentSecurityLabels {
  bool invisiblePatient = false;
  bool masquePs = false;
};

struct ValidatedDocument {
  std::string status;                    // current | superseded | entered-in-error
  std::optional<std::string> docStatus;  // preliminary | final | amended | entered-in-error
  const DocumentType* type = nullptr;    // row of the accepted LOINC type
  const DocumentClass* documentClass = nullptr;
  std::string patientId;  // from subject "Patient/<id>"
  std::optional<DateTime> date;
  std::string_view contentType;              // canonical allowed media type (points into the table)
  int64_t size = 0;                          // attachment.size as declared
  std::array<unsigned char, 20> sha1{};      // attachment.hash decoded
  std::optional<std::string> attachmentUrl;  // kBundleUrl: the url as written
  uint64_t inlineDataSize = 0;  // kInlineData: decoded length of attachment.data (checked
                                // as base64, not compared with size: the gateway does that)
  // kInlineData: attachment.data is the placeholder of a value an AttachmentSpool
  // (fhir/json/attachment_spool.h) took out of the body: its index. inlineDataSize is then 0.
  std::optional<size_t> spooledData;
  DocumentSecurityLabels labels;
  std::optional<Period> period;  // context.period
};

// Validates a DocumentReference in one pass. Rules, with their project codes:
//  - resourceType "DocumentReference" ("resource-type-mismatch"); R4 element names only
//    ("unknown-element", 400, as for measures); JSON types and primitive forms
//    ("invalid-type", "invalid-primitive", "invalid-datetime", "empty-element", 400);
//    implicitRules, contained and modifierExtension refused ("element-not-allowed", as in
//    checkDomainResource: MHD "contained" authors are not accepted either);
//  - status required, R4 codes current | superseded | entered-in-error ("code-invalid");
//    with rules.forCreate it must be current ("status-invalid");
//  - docStatus optional, preliminary | final | amended | entered-in-error ("code-invalid");
//  - type required ("element-missing") with exactly one LOINC coding from documentTypes():
//    "document-type-unknown" (diagnostics name the rejected code(s), e.g. 'http://loinc.org|
//    1234-5'), "document-type-ambiguous" for two different accepted codes;
//  - category required with exactly one TRE_A03 class of documentClasses():
//    "document-class-unknown" (naming the code), "document-class-missing" (no TRE_A03
//    coding), "document-class-ambiguous";
//  - subject required, a literal reference "Patient/<id>" ("subject-invalid");
//  - date optional, an instant; author, authenticator, custodian: references (shape);
//    masterIdentifier, identifier: Identifiers (shape); relatesTo: code and target required;
//  - content exactly one element ("element-missing", "content-multiple"): one document, one
//    Binary, one size and hash for the gateway to check (R4 allows alternate renditions; the
//    DMP's XDS model has one document per entry);
//  - content[0].attachment required, with contentType in allowedContentTypes()
//    (kContentTypeNotAllowed, or "element-missing"), size required, an unsignedInt
//    (negative: "invalid-primitive"), hash required: base64 ("invalid-primitive", 400) that
//    decodes to exactly 20 bytes, a SHA-1 ("hash-not-sha1");
//  - data / url per rules.attachment: the expected one required ("element-missing"), the
//    other refused ("element-not-allowed"); data must be valid base64 ("invalid-primitive")
//    or the placeholder of a spooled value (fhir/json/attachment_spool.h: the spool checked
//    the base64 as it streamed, and only the spool can produce a placeholder);
//    url must be "urn:uuid:<lower-case uuid>" or "Binary/<id>" ("attachment-url-invalid");
//  - securityLabel codings only INVISIBLE_PATIENT / MASQUE_PS of kDocumentVisibilitySystem
//    ("security-label-unknown", naming the coding);
//  - context.period start <= end ("period-reversed"), other context elements checked for
//    shape.
Result<ValidatedDocument> validateDocumentReference(const Value& doc, const DocumentRules& rules);

// True when `error` holds a kContentTypeNotAllowed problem (the gateway's 415).
bool hasContentTypeNotAllowed(const Error& error);

// ---- Helpers on a DocumentReference (validated or not) ------------------------------------
// Each reads content[0].attachment (or subject, securityLabel) and returns nullopt when the
// element is absent or malformed; they never report problems.

// attachment.hash decoded, when it is base64 of exactly 20 bytes.
std::optional<std::array<unsigned char, 20>> attachmentSha1(const Value& doc);
// attachment.size, when it is a non-negative integer.
std::optional<int64_t> declaredSize(const Value& doc);
// The patient id of subject "Patient/<id>".
std::optional<std::string> documentSubjectId(const Value& doc);
// The known visibility labels present (unknown codings ignored).
DocumentSecurityLabels securityLabels(const Value& doc);
// attachment.contentType normalised by normalizeMediaType (allowed or not: test it with
// matchAllowedContentType), or nullopt when absent or not a media type.
std::optional<std::string> documentContentType(const Value& doc);

// ---- SubmissionSet (IHE MHD List of an ITI-65 bundle) -------------------------------------

struct SubmissionSetEntry {
  std::string reference;   // entry[i].item.reference as written ("urn:uuid:...", ...)
  std::string expression;  // its FHIRPath, "List.entry[i].item.reference", for problems
};

struct ValidatedSubmissionSet {
  std::string patientId;  // from subject "Patient/<id>"
  std::vector<SubmissionSetEntry> entries;
  std::optional<std::string> sourceId;  // ihe-sourceId valueIdentifier.value, when sent
};

// Validates the SubmissionSet List of an ITI-65 bundle. Required (with project codes):
//  - resourceType "List", R4 element names, shapes (400 as above); implicitRules, contained,
//    modifierExtension refused;
//  - code holding MHDlistTypes#submissionset ("submissionset-code-missing", naming what was
//    sent); status "current" ("status-invalid"); mode "working" ("mode-invalid");
//  - subject "Patient/<id>" ("subject-invalid"; MHD Minimal has it 0..1, the gateway needs
//    the patient of the whole submission);
//  - at least one entry ("element-missing"), each with item.reference, a literal reference
//    ("entry-item-invalid"; a relative reference must name a DocumentReference). Whether
//    each targets a DocumentReference of the same Bundle is the gateway's check, with
//    entries[i].expression as the problem location;
//  - entry.flag, entry.deleted, entry.date, encounter, orderedBy, emptyReason refused
//    ("element-not-allowed": 0..0 in MHD);
//  - ihe-sourceId, when present, a valueIdentifier with a value ("extension-value-invalid").
// Deliberately NOT required, although MHD Minimal has them 1..1 / 2..*: the ihe-sourceId
// extension, the uniqueId and entryUUID identifiers and date. The gateway identifies the
// submitter by its access token, assigns its own ids and records the reception time; refusing
// a deposit for metadata it would ignore helps no one. When present they are shape-checked.
Result<ValidatedSubmissionSet> validateSubmissionSet(const Value& list);

// ---- Binary --------------------------------------------------------------------------------

struct ValidatedBinary {
  std::string_view contentType;  // canonical allowed media type
  uint64_t dataSize = 0;         // decoded length of data (0 when spooled)
  std::optional<size_t> spooledData;  // data is an AttachmentSpool placeholder: its index
};

// Validates the Binary entry of an ITI-65 bundle: resourceType "Binary", R4 Binary elements
// only (Binary is a Resource: no text, extension, contained), implicitRules refused,
// contentType required and allowed (kContentTypeNotAllowed), data required and valid base64
// ("invalid-primitive") or a spool placeholder (spooledData), securityContext a reference.
Result<ValidatedBinary> validateBinary(const Value& binary);

}  // namespace mes::fhir
