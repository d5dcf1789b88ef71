#include "fhir/profiles/document_profile.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "fhir/json/json.h"

using mes::ErrorKind;
using namespace mes::fhir;
namespace bdata = boost::unit_test::data;

namespace {

#define CLASS_SYSTEM \
  "https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument"
#define VISIBILITY_SYSTEM                                                 \
  "https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/" \
  "TRE-A07-StatutVisibiliteDocument"
#define SOURCE_ID_URL "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-sourceId"
#define LIST_TYPES "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes"
#define BINARY_UUID "urn:uuid:0c287d32-01e3-4d87-9953-9fcc9404eb21"
#define DOCREF_UUID "urn:uuid:9d7c1a32-51e3-4d87-9953-9fcc9404eb22"
// "Hello world": 11 bytes, its SHA-1 and (for a wrong-length hash) its MD5, in base64.
#define HELLO_DATA "SGVsbG8gd29ybGQ="
#define HELLO_SHA1 "e1AsOh9IyGCa4hLN+2Od7jlnP14="
#define HELLO_MD5 "PiWWCnnbxptnTNTsZ6csYg=="

Value parse(const std::string& json) {
  auto r = parseJson(json);
  if (!r.isOk()) throw std::runtime_error("bad test JSON: " + json);
  return std::move(r).value();
}

// ITI-105: the document inline; ITI-65: attachment.url to the Binary entry.
enum class Flavour { kIti105, kIti65 };

Value baseDocument(Flavour flavour) {
  std::string json =
      R"({"resourceType":"DocumentReference","masterIdentifier":{"system":"urn:ietf:rfc:3986","value":"urn:oid:1.2.3.4.5"},)"
      R"("status":"current","docStatus":"final",)"
      R"("type":{"coding":[{"system":"http://loinc.org","code":"11488-4","display":"CR ou fiche de consultation ou de visite"}]},)"
      R"("category":[{"coding":[{"system":")" CLASS_SYSTEM
      R"(","code":"10","display":"Compte rendu"}]}],)"
      R"("subject":{"reference":"Patient/p-123"},"date":"2025-03-01T08:30:00+01:00",)"
      R"("author":[{"reference":"Device/app-1"}],"description":"Consultation",)"
      R"("content":[{"attachment":{"contentType":"application/pdf","size":11,"hash":")" HELLO_SHA1
      R"(",)";
  json += flavour == Flavour::kIti105 ? R"("data":")" HELLO_DATA R"(")"
                                      : R"("url":")" BINARY_UUID R"(")";
  json += R"(,"title":"cr.pdf"}}],)"
          R"("context":{"period":{"start":"2025-02-01","end":"2025-02-02"}}})";
  return parse(json);
}

DocumentRules rulesFor(Flavour flavour, bool forCreate = true) {
  return DocumentRules{.forCreate = forCreate,
                       .attachment = flavour == Flavour::kIti105 ? AttachmentSource::kInlineData
                                                                 : AttachmentSource::kBundleUrl};
}

// An edit of the base resource: `path` is dotted, numbers index arrays ("content.0.attachment");
// `json` is the new value, or nullptr to remove the element. Setting index == size appends.
struct Edit {
  const char* path = nullptr;
  const char* json = nullptr;
};

void apply(Value& root, const Edit& edit) {
  if (edit.path == nullptr) return;
  std::vector<std::string> parts;
  std::stringstream ss(edit.path);
  for (std::string part; std::getline(ss, part, '.');) parts.push_back(part);
  Value* node = &root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    node = node->isArray() ? &node->items().at(std::stoul(parts[i])) : node->find(parts[i]);
    if (node == nullptr) throw std::runtime_error(std::string("bad edit path ") + edit.path);
  }
  const std::string& last = parts.back();
  if (node->isArray()) {
    const size_t index = std::stoul(last);
    auto& items = node->items();
    if (edit.json == nullptr) {
      items.erase(items.begin() + static_cast<std::ptrdiff_t>(index));
    } else if (index == items.size()) {
      items.push_back(parse(edit.json));
    } else {
      items.at(index) = parse(edit.json);
    }
  } else if (edit.json == nullptr) {
    node->erase(last);
  } else {
    node->set(last, parse(edit.json));
  }
}

std::string actualProblems(const mes::Error& e) {
  std::string out;
  for (const auto& p : e.problems) {
    if (!out.empty()) out += ' ';
    out += p.code + "@" + p.expression;
  }
  return out;
}

constexpr Flavour k105 = Flavour::kIti105;
constexpr Flavour k65 = Flavour::kIti65;
constexpr Edit kNoEdit{};
#define ATT "DocumentReference.content[0].attachment"

struct Case {
  Flavour flavour;
  const char* what;
  Edit edit1;
  Edit edit2;
  bool forCreate;
  int status;          // 0 = valid; else 400 or 422
  const char* expect;  // "code@expression" separated by spaces, in order; "" when valid
};
std::ostream& operator<<(std::ostream& os, const Case& c) {
  return os << (c.flavour == k105 ? "ITI-105" : "ITI-65") << " / " << c.what;
}

