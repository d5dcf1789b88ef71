#include "gateway/document_upload.h"

#include "fhir/json/json.h"

namespace mes::gateway {

// Writes each spooled value to a fresh BlobWriter and stages it when the value ends.
class DocumentUpload::Sink final : public fhir::SpoolSink {
 public:
  Sink(blob::BlobStore& blobs, std::map<size_t, std::unique_ptr<blob::StagedBlob>>& staged)
      : blobs_(blobs), staged_(staged) {}

  Status startValue(size_t) override {
    auto writer = blobs_.begin();
    if (!writer) return writer.takeError();
    writer_ = std::move(writer).value();
    return Status::ok();
  }
  Status write(std::string_view bytes) override { return writer_->append(bytes); }
  Status endValue(const fhir::SpooledValue& value) override {
    auto staged = writer_->finish();
    writer_.reset();
    if (!staged) return staged.takeError();
    staged_[value.index] = std::move(staged).value();
    return Status::ok();
  }

 private:
  blob::BlobStore& blobs_;
  std::map<size_t, std::unique_ptr<blob::StagedBlob>>& staged_;
  std::unique_ptr<blob::BlobWriter> writer_;
};

DocumentUpload::DocumentUpload(blob::BlobStore& blobs, const UploadLimits& limits)
    : blobs_(blobs), limits_(limits), sink_(std::make_unique<Sink>(blobs_, staged_)) {
  fhir::SpoolOptions options;
  options.maxSpooledValues = limits.maxDocuments;
  options.maxOutputBytes = limits.maxJsonBytes;
  options.maxDepth = limits.maxDepth;
  spool_ = std::make_unique<fhir::AttachmentSpool>(*sink_, options);
}

DocumentUpload::~DocumentUpload() = default;

Status DocumentUpload::feed(std::string_view chunk) { return spool_->feed(chunk); }

Result<fhir::Value> DocumentUpload::finish() {
  MES_RETURN_IF_ERROR(spool_->finish());
  fhir::ParseLimits limits;
  limits.maxDepth = limits_.maxDepth;
  limits.maxBytes = limits_.maxJsonBytes;
  return fhir::parseJson(spool_->output(), limits);
}

std::unique_ptr<blob::StagedBlob> DocumentUpload::take(size_t index) {
  auto it = staged_.find(index);
  if (it == staged_.end()) return nullptr;
  std::unique_ptr<blob::StagedBlob> blob = std::move(it->second);
  staged_.erase(it);
  return blob;
}

size_t DocumentUpload::spooledCount() const { return spool_->spooled().size(); }

}  // namespace mes::gateway
