// The Documents API (SPEC §3, IHE MHD / PDSm): both publish forms, the byte checks, search,
// retrieval and withdrawal. Samples are checked with the gateway's own DocumentReference
// validation first.
#include <algorithm>

#include "conformance/server/checks.h"
#include "conformance/server/plan_parts.h"
#include "conformance/server/samples.h"
#include "fhir/json/json.h"
#include "fhir/profiles/document_profile.h"
#include "oauth/crypto/digest.h"
#include "oauth/crypto/encoding.h"

namespace mes::conformance::server {

namespace {

using fhir::Value;

const std::string& patientOf(ServerContext& ctx, TestScope& t) {
  return ctx.session(t).patientId;
}

std::string documentText(ServerContext& ctx, std::string_view what) {
  return "Compte rendu de consultation (mes-conformance " + ctx.runId() + ", " + std::string(what) +
         ").\n";
}

void expectSampleValid(TestScope& t, const Value& doc, fhir::AttachmentSource source) {
  fhir::DocumentRules rules;
  rules.attachment = source;
  Result<fhir::ValidatedDocument> checked = fhir::validateDocumentReference(doc, rules);
  if (!checked) {
    t.error("The harness's document sample is not valid by the MES document profile (" +
            checked.error().problems.front().code +
            "): a bug of mes-conformance, not of the gateway.");
  }
}

Value& attachmentOf(Value& doc) {
  return *doc.find("content")->items().front().find("attachment");
}

// ITI-105: deposits the document; returns the stored DocumentReference; withdraws it at the end.
Value deposit(ServerContext& ctx, TestScope& t, const std::string& text, const std::string& title) {
  const Value doc = documentReference(patientOf(ctx, t), text, title);
  expectSampleValid(t, doc, fhir::AttachmentSource::kInlineData);
  const http::ClientResponse r = ctx.fhir(t, "POST", "/DocumentReference", fhir::toJson(doc));
  expectStatus(t, r, 201, "for an ITI-105 deposit of a text document");
  const Value stored = expectResource(t, r, "DocumentReference");
  const std::string id = stringAt(stored, "id");
  t.expect(!id.empty(), "the deposited document's id", "none");
  t.atEnd([&ctx, &t, id] { ctx.fhir(t, "DELETE", "/DocumentReference/" + id); });
  return stored;
}

std::string binaryIdOf(TestScope& t, const Value& stored) {
  const Value* content = stored.find("content");
  const Value* attachment = content != nullptr && content->isArray() && !content->items().empty()
                                ? content->items().front().find("attachment")
                                : nullptr;
  const std::string url = attachment != nullptr ? stringAt(*attachment, "url") : std::string();
  const size_t at = url.find("Binary/");
  t.expect(at != std::string::npos, "content[0].attachment.url naming the Binary (Binary/<id>)",
           url.empty() ? std::string("no url") : url);
  return url.substr(at + 7);
}

void publishIti105(ServerContext& ctx, TestScope& t) {
  const Value stored = deposit(ctx, t, documentText(ctx, "ITI-105"), "cr-iti105.txt");
  binaryIdOf(t, stored);
  const Value* content = stored.find("content");
  t.expect(content->items().front().find("attachment")->find("data") == nullptr,
           "no attachment.data in the stored DocumentReference (the bytes are in the Binary)",
           "data");
  const Value* author = stored.find("author");
  t.expect(author != nullptr && author->isArray() && !author->items().empty(),
           "an author: the service that deposited it (SPEC §3)", "none");
}

void publishIti65(ServerContext& ctx, TestScope& t) {
  const std::string text = documentText(ctx, "ITI-65");
  const Value bundle = documentBundle(patientOf(ctx, t), text, "cr-iti65.txt");
  const Value& doc = *bundle.find("entry")->items()[1].find("resource");
  expectSampleValid(t, doc, fhir::AttachmentSource::kBundleUrl);
  const http::ClientResponse r = ctx.fhir(t, "POST", "", fhir::toJson(bundle));
  expectStatus(t, r, 200, "for an ITI-65 publication (List, DocumentReference, Binary)");
  const Value answer = expectResource(t, r, "Bundle");
  t.expect(stringAt(answer, "type") == "transaction-response", "a transaction-response",
           "type " + stringAt(answer, "type"));
  const Value* entries = answer.find("entry");
  t.expect(entries != nullptr && entries->isArray() && entries->items().size() == 3,
           "3 response entries", "another count");
  std::string documentId;
  for (const Value& e : entries->items()) {
    const Value* response = e.find("response");
    const std::string status = response != nullptr ? stringAt(*response, "status") : std::string();
    const std::string location =
        response != nullptr ? stringAt(*response, "location") : std::string();
    t.expect(status.rfind("201", 0) == 0 && !location.empty(),
             "201 with a location for every entry", status + " " + location);
    const size_t at = location.find("DocumentReference/");
    if (at != std::string::npos)
      documentId = location.substr(at + 18, location.find('/', at + 18) - at - 18);
  }
  t.expect(!documentId.empty(), "a DocumentReference location", "none");
  t.atEnd([&ctx, &t, documentId] { ctx.fhir(t, "DELETE", "/DocumentReference/" + documentId); });
  const http::ClientResponse read = ctx.fhir(t, "GET", "/DocumentReference/" + documentId);
  expectStatus(t, read, 200, "for the published document read back");
  const std::string binaryId = binaryIdOf(t, expectResource(t, read, "DocumentReference"));
  const http::ClientResponse bytes =
      ctx.fhir(t, "GET", "/Binary/" + binaryId, {}, Who::kPatient, [] {
        http::Headers h;
        h.add("Accept", "*/*");
        return h;
      }());
  expectStatus(t, bytes, 200, "for its bytes");
  t.expect(bytes.body == text, "the published bytes",
           std::to_string(bytes.body.size()) + " other bytes");
}

void refusedDocument(ServerContext& ctx, TestScope& t, Value doc, int status, std::string_view code,
                     const std::string& why) {
  const http::ClientResponse r = ctx.fhir(t, "POST", "/DocumentReference", fhir::toJson(doc));
  if (r.status == 201) {
    const std::string id = stringAt(expectJson(t, r, "the created document"), "id");
    t.atEnd([&ctx, &t, id] { ctx.fhir(t, "DELETE", "/DocumentReference/" + id); });
  }
  expectOutcome(t, r, status, code, why);
}

void hashMismatch(ServerContext& ctx, TestScope& t) {
  Value doc = documentReference(patientOf(ctx, t), documentText(ctx, "hash"), "cr.txt");
  attachmentOf(doc).set("hash", Value::string(oauth::base64Encode(oauth::sha1("other bytes"))));
  expectSampleValid(t, doc,
                    fhir::AttachmentSource::kInlineData);  // well-formed: only the bytes disagree
  refusedDocument(ctx, t, doc, 422, "attachment-hash-mismatch",
                  "for a SHA-1 that is not the bytes'");
}

void sizeMismatch(ServerContext& ctx, TestScope& t) {
  const std::string text = documentText(ctx, "size");
  Value doc = documentReference(patientOf(ctx, t), text, "cr.txt");
  attachmentOf(doc).set("size", Value::number(static_cast<int64_t>(text.size() + 1)));
  expectSampleValid(t, doc, fhir::AttachmentSource::kInlineData);
  refusedDocument(ctx, t, doc, 422, "attachment-size-mismatch", "for a size one byte off");
}

void contentTypeRefused(ServerContext& ctx, TestScope& t) {
  Value doc = documentReference(patientOf(ctx, t), documentText(ctx, "type"), "cr.exe");
  attachmentOf(doc).set("contentType", Value::string("application/x-msdownload"));
  refusedDocument(ctx, t, doc, 415, fhir::kContentTypeNotAllowed,
                  "for a content type outside the allowed list");
}

void classUnknown(ServerContext& ctx, TestScope& t) {
  Value doc = documentReference(patientOf(ctx, t), documentText(ctx, "class"), "cr.txt");
  Value& coding = doc.find("category")->items().front().find("coding")->items().front();
  coding.set("code", Value::string("99"));
  refusedDocument(ctx, t, doc, 422, "document-class-unknown",
                  "for a DMP class that does not exist (99)");
}

void search(ServerContext& ctx, TestScope& t) {
  const std::string id =
      stringAt(deposit(ctx, t, documentText(ctx, "search"), "cr-search.txt"), "id");
  const http::ClientResponse r =
      ctx.fhir(t, "GET",
               "/DocumentReference?patient=" + encode(patientOf(ctx, t)) +
                   "&status=current&type=" + encode("http://loinc.org|11488-4") + "&_count=100");
  expectStatus(t, r, 200, "for the ITI-67 search by patient, status and type");
  const Value bundle = expectResource(t, r, "Bundle");
  t.expect(stringAt(bundle, "type") == "searchset", "a searchset",
           "type " + stringAt(bundle, "type"));
  std::vector<std::string> ids;
  for (const Value* doc : bundleResources(bundle, "DocumentReference"))
    ids.push_back(stringAt(*doc, "id"));
  t.expect(std::find(ids.begin(), ids.end(), id) != ids.end(),
           "the deposited document " + id + " found",
           std::to_string(ids.size()) + " documents without it");
}

void retrieveRaw(ServerContext& ctx, TestScope& t) {
  const std::string text = documentText(ctx, "raw");
  const std::string binary = binaryIdOf(t, deposit(ctx, t, text, "cr-raw.txt"));
  http::Headers accept;
  accept.add("Accept", "*/*");
  const http::ClientResponse r = ctx.fhir(t, "GET", "/Binary/" + binary, {}, Who::kPatient, accept);
  expectStatus(t, r, 200, "for GET Binary/<id> (ITI-68)");
  const std::string type = r.headers.get("Content-Type");
  t.expect(type.rfind("text/plain", 0) == 0, "Content-Type text/plain (the stored type)", type);
  t.expect(r.body == text, "the deposited bytes, unchanged",
           std::to_string(r.body.size()) + " other bytes");
}

void retrieveJson(ServerContext& ctx, TestScope& t) {
  const std::string text = documentText(ctx, "json");
  const std::string binary = binaryIdOf(t, deposit(ctx, t, text, "cr-json.txt"));
  const http::ClientResponse r = ctx.fhir(t, "GET", "/Binary/" + binary);
  expectStatus(t, r, 200, "for GET Binary/<id> with Accept: application/fhir+json");
  const Value resource = expectResource(t, r, "Binary");
  t.expect(stringAt(resource, "contentType") == "text/plain", "contentType text/plain",
           stringAt(resource, "contentType"));
  Result<std::string> bytes = oauth::base64Decode(stringAt(resource, "data"));
  t.expect(bytes && *bytes == text, "data = the deposited bytes in base64", "other data");
}

void withdraw(ServerContext& ctx, TestScope& t) {
  const Value stored = deposit(ctx, t, documentText(ctx, "delete"), "cr-delete.txt");
  const std::string id = stringAt(stored, "id");
  const std::string binary = binaryIdOf(t, stored);
  const http::ClientResponse r = ctx.fhir(t, "DELETE", "/DocumentReference/" + id);
  t.expect(r.status == 204 || r.status == 200, "204 (or 200) for the withdrawal by its author",
           describeResponse(r));
  const http::ClientResponse read = ctx.fhir(t, "GET", "/DocumentReference/" + id);
  const bool logical = read.status == 200 && stringAt(expectJson(t, read, "the withdrawn document"),
                                                      "status") == "entered-in-error";
  t.expect(logical, "the document kept with status entered-in-error (a logical deletion)",
           describeResponse(read));
  const http::ClientResponse search = ctx.fhir(
      t, "GET",
      "/DocumentReference?patient=" + encode(patientOf(ctx, t)) + "&status=current&_count=100");
  t.expect(search.status == 200 && search.body.find("\"" + id + "\"") == std::string::npos,
           "no longer among the current documents", describeResponse(search));
  http::Headers accept;
  accept.add("Accept", "*/*");
  const http::ClientResponse bytes =
      ctx.fhir(t, "GET", "/Binary/" + binary, {}, Who::kPatient, accept);
  t.expect(bytes.status == 404 || bytes.status == 410, "its bytes no longer served (404)",
           describeResponse(bytes));
}

void otherPatientSearch(ServerContext& ctx, TestScope& t) {
  if (ctx.target().other.id.empty()) {
    t.skip(
        "This test needs a second patient's id (--other-patient-id, or other_patient in --seed).");
  }
  expectOutcome(
      t,
      ctx.fhir(t, "GET",
               "/DocumentReference?patient=" + encode(ctx.target().other.id) + "&status=current"),
      403, "patient-mismatch", "for a document search naming another patient");
}

}  // namespace

void addDocumentTests(Plan& plan, ServerContext& ctx) {
  add(plan, "server.document-publish-iti105",
      "A document deposited with its bytes inline (ITI-105)",
      "POST /fhir/DocumentReference with content.attachment.data: 201; the stored document points "
      "at "
      "its Binary (attachment.url) without the data, and names the service as author.",
      {"GW-DOC-01"}, [&ctx](TestScope& t) { publishIti105(ctx, t); });
  add(plan, "server.document-publish-iti65", "A document published as a transaction (ITI-65)",
      "A transaction Bundle with the SubmissionSet List, the DocumentReference and its Binary: 200 "
      "transaction-response, 201 and a location per entry; the bytes read back.",
      {"GW-DOC-02"}, [&ctx](TestScope& t) { publishIti65(ctx, t); });
  add(plan, "server.document-hash-mismatch", "A hash that is not the bytes' is refused",
      "attachment.hash is the SHA-1 of other bytes: 422 attachment-hash-mismatch.", {"GW-DOC-03"},
      [&ctx](TestScope& t) { hashMismatch(ctx, t); });
  add(plan, "server.document-size-mismatch", "A size that is not the bytes' is refused",
      "attachment.size one byte off: 422 attachment-size-mismatch.", {"GW-DOC-03"},
      [&ctx](TestScope& t) { sizeMismatch(ctx, t); });
  add(plan, "server.document-content-type-refused", "A content type outside the list is refused",
      "application/x-msdownload: 415 content-type-not-allowed.", {"GW-DOC-04"},
      [&ctx](TestScope& t) { contentTypeRefused(ctx, t); });
  add(plan, "server.document-class-unknown", "An unknown DMP class is refused",
      "category code 99 of TRE_A03: 422 document-class-unknown.", {"GW-DOC-04"},
      [&ctx](TestScope& t) { classUnknown(ctx, t); });
  add(plan, "server.document-search", "The patient's documents are found (ITI-67)",
      "patient, status=current and type: the deposited document is in the searchset.",
      {"GW-DOC-05"}, [&ctx](TestScope& t) { search(ctx, t); });
  add(plan, "server.document-retrieve-raw",
      "A document's bytes are retrieved as they were (ITI-68)",
      "GET /fhir/Binary/<id>: the exact bytes with their content type.", {"GW-DOC-06"},
      [&ctx](TestScope& t) { retrieveRaw(ctx, t); });
  add(plan, "server.document-retrieve-json", "A document is retrieved as a FHIR Binary",
      "GET /fhir/Binary/<id> with Accept: application/fhir+json: a Binary with contentType and the "
      "bytes in base64.",
      {"GW-DOC-06"}, [&ctx](TestScope& t) { retrieveJson(ctx, t); });
  add(plan, "server.document-delete", "A withdrawn document is kept as entered-in-error",
      "DELETE by its author: 204; the document reads entered-in-error, is no longer current, and "
      "its "
      "bytes are no longer served.",
      {"GW-DOC-07"}, [&ctx](TestScope& t) { withdraw(ctx, t); });
  add(plan, "server.document-other-patient-search",
      "A document search naming another patient is refused",
      "patient=<other> with the first patient's token: 403 patient-mismatch.", {"GW-SEC-04"},
      [&ctx](TestScope& t) { otherPatientSearch(ctx, t); });
}

}  // namespace mes::conformance::server