// clang-format off
const Case kCases[] = {
    // ---- valid
    {k105, "valid inline", kNoEdit, kNoEdit, true, 0, ""},
    {k65, "valid with url", kNoEdit, kNoEdit, true, 0, ""},
    {k65, "url Binary/<id>", {"content.0.attachment.url", R"("Binary/b-1")"}, kNoEdit, true, 0, ""},
    {k105, "minimal", {"masterIdentifier", nullptr}, {"context", nullptr}, true, 0, ""},
    // ---- resource and elements
    {k105, "not a DocumentReference", {"resourceType", R"("Observation")"}, kNoEdit, true, 400,
     "resource-type-mismatch@DocumentReference.resourceType"},
    {k105, "unknown element", {"colour", R"("blue")"}, kNoEdit, true, 400,
     "unknown-element@DocumentReference.colour"},
    {k105, "contained refused", {"contained", R"([{"resourceType":"Device"}])"}, kNoEdit, true, 422,
     "element-not-allowed@DocumentReference.contained"},
    {k105, "modifierExtension refused", {"modifierExtension", R"([{"url":"urn:x","valueString":"y"}])"},
     kNoEdit, true, 422, "element-not-allowed@DocumentReference.modifierExtension"},
    {k105, "masterIdentifier wrong type", {"masterIdentifier", R"("urn:oid:1.2")"}, kNoEdit, true,
     400, "invalid-type@DocumentReference.masterIdentifier"},
    // ---- status, docStatus
    {k105, "status missing", {"status", nullptr}, kNoEdit, true, 422,
     "element-missing@DocumentReference.status"},
    {k105, "status unknown", {"status", R"("draft")"}, kNoEdit, true, 422,
     "code-invalid@DocumentReference.status"},
    {k105, "superseded on create", {"status", R"("superseded")"}, kNoEdit, true, 422,
     "status-invalid@DocumentReference.status"},
    {k105, "entered-in-error on create", {"status", R"("entered-in-error")"}, kNoEdit, true, 422,
     "status-invalid@DocumentReference.status"},
    {k105, "superseded on update", {"status", R"("superseded")"}, kNoEdit, false, 0, ""},
    {k105, "entered-in-error on update", {"status", R"("entered-in-error")"}, kNoEdit, false, 0, ""},
    {k105, "docStatus absent", {"docStatus", nullptr}, kNoEdit, true, 0, ""},
    {k105, "docStatus preliminary", {"docStatus", R"("preliminary")"}, kNoEdit, true, 0, ""},
    {k105, "docStatus unknown", {"docStatus", R"("done")"}, kNoEdit, true, 422,
     "code-invalid@DocumentReference.docStatus"},
    // ---- type
    {k105, "type missing", {"type", nullptr}, kNoEdit, true, 422,
     "element-missing@DocumentReference.type"},
    {k105, "type LOINC code not accepted", {"type.coding.0.code", R"("29463-7")"}, kNoEdit, true,
     422, "document-type-unknown@DocumentReference.type.coding[0]"},
    {k105, "type without LOINC coding", {"type.coding.0.system", R"("urn:oid:1.2.250.1.213.1.1.4.12")"},
     kNoEdit, true, 422, "document-type-unknown@DocumentReference.type.coding"},
    {k105, "type text only", {"type", R"({"text":"Compte rendu"})"}, kNoEdit, true, 422,
     "document-type-unknown@DocumentReference.type.coding"},
    {k105, "two accepted types", {"type.coding.1", R"({"system":"http://loinc.org","code":"60591-5"})"},
     kNoEdit, true, 422, "document-type-ambiguous@DocumentReference.type.coding[1]"},
    {k105, "accepted type beside another system",
     {"type.coding.1", R"({"system":"https://mos.esante.gouv.fr/NOS/TRE_A04-Loinc/FHIR/TRE-A04-Loinc","code":"11488-4"})"},
     kNoEdit, true, 0, ""},
    {k105, "type coding wrong JSON type", {"type.coding", R"({"code":"11488-4"})"}, kNoEdit, true,
     400, "invalid-type@DocumentReference.type.coding"},
    // ---- category
    {k105, "category missing", {"category", nullptr}, kNoEdit, true, 422,
     "element-missing@DocumentReference.category"},
    {k105, "class code unknown", {"category.0.coding.0.code", R"("99")"}, kNoEdit, true, 422,
     "document-class-unknown@DocumentReference.category[0].coding[0]"},
    {k105, "class from another system", {"category.0.coding.0.system", R"("http://loinc.org")"},
     kNoEdit, true, 422, "document-class-missing@DocumentReference.category"},
    {k105, "two classes", {"category.1", R"({"coding":[{"system":")" CLASS_SYSTEM R"(","code":"11"}]})"},
     kNoEdit, true, 422, "document-class-ambiguous@DocumentReference.category[1].coding[0]"},
    {k105, "class 90 with any accepted type", {"category.0.coding.0.code", R"("90")"}, kNoEdit, true,
     0, ""},
    {k105, "category not an array", {"category", R"({"coding":[]})"}, kNoEdit, true, 400,
     "invalid-type@DocumentReference.category"},
    // ---- subject, date, author, context
    {k105, "subject missing", {"subject", nullptr}, kNoEdit, true, 422,
     "element-missing@DocumentReference.subject"},
    {k105, "subject not a patient", {"subject.reference", R"("Group/g-1")"}, kNoEdit, true, 422,
     "subject-invalid@DocumentReference.subject.reference"},
    {k105, "subject versioned", {"subject.reference", R"("Patient/p-1/_history/2")"}, kNoEdit, true,
     422, "subject-invalid@DocumentReference.subject.reference"},
    {k105, "subject by identifier only", {"subject", R"({"identifier":{"system":"urn:x","value":"1"}})"},
     kNoEdit, true, 422, "subject-invalid@DocumentReference.subject.reference"},
    {k105, "date absent", {"date", nullptr}, kNoEdit, true, 0, ""},
    {k105, "date not an instant", {"date", R"("2025-03-01")"}, kNoEdit, true, 400,
     "invalid-datetime@DocumentReference.date"},
    {k105, "two authors", {"author.1", R"({"reference":"Organization/o-1"})"}, kNoEdit, true, 0, ""},
    {k105, "author not an array", {"author", R"({"reference":"Device/app-1"})"}, kNoEdit, true, 400,
     "invalid-type@DocumentReference.author"},
    {k105, "period reversed", {"context.period.start", R"("2025-02-03")"}, kNoEdit, true, 422,
     "period-reversed@DocumentReference.context.period"},
    {k105, "period open-ended", {"context.period.end", nullptr}, kNoEdit, true, 0, ""},
    {k105, "relatesTo without target", {"relatesTo", R"([{"code":"replaces"}])"}, kNoEdit, true, 422,
     "element-missing@DocumentReference.relatesTo[0].target"},
    // ---- securityLabel
    {k105, "INVISIBLE_PATIENT", {"securityLabel", R"([{"coding":[{"system":")" VISIBILITY_SYSTEM R"(","code":"INVISIBLE_PATIENT"}]}])"},
     kNoEdit, true, 0, ""},
    {k105, "MASQUE_PS and INVISIBLE_PATIENT",
     {"securityLabel", R"([{"coding":[{"system":")" VISIBILITY_SYSTEM R"(","code":"MASQUE_PS"}]},{"coding":[{"system":")" VISIBILITY_SYSTEM R"(","code":"INVISIBLE_PATIENT"}]}])"},
     kNoEdit, true, 0, ""},
    {k105, "unknown label", {"securityLabel", R"([{"coding":[{"system":")" VISIBILITY_SYSTEM R"(","code":"MASQUE_PT"}]}])"},
     kNoEdit, true, 422, "security-label-unknown@DocumentReference.securityLabel[0].coding[0]"},
    {k105, "label from another system",
     {"securityLabel", R"([{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"N"}]}])"},
     kNoEdit, true, 422, "security-label-unknown@DocumentReference.securityLabel[0].coding[0]"},
    {k105, "label as text", {"securityLabel", R"([{"text":"secret"}])"}, kNoEdit, true, 422,
     "security-label-unknown@DocumentReference.securityLabel[0]"},
    // ---- content
    {k105, "content missing", {"content", nullptr}, kNoEdit, true, 422,
     "element-missing@DocumentReference.content"},
    {k105, "content empty", {"content", "[]"}, kNoEdit, true, 400,
     "empty-element@DocumentReference.content"},
    {k105, "two contents",
     {"content.1", R"({"attachment":{"contentType":"text/plain","size":11,"hash":")" HELLO_SHA1 R"(","data":")" HELLO_DATA R"("}})"},
     kNoEdit, true, 422, "content-multiple@DocumentReference.content[1]"},
    {k105, "attachment missing", {"content.0", R"({"id":"c1"})"}, kNoEdit, true, 422,
     "element-missing@DocumentReference.content[0].attachment"},
    {k105, "format coding", {"content.0.format", R"({"system":"urn:oid:1.3.6.1.4.1.19376.1.2.3","code":"urn:ihe:iti:xds:2017:mimeTypeSufficient"})"},
     kNoEdit, true, 0, ""},
    // ---- contentType
    {k105, "contentType missing", {"content.0.attachment.contentType", nullptr}, kNoEdit, true, 422,
     "element-missing@" ATT ".contentType"},
    {k105, "contentType not allowed", {"content.0.attachment.contentType", R"("application/msword")"},
     kNoEdit, true, 422, "content-type-not-allowed@" ATT ".contentType"},
    {k105, "contentType +xml not allowed", {"content.0.attachment.contentType", R"("application/hl7-v3+xml")"},
     kNoEdit, true, 422, "content-type-not-allowed@" ATT ".contentType"},
    {k105, "contentType case and parameters", {"content.0.attachment.contentType", R"("Application/PDF; charset=binary")"},
     kNoEdit, true, 0, ""},
    {k105, "contentType text/xml (CDA)", {"content.0.attachment.contentType", R"("text/xml")"}, kNoEdit,
     true, 0, ""},
    {k105, "contentType application/xml (CDA)", {"content.0.attachment.contentType", R"("application/xml")"},
     kNoEdit, true, 0, ""},
    {k105, "contentType image/jpeg", {"content.0.attachment.contentType", R"("image/jpeg")"}, kNoEdit,
     true, 0, ""},
    {k105, "contentType image/png", {"content.0.attachment.contentType", R"("image/png")"}, kNoEdit,
     true, 0, ""},
    {k105, "contentType text/plain;charset=utf-8", {"content.0.attachment.contentType", R"("text/plain;charset=utf-8")"},
     kNoEdit, true, 0, ""},
    // ---- size, hash
    {k105, "size missing", {"content.0.attachment.size", nullptr}, kNoEdit, true, 422,
     "element-missing@" ATT ".size"},
    {k105, "size negative", {"content.0.attachment.size", "-1"}, kNoEdit, true, 400,
     "invalid-primitive@" ATT ".size"},
    {k105, "size as a string", {"content.0.attachment.size", R"("11")"}, kNoEdit, true, 400,
     "invalid-type@" ATT ".size"},
    {k105, "size zero", {"content.0.attachment.size", "0"}, kNoEdit, true, 0, ""},
    {k105, "hash missing", {"content.0.attachment.hash", nullptr}, kNoEdit, true, 422,
     "element-missing@" ATT ".hash"},
    {k105, "hash not base64", {"content.0.attachment.hash", R"("e1AsOh9IyGCa4hLN+2Od7jlnP14")"},
     kNoEdit, true, 400, "invalid-primitive@" ATT ".hash"},
    {k105, "hash in hex", {"content.0.attachment.hash", R"("7b502c3a1f48c8609ae212cdfb639dee39673f5e")"},
     kNoEdit, true, 422, "hash-not-sha1@" ATT ".hash"},
    {k105, "hash of 16 bytes (MD5)", {"content.0.attachment.hash", R"(")" HELLO_MD5 R"(")"}, kNoEdit,
     true, 422, "hash-not-sha1@" ATT ".hash"},
    {k105, "hash wrapped", {"content.0.attachment.hash", R"("e1AsOh9IyGCa\n4hLN+2Od7jlnP14=")"},
     kNoEdit, true, 0, ""},
    // ---- data / url
    {k105, "data missing", {"content.0.attachment.data", nullptr}, kNoEdit, true, 422,
     "element-missing@" ATT ".data"},
    {k105, "data not base64", {"content.0.attachment.data", R"("SGVsbG8gd29ybGQ")"}, kNoEdit, true,
     400, "invalid-primitive@" ATT ".data"},
    {k105, "url instead of data", {"content.0.attachment.data", nullptr},
     {"content.0.attachment.url", R"(")" BINARY_UUID R"(")"}, true, 422,
     "element-missing@" ATT ".data element-not-allowed@" ATT ".url"},
    {k65, "url missing", {"content.0.attachment.url", nullptr}, kNoEdit, true, 422,
     "element-missing@" ATT ".url"},
    {k65, "url absolute", {"content.0.attachment.url", R"("https://example.org/fhir/Binary/1")"},
     kNoEdit, true, 422, "attachment-url-invalid@" ATT ".url"},
    {k65, "url upper-case uuid", {"content.0.attachment.url", R"("urn:uuid:0C287D32-01E3-4D87-9953-9FCC9404EB21")"},
     kNoEdit, true, 422, "attachment-url-invalid@" ATT ".url"},
    {k65, "url to another type", {"content.0.attachment.url", R"("DocumentReference/d-1")"}, kNoEdit,
     true, 422, "attachment-url-invalid@" ATT ".url"},
    {k65, "data in a bundle entry", {"content.0.attachment.data", R"(")" HELLO_DATA R"(")"}, kNoEdit,
     true, 422, "element-not-allowed@" ATT ".data"},
    // A value an AttachmentSpool took out of the body stands as its placeholder.
    {k105, "spooled data", {"content.0.attachment.data", R"("\u0000spool:0")"}, kNoEdit, true, 0, ""},
    {k105, "not a placeholder", {"content.0.attachment.data", R"("\u0000spool:x")"}, kNoEdit, true, 400,
     "invalid-primitive@" ATT ".data"},
    {k65, "spooled data in a bundle entry", {"content.0.attachment.data", R"("\u0000spool:3")"}, kNoEdit,
     true, 422, "element-not-allowed@" ATT ".data"},
};
// clang-format on

}  // namespace

BOOST_AUTO_TEST_SUITE(document_profile)

BOOST_DATA_TEST_CASE(document_reference_table, bdata::make(kCases), c) {
  Value doc = baseDocument(c.flavour);
  apply(doc, c.edit1);
  apply(doc, c.edit2);
  auto result = validateDocumentReference(doc, rulesFor(c.flavour, c.forCreate));
  if (c.status == 0) {
    BOOST_TEST(result.isOk(), (result.isOk() ? "" : actualProblems(result.error())));
    return;
  }
  BOOST_REQUIRE(!result.isOk());
  BOOST_TEST(mes::httpStatusOf(result.error().kind) == c.status);
  BOOST_TEST(actualProblems(result.error()) == c.expect);
  for (const auto& p : result.error().problems) {
    BOOST_TEST(!p.message.empty());
    BOOST_TEST(p.severity == "error");
  }
}

BOOST_AUTO_TEST_CASE(valid_document_gives_what_the_gateway_stores) {
  Value doc = baseDocument(k105);
  apply(doc, {"securityLabel",
              R"([{"coding":[{"system":")" VISIBILITY_SYSTEM R"(","code":"MASQUE_PS"}]}])"});
  auto r = validateDocumentReference(doc, rulesFor(k105));
  BOOST_REQUIRE(r.isOk());
  BOOST_TEST(r->status == "current");
  BOOST_TEST(*r->docStatus == "final");
  BOOST_TEST(r->type->code == "11488-4");
  BOOST_TEST(r->documentClass->code == "10");
  BOOST_TEST(r->documentClass->display == "Compte rendu");
  BOOST_TEST(r->patientId == "p-123");
  BOOST_TEST(formatInstant(r->date->lowMs) == "2025-03-01T07:30:00.000Z");
  BOOST_TEST(r->contentType == "application/pdf");
  BOOST_TEST(r->size == 11);
  BOOST_TEST(r->inlineDataSize == 11u);
  BOOST_TEST(r->sha1[0] == 0x7b);
  BOOST_TEST(r->sha1[19] == 0x5e);
  BOOST_TEST(!r->attachmentUrl.has_value());
  BOOST_TEST(r->labels.masquePs);
  BOOST_TEST(!r->labels.invisiblePatient);
  BOOST_REQUIRE(r->period.has_value());

  auto bundled = validateDocumentReference(baseDocument(k65), rulesFor(k65));
  BOOST_REQUIRE(bundled.isOk());
  BOOST_TEST(*bundled->attachmentUrl == BINARY_UUID);
  BOOST_TEST(bundled->inlineDataSize == 0u);
}

BOOST_AUTO_TEST_CASE(messages_name_the_rejected_codes) {
  auto message = [](const Edit& edit) {
    Value doc = baseDocument(k105);
    apply(doc, edit);
    auto r = validateDocumentReference(doc, rulesFor(k105));
    BOOST_REQUIRE(!r.isOk());
    BOOST_REQUIRE(r.error().problems.size() == 1u);
    return r.error().problems[0].message;
  };
  BOOST_TEST(message({"type.coding.0.code", R"("29463-7")"}) ==
             "DocumentReference.type: LOINC code 'http://loinc.org|29463-7' is not an accepted "
             "document type (see docs/document-types.md).");
  BOOST_TEST(message({"type.coding.0.system", R"("urn:x")"}).find("'urn:x|11488-4'") !=
             std::string::npos);
  BOOST_TEST(message({"category.0.coding.0.code", R"("99")"}).find("class code '99'") !=
             std::string::npos);
  BOOST_TEST(message({"content.0.attachment.contentType", R"("application/msword")"}) ==
             "Content type 'application/msword' is not accepted for documents; allowed: "
             "application/pdf, image/jpeg, image/png, text/plain, text/xml, application/xml "
             "(text/xml and application/xml for CDA).");
  BOOST_TEST(message({"securityLabel",
                      R"([{"coding":[{"system":")" VISIBILITY_SYSTEM R"(","code":"MASQUE_PT"}]}])"})
                 .find("'" VISIBILITY_SYSTEM "|MASQUE_PT'") != std::string::npos);
  BOOST_TEST(message({"content.0.attachment.hash", R"(")" HELLO_MD5 R"(")"}).find("got 16 bytes") !=
             std::string::npos);
  BOOST_TEST(message({"content.0.attachment.data", R"("SGVs!G8=")"})
                 .find("'!' at offset 4 is not a base64 character") != std::string::npos);
}

// The gateway answers 415 on this code; the engine's class stays 422 (or 400 with a
// structural problem).
BOOST_AUTO_TEST_CASE(content_type_problem_is_distinct) {
  Value doc = baseDocument(k105);
  apply(doc, {"content.0.attachment.contentType", R"("application/zip")"});
  auto r = validateDocumentReference(doc, rulesFor(k105));
  BOOST_REQUIRE(!r.isOk());
  BOOST_TEST(hasContentTypeNotAllowed(r.error()));
  BOOST_TEST(r.error().problems[0].code == std::string(kContentTypeNotAllowed));
  BOOST_TEST(r.error().problems[0].issueType == "not-supported");
  BOOST_TEST(mes::httpStatusOf(r.error().kind) == 422);

  apply(doc, {"content.0.attachment.contentType", R"("application/pdf")"});
  apply(doc, {"status", R"("superseded")"});
  auto other = validateDocumentReference(doc, rulesFor(k105));
  BOOST_REQUIRE(!other.isOk());
  BOOST_TEST(!hasContentTypeNotAllowed(other.error()));

  auto binary = validateBinary(
      parse(R"({"resourceType":"Binary","contentType":"video/mp4","data":")" HELLO_DATA R"("})"));
  BOOST_REQUIRE(!binary.isOk());
  BOOST_TEST(hasContentTypeNotAllowed(binary.error()));
}

BOOST_AUTO_TEST_CASE(every_problem_in_one_pass) {
  Value doc = baseDocument(k105);
  apply(doc, {"status", R"("superseded")"});
  apply(doc, {"type.coding.0.code", R"("1234-5")"});
  apply(doc, {"category.0.coding.0.code", R"("12")"});
  apply(doc, {"subject.reference", R"("Practitioner/x")"});
  apply(doc, {"content.0.attachment.contentType", R"("image/gif")"});
  apply(doc, {"content.0.attachment.hash", R"(")" HELLO_MD5 R"(")"});
  auto r = validateDocumentReference(doc, rulesFor(k105));
  BOOST_REQUIRE(!r.isOk());
  BOOST_TEST(mes::httpStatusOf(r.error().kind) == 422);
  BOOST_TEST(actualProblems(r.error()) ==
             "status-invalid@DocumentReference.status "
             "document-type-unknown@DocumentReference.type.coding[0] "
             "document-class-unknown@DocumentReference.category[0].coding[0] "
             "subject-invalid@DocumentReference.subject.reference "
             "content-type-not-allowed@" ATT
             ".contentType "
             "hash-not-sha1@" ATT ".hash");
}

BOOST_AUTO_TEST_CASE(not_an_object) {
  auto r = validateDocumentReference(Value::array(), DocumentRules{});
  BOOST_REQUIRE(!r.isOk());
  BOOST_TEST(mes::httpStatusOf(r.error().kind) == 400);
  BOOST_TEST(actualProblems(r.error()) == "invalid-type@DocumentReference");
}

// ---- Tables and helpers ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(tables) {
  BOOST_TEST(documentClasses().size() == 11u);
  std::set<std::string_view> classes;
  for (const DocumentClass& c : documentClasses()) {
    classes.insert(c.code);
    BOOST_TEST(!c.display.empty());
  }
  BOOST_TEST(classes.size() == 11u);
  BOOST_TEST(findDocumentClass("52")->display == "Certificat/déclaration");
  BOOST_TEST(findDocumentClass("1") == nullptr);

  BOOST_TEST(documentTypes().size() >= 20u);
  BOOST_TEST(documentTypes().size() <= 30u);
  std::set<std::string_view> types;
  for (const DocumentType& t : documentTypes()) {
    types.insert(t.code);
    BOOST_TEST(findDocumentClass(t.classCode) != nullptr, t.code);
    BOOST_TEST(!t.display.empty());
  }
  BOOST_TEST(types.size() == documentTypes().size());  // no duplicate
  for (std::string_view code : {"11506-3", "11488-4", "34133-9", "60591-5", "18748-4", "57833-6",
                                "60593-1", "18776-5", "11502-2", "34794-8"}) {
    BOOST_TEST(findDocumentType(code) != nullptr, code);
  }
  BOOST_TEST(findDocumentType("29463-7") == nullptr);
}

// docs/document-types.md, linked from the README, lists the same rows as the code.
BOOST_AUTO_TEST_CASE(markdown_table_matches_the_code) {
  const std::filesystem::path path =
      std::filesystem::path(MES_TESTDATA_DIR) / ".." / ".." / "docs" / "document-types.md";
  std::ifstream in(path);
  BOOST_REQUIRE_MESSAGE(in.good(), path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string markdown = ss.str();
  for (const DocumentClass& c : documentClasses()) {
    const std::string row = "| " + std::string(c.code) + " | " + std::string(c.display) + " |";
    BOOST_TEST(markdown.find(row) != std::string::npos, row);
  }
  size_t typeRows = 0;
  for (const DocumentType& t : documentTypes()) {
    const std::string row = "| " + std::string(t.code) + " | " + std::string(t.display) + " | " +
                            std::string(t.classCode) + " ";
    BOOST_TEST(markdown.find(row) != std::string::npos, row);
    ++typeRows;
  }
  size_t loincRows = 0;
  for (size_t at = markdown.find("\n| "); at != std::string::npos;
       at = markdown.find("\n| ", at + 1)) {
    const size_t dash = markdown.find('-', at);
    if (dash != std::string::npos && dash < at + 12 && markdown[at + 3] >= '0' &&
        markdown[at + 3] <= '9') {
      ++loincRows;
    }
  }
  BOOST_TEST(loincRows == typeRows);  // no row in the document that the code lacks
}

struct MediaCase {
  const char* input;
  const char* normalized;
  const char* allowed;  // "" when not allowed
};
std::ostream& operator<<(std::ostream& os, const MediaCase& c) {
  return os << '"' << c.input << '"';
}
// clang-format off
const MediaCase kMediaCases[] = {
    {"application/pdf", "application/pdf", "application/pdf"},
    {"APPLICATION/PDF", "application/pdf", "application/pdf"},
    {" text/plain ; charset=UTF-8", "text/plain", "text/plain"},
    {"text/xml;charset=utf-8", "text/xml", "text/xml"},
    {"Image/JPEG", "image/jpeg", "image/jpeg"},
    {"image/gif", "image/gif", ""},
    {"application/pdfx", "application/pdfx", ""},
    {"pdf", "", ""},
    {"/pdf", "", ""},
    {"application/", "", ""},
    {"application/ pdf", "", ""},
    {"", "", ""},
};
// clang-format on

BOOST_DATA_TEST_CASE(media_types, bdata::make(kMediaCases), c) {
  BOOST_TEST(normalizeMediaType(c.input) == c.normalized);
  auto allowed = matchAllowedContentType(c.input);
  if (*c.allowed == '\0') {
    BOOST_TEST(!allowed.has_value());
  } else {
    BOOST_REQUIRE(allowed.has_value());
    BOOST_TEST(*allowed == c.allowed);
  }
}

BOOST_AUTO_TEST_CASE(helpers_read_the_raw_document) {
  Value doc = baseDocument(k105);
  apply(doc, {"content.0.attachment.contentType", R"("Application/PDF; x=y")"});
  apply(doc, {"securityLabel",
              R"([{"coding":[{"system":")" VISIBILITY_SYSTEM
              R"(","code":"INVISIBLE_PATIENT"},{"system":"urn:x","code":"MASQUE_PS"}]}])"});
  auto sha1 = attachmentSha1(doc);
  BOOST_REQUIRE(sha1.has_value());
  BOOST_TEST((*sha1)[0] == 0x7b);
  BOOST_TEST((*sha1)[1] == 0x50);
  BOOST_TEST(*declaredSize(doc) == 11);
  BOOST_TEST(*documentSubjectId(doc) == "p-123");
  BOOST_TEST(*documentContentType(doc) == "application/pdf");
  const DocumentSecurityLabels labels = securityLabels(doc);
  BOOST_TEST(labels.invisiblePatient);
  BOOST_TEST(!labels.masquePs);  // MASQUE_PS of another system is not the DMP label

  Value bad = baseDocument(k105);
  apply(bad, {"content.0.attachment.hash", R"(")" HELLO_MD5 R"(")"});
  apply(bad, {"content.0.attachment.size", "-3"});
  apply(bad, {"subject.reference", R"("Group/1")"});
  apply(bad, {"content.0.attachment.contentType", R"("pdf")"});
  BOOST_TEST(!attachmentSha1(bad).has_value());
  BOOST_TEST(!declaredSize(bad).has_value());
  BOOST_TEST(!documentSubjectId(bad).has_value());
  BOOST_TEST(!documentContentType(bad).has_value());
  const DocumentSecurityLabels none = securityLabels(bad);
  BOOST_TEST(!none.invisiblePatient);
  BOOST_TEST(!none.masquePs);

  BOOST_TEST(!attachmentSha1(Value::string("x")).has_value());
  BOOST_TEST(!declaredSize(parse(R"({"content":[]})")).has_value());
}

