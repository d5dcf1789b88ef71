// The body of a document deposit (POST /fhir/DocumentReference, ITI-105; POST /fhir, ITI-65)
// as it streams in: the JSON goes through an AttachmentSpool (fhir/json/attachment_spool.h),
// which takes every long "data" value (the document bytes, base64) out of it and hands the
// decoded bytes to a BlobWriter of the blob store as they arrive. What is left is a small JSON
// text with placeholders, parsed once the body is complete; each spooled value is then a
// StagedBlob (written, synced, digests known, not yet visible in the store).
//
// Memory: the JSON left (at most maxJsonBytes) + the spool's threshold + the blob writer's
// buffer, whatever the size of the document. Nothing becomes visible in the blob store here:
// a DocumentUpload destroyed without its staged blobs being committed leaves nothing behind
// (the writers and staged blobs remove their temporary files).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string_view>

#include "connectors/blob/blob_store.h"
#include "core/status.h"
#include "fhir/json/attachment_spool.h"
#include "fhir/json/value.h"

namespace mes::gateway {

struct UploadLimits {
  size_t maxJsonBytes = 1 << 20;  // the JSON left once the document bytes are out (max_body_bytes)
  size_t maxDepth = 32;
  size_t maxDocuments = 1;  // spooled values accepted (one per document)
};

class DocumentUpload {
 public:
  // `blobs` must outlive the upload.
  DocumentUpload(blob::BlobStore& blobs, const UploadLimits& limits);
  ~DocumentUpload();
  DocumentUpload(const DocumentUpload&) = delete;
  DocumentUpload& operator=(const DocumentUpload&) = delete;

  // The next bytes of the body. Errors: the spool's (400 json-malformed, base64-invalid,
  // json-too-deep...; 413 body-too-large, too-many-large-values), the blob store's (413
  // blob-too-large past its limit, 503 blob-store-unavailable).
  Status feed(std::string_view chunk);
  // The body is complete: the JSON left, parsed (400 as fhir/json/json.h says).
  Result<fhir::Value> finish();

  // Moves out the staged blob of spooled value `index`; nullptr when there is none (or it was
  // taken already).
  std::unique_ptr<blob::StagedBlob> take(size_t index);
  // How many values were spooled, and how many of them are still not taken.
  size_t spooledCount() const;
  size_t untaken() const { return staged_.size(); }

 private:
  class Sink;
  blob::BlobStore& blobs_;
  UploadLimits limits_;
  std::unique_ptr<Sink> sink_;
  std::unique_ptr<fhir::AttachmentSpool> spool_;
  std::map<size_t, std::unique_ptr<blob::StagedBlob>> staged_;
};

}  // namespace mes::gateway
