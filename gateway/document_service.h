// The patient's documents (SPEC §3, API Document; IHE MHD / ANS PDSm): publishing (ITI-105
// simplified publish, ITI-65 transaction Bundle), reading a document and its bytes (ITI-68),
// logical deletion, and the consistency check of the blob store.
//
// What is stored for one document:
//   Binary/<b>             contentType, securityContext = DocumentReference/<d>, and meta.tag
//                          {system kBlobTagSystem, code <sha256>} naming the bytes in the blob
//                          store (connectors/blob, content addressed). Indexed under the
//                          document's patient. Never shown as stored: GET Binary builds its
//                          answer from it and the bytes.
//   DocumentReference/<d>  as sent, except what the gateway owns: id, meta.source (the writing
//                          service, RequestContext.source), author (below), and
//                          content[0].attachment = {contentType, size, hash, title, ...,
//                          url "Binary/<b>"} without data.
//   List/<l> (ITI-65 only) the SubmissionSet, its entries pointing at DocumentReference/<d>.
//                          Kept as the record of what was submitted together; no List route
//                          serves it (no MES scope grants List).
//   Device/snr-<client>    the author: one Device per referenced service, type SNR of
//                          TRE_A00-ProducteurDocNonPS ("Service numérique référencé"), its name
//                          and its editor's OID as identifier system; created or renamed in the
//                          same transaction as the document. DocumentReference.author =
//                          [{reference Device/snr-<client>, type Device, display <name>}],
//                          replacing any author the app sent (the token says who writes).
//
// Order of a publish, and why: (1) every check on the JSON and on the staged bytes (size and
// SHA-1 against attachment.size / attachment.hash, content types, codes, patient) — a refusal
// here leaves nothing: the staged blobs are dropped with their temporary files; (2) commit of
// the staged blobs into the content-addressed store (fsynced); (3) one store transaction that
// writes the Binary, DocumentReference (and List, Device) rows. A document row therefore never
// exists without its bytes. If (3) fails after (2), the committed blobs are referenced by
// nothing: content-addressed bytes that no reader can reach (Binary rows are the only way in),
// reported by checkBlobs() and deduplicated with any later deposit of the same bytes. Committing
// blobs inside the transaction instead would only hold the SQLite writer lock during the fsync,
// with the same outcome when the commit fails.
//
// Visibility (SPEC §3): a document labelled INVISIBLE_PATIENT does not exist for apps (404 on
// the DocumentReference and its Binary, never in search); MASQUE_PS ones are shown. Another
// patient's document or Binary is 404 too. Deletion is logical and only by the writing service
// (403 not-author): the DocumentReference gets a new version with status entered-in-error; its
// bytes stay stored (retention) but GET Binary answers 404 from then on; the DocumentReference
// itself stays readable in that status (the app sees the withdrawal it made; search shows it
// only with status=entered-in-error).
//
// Notifications: for each new document the patient gets an outbox message in French
// ("document-created", "Nouveau document ajouté par <service>", with the type's display and
// data.document = DocumentReference/<d>), sent after the commit — except for an INVISIBLE_PATIENT
// document, which the patient must not learn of; a message that cannot be sent is logged, the
// deposit stands.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "connectors/blob/blob_store.h"
#include "connectors/outbox/outbox.h"
#include "connectors/store/repository.h"
#include "core/clock.h"
#include "core/status.h"
#include "fhir/json/value.h"
#include "gateway/document_upload.h"
#include "gateway/log.h"
#include "gateway/router.h"

namespace mes::gateway {

// meta.tag system of a stored Binary naming its blob (SHA-256, 64 hex digits).
inline constexpr const char* kBlobTagSystem = "urn:mes-gateway:blob-sha256";
// TRE_A00-ProducteurDocNonPS: the producer kind of a document not written by a professional.
inline constexpr const char* kProducerKindSystem =
    "https://mos.esante.gouv.fr/NOS/TRE_A00-ProducteurDocNonPS/FHIR/TRE-A00-ProducteurDocNonPS";
inline constexpr const char* kProducerSnr = "SNR";
// The most documents one ITI-65 Bundle may carry.
inline constexpr size_t kMaxDocumentsPerBundle = 20;

struct PublishedDocument {
  store::ResourceRecord document;  // DocumentReference, version 1
  store::ResourceRecord binary;
};

// What GET /fhir/Binary/<id> serves.
struct DocumentBytes {
  store::ResourceRecord binary;
  std::string contentType;
  std::string blob;  // SHA-256 name in the blob store
  uint64_t size = 0;
};

struct BlobCheck {
  size_t blobs = 0;                       // blobs in the store
  size_t binaries = 0;                    // Binary resources (current versions)
  std::vector<std::string> unreferenced;  // blobs no Binary names
  std::vector<std::string> missing;       // "Binary/<id> <sha256>" whose blob is absent
};

class DocumentService {
 public:
  DocumentService(store::Repository& repository, blob::BlobStore& blobs, IdGenerator& ids,
                  outbox::Outbox& outbox, Logger& logger);