// ---- SubmissionSet --------------------------------------------------------------------------

Value baseSubmissionSet() {
  return parse(
      R"({"resourceType":"List","extension":[{"url":")" SOURCE_ID_URL
      R"(","valueIdentifier":{"value":"urn:oid:1.2.250.1.999.1"}}],)"
      R"("identifier":[{"use":"official","system":"urn:ietf:rfc:3986","value":"urn:oid:1.2.250.1.999.1.7"},)"
      R"({"use":"usual","system":"urn:ietf:rfc:3986","value":"urn:uuid:5c287d32-01e3-4d87-9953-9fcc9404eb20"}],)"
      R"("status":"current","mode":"working",)"
      R"("code":{"coding":[{"system":")" LIST_TYPES R"(","code":"submissionset"}]},)"
      R"("subject":{"reference":"Patient/p-123"},"date":"2025-03-01T08:30:00+01:00",)"
      R"("entry":[{"item":{"reference":")" DOCREF_UUID R"("}}]})");
}

struct ListCase {
  const char* what;
  Edit edit1;
  Edit edit2;
  int status;
  const char* expect;
};
std::ostream& operator<<(std::ostream& os, const ListCase& c) {
  return os << c.what;
}

// clang-format off
const ListCase kListCases[] = {
    {"valid", kNoEdit, kNoEdit, 0, ""},
    {"without sourceId, identifiers and date", {"extension", nullptr}, {"identifier", nullptr}, 0, ""},
    {"date absent", {"date", nullptr}, kNoEdit, 0, ""},
    {"two entries", {"entry.1", R"({"item":{"reference":"DocumentReference/d-2"}})"}, kNoEdit, 0, ""},
    {"not a List", {"resourceType", R"("Bundle")"}, kNoEdit, 400, "resource-type-mismatch@List.resourceType"},
    {"unknown element", {"documents", "[]"}, kNoEdit, 400, "unknown-element@List.documents"},
    {"code missing", {"code", nullptr}, kNoEdit, 422, "submissionset-code-missing@List.code"},
    {"folder code", {"code.coding.0.code", R"("folder")"}, kNoEdit, 422, "submissionset-code-missing@List.code"},
    {"status retired", {"status", R"("retired")"}, kNoEdit, 422, "status-invalid@List.status"},
    {"status missing", {"status", nullptr}, kNoEdit, 422, "element-missing@List.status"},
    {"mode snapshot", {"mode", R"("snapshot")"}, kNoEdit, 422, "mode-invalid@List.mode"},
    {"mode unknown", {"mode", R"("draft")"}, kNoEdit, 422, "code-invalid@List.mode"},
    {"subject missing", {"subject", nullptr}, kNoEdit, 422, "element-missing@List.subject"},
    {"subject not a patient", {"subject.reference", R"("Group/g")"}, kNoEdit, 422,
     "subject-invalid@List.subject.reference"},
    {"entry missing", {"entry", nullptr}, kNoEdit, 422, "element-missing@List.entry"},
    {"entry without item", {"entry.0", R"({"id":"e1"})"}, kNoEdit, 422, "element-missing@List.entry[0].item"},
    {"item to a Patient", {"entry.0.item.reference", R"("Patient/p-1")"}, kNoEdit, 422,
     "entry-item-invalid@List.entry[0].item.reference"},
    {"item by identifier", {"entry.0.item", R"({"identifier":{"system":"urn:x","value":"1"}})"}, kNoEdit, 422,
     "entry-item-invalid@List.entry[0].item.reference"},
    {"entry.deleted", {"entry.0.deleted", "true"}, kNoEdit, 422, "element-not-allowed@List.entry[0].deleted"},
    {"orderedBy", {"orderedBy", R"({"text":"x"})"}, kNoEdit, 422, "element-not-allowed@List.orderedBy"},
    {"sourceId as a string", {"extension.0", R"({"url":")" SOURCE_ID_URL R"(","valueString":"1.2.3"})"}, kNoEdit,
     422, "extension-value-invalid@List.extension[0]"},
    {"identifier wrong type", {"identifier", R"("urn:oid:1.2")"}, kNoEdit, 400, "invalid-type@List.identifier"},
    {"date malformed", {"date", R"("01/03/2025")"}, kNoEdit, 400, "invalid-datetime@List.date"},
};
// clang-format on

BOOST_DATA_TEST_CASE(submission_set_table, bdata::make(kListCases), c) {
  Value list = baseSubmissionSet();
  apply(list, c.edit1);
  apply(list, c.edit2);
  auto result = validateSubmissionSet(list);
  if (c.status == 0) {
    BOOST_TEST(result.isOk(), (result.isOk() ? "" : actualProblems(result.error())));
    return;
  }
  BOOST_REQUIRE(!result.isOk());
  BOOST_TEST(mes::httpStatusOf(result.error().kind) == c.status);
  BOOST_TEST(actualProblems(result.error()) == c.expect);
}

BOOST_AUTO_TEST_CASE(submission_set_gives_the_entries) {
  Value list = baseSubmissionSet();
  apply(list,
        {"entry.1", R"({"item":{"reference":"urn:uuid:1d7c1a32-51e3-4d87-9953-9fcc9404eb23"}})"});
  auto r = validateSubmissionSet(list);
  BOOST_REQUIRE(r.isOk());
  BOOST_TEST(r->patientId == "p-123");
  BOOST_TEST(*r->sourceId == "urn:oid:1.2.250.1.999.1");
  BOOST_REQUIRE(r->entries.size() == 2u);
  BOOST_TEST(r->entries[0].reference == DOCREF_UUID);
  BOOST_TEST(r->entries[0].expression == "List.entry[0].item.reference");
  BOOST_TEST(r->entries[1].expression == "List.entry[1].item.reference");

  apply(list, {"code.coding.0.code", R"("folder")"});
  auto bad = validateSubmissionSet(list);
  BOOST_REQUIRE(!bad.isOk());
  BOOST_TEST(bad.error().problems[0].message.find("'" LIST_TYPES "|folder'") != std::string::npos);
}