  // True when a transaction Bundle is an ITI-65 publish (an entry holds a List or a
  // DocumentReference); POST /fhir sends the others to MeasureService::transaction.
  static bool isDocumentBundle(const fhir::Value& bundle);

  // POST /fhir/DocumentReference (ITI-105): `document` is the body as parsed from `upload`
  // (attachment.data a spool placeholder, or short base64 left inline). Refusals:
  //   400 (structure, bad base64, a long "data" value elsewhere than attachment.data:
  //   "attachment-data-unexpected"), 415 when the only problem is the content type, 422 for
  //   profile rules and "attachment-size-mismatch" / "attachment-hash-mismatch" (bytes vs
  //   attachment.size / attachment.hash), "subject-unknown"; 403 patient-mismatch; 413 from the
  //   upload (documents.max_bytes).
  Result<PublishedDocument> publish(fhir::Value document, DocumentUpload& upload,
                                    const RequestContext& context);

  // POST /fhir with an ITI-65 Bundle: one SubmissionSet List, 1..kMaxDocumentsPerBundle
  // DocumentReferences (attachment.url = the fullUrl of their Binary entry) and one Binary per
  // document, every entry request POST to its type, fullUrls urn:uuid:. All or nothing: any
  // refusal (codes as publish(), located at Bundle.entry[i]...) stores nothing. Returns the
  // transaction-response Bundle (one entry per request entry, in order, 201 Created with its
  // location) and, in `published`, the documents written.
  Result<fhir::Value> publishBundle(const fhir::Value& bundle, DocumentUpload& upload,
                                    const RequestContext& context,
                                    std::vector<PublishedDocument>& published);

  // GET /fhir/DocumentReference/<id>: 404 when it does not exist for the caller (another
  // patient's, INVISIBLE_PATIENT, never written).
  Result<store::ResourceRecord> read(const std::string& id, const RequestContext& context);

  // GET /fhir/Binary/<id>: the bytes of a visible, not withdrawn document; 404 otherwise
  // (and for a Binary whose document is entered-in-error). 500 when the blob is missing.
  Result<DocumentBytes> bytes(const std::string& id, const RequestContext& context);

  // DELETE /fhir/DocumentReference/<id>: status entered-in-error as a new version (If-Match
  // honoured: 412), only by its writer (403 not-author); 404 as read(). Withdrawing a withdrawn
  // document changes nothing and returns its current version.
  Result<store::ResourceRecord> withdraw(const std::string& id, std::optional<int64_t> ifMatch,
                                         const RequestContext& context);

  // Compares the blob store with the Binary resources (start-up and `mes-gateway blobs check`).
  Result<BlobCheck> checkBlobs();

  // The id of the Device that stands for a service as author ("snr-<client id>", or a digest of
  // the client id when it is not a valid FHIR id).
  static std::string authorDeviceId(const std::string& clientId);

 private:
  struct Staged;
  Result<Staged> stageDocument(fhir::Value document, const std::string& at,
                               const fhir::Value* binary, const std::string& binaryAt,
                               DocumentUpload& upload, const RequestContext& context);
  Status commitBlobs(std::vector<Staged>& staged);
  // commitBlobs after checking that the subject exists ("subject-unknown" at `expression`).
  Status commitBlobsFor(const std::string& patientId, const std::string& expression,
                        std::vector<Staged>& staged);
  Result<PublishedDocument> writeDocument(store::Transaction& tx, Staged& staged,
                                          const RequestContext& context);
  Status writeAuthor(store::Transaction& tx, const RequestContext& context);
  Status checkPatient(store::Transaction& tx, const std::string& patientId,
                      const std::string& expression);
  Result<store::ResourceRecord> inCompartment(const std::string& type, const std::string& id,
                                              const RequestContext& context);
  Result<store::ResourceRecord> visibleDocument(const std::string& id,
                                                const RequestContext& context);
  void notifyCreated(const PublishedDocument& published, const Staged& staged,
                     const RequestContext& context);

  store::Repository& repository_;
  blob::BlobStore& blobs_;
  IdGenerator& ids_;
  outbox::Outbox& outbox_;
  Logger& logger_;
};

}  // namespace mes::gateway