// ---- Binary ---------------------------------------------------------------------------------

struct BinaryCase {
  const char* what;
  const char* json;
  int status;
  const char* expect;
};
std::ostream& operator<<(std::ostream& os, const BinaryCase& c) {
  return os << c.what;
}

// clang-format off
const BinaryCase kBinaryCases[] = {
    {"valid", R"({"resourceType":"Binary","contentType":"application/pdf","data":")" HELLO_DATA R"("})", 0, ""},
    {"CDA with charset", R"({"resourceType":"Binary","id":"b-1","contentType":"text/xml; charset=UTF-8","data":")" HELLO_DATA R"("})", 0, ""},
    {"contentType not allowed", R"({"resourceType":"Binary","contentType":"application/zip","data":")" HELLO_DATA R"("})",
     422, "content-type-not-allowed@Binary.contentType"},
    {"contentType missing", R"({"resourceType":"Binary","data":")" HELLO_DATA R"("})", 422,
     "element-missing@Binary.contentType"},
    {"data missing", R"({"resourceType":"Binary","contentType":"text/plain"})", 422, "element-missing@Binary.data"},
    {"data not base64", R"({"resourceType":"Binary","contentType":"text/plain","data":"SGVsbG8=SGVsbG8="})", 400,
     "invalid-primitive@Binary.data"},
    {"data not a string", R"({"resourceType":"Binary","contentType":"text/plain","data":12})", 400,
     "invalid-type@Binary.data"},
    {"text is not a Binary element", R"({"resourceType":"Binary","contentType":"text/plain","data":")" HELLO_DATA R"(","text":{"status":"empty","div":"<div/>"}})",
     400, "unknown-element@Binary.text"},
    {"implicitRules", R"({"resourceType":"Binary","implicitRules":"urn:x","contentType":"text/plain","data":")" HELLO_DATA R"("})",
     422, "element-not-allowed@Binary.implicitRules"},
    {"not a Binary", R"({"resourceType":"Basic"})", 400, "resource-type-mismatch@Binary.resourceType"},
};
// clang-format on

BOOST_DATA_TEST_CASE(binary_table, bdata::make(kBinaryCases), c) {
  auto result = validateBinary(parse(c.json));
  if (c.status == 0) {
    BOOST_TEST(result.isOk(), (result.isOk() ? "" : actualProblems(result.error())));
    if (result.isOk()) BOOST_TEST(result->dataSize == 11u);
    return;
  }
  BOOST_REQUIRE(!result.isOk());
  BOOST_TEST(mes::httpStatusOf(result.error().kind) == c.status);
  BOOST_TEST(actualProblems(result.error()) == c.expect);
}

BOOST_AUTO_TEST_CASE(spooled_data_gives_its_index) {
  Value doc = baseDocument(k105);
  apply(doc, {"content.0.attachment.data", R"("\u0000spool:7")"});
  auto r = validateDocumentReference(doc, rulesFor(k105));
  BOOST_REQUIRE(r.isOk());
  BOOST_TEST(r->spooledData.value_or(99) == 7u);
  BOOST_TEST(r->inlineDataSize == 0u);
  BOOST_TEST(!validateDocumentReference(baseDocument(k105), rulesFor(k105))->spooledData.has_value());

  auto binary = validateBinary(parse(R"({"resourceType":"Binary","contentType":"image/png","data":"\u0000spool:2"})"));
  BOOST_REQUIRE(binary.isOk());
  BOOST_TEST(binary->spooledData.value_or(99) == 2u);
  BOOST_TEST(binary->dataSize == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
