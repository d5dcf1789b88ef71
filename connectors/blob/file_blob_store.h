// Blob store on the local file system (default <data-dir>/blobs/).
//
// Layout under the store's directory:
//   ab/abcdef…      one file per blob, named by its SHA-256, fanned out by its first two hex
//                   digits (256 directories at most); files 0600, directories 0700
//   tmp/<random>.tmp  blobs being written or staged; removed when abandoned,
//                   removeStaleTemps() cleans what a crash left
// Anything else found in the directory is ignored (list() skips it).
//
// Writing: bytes go to a fresh temporary file (O_EXCL, unique random name) through a 64 KiB
// buffer while SHA-256 and SHA-1 are computed (OpenSSL EVP); finish() flushes and fsyncs it;
// commit() hard-links it under its final name (which never replaces an existing blob: the same
// name means the same bytes, so the copy is dropped), removes the temporary name and fsyncs the
// fan-out directory (and the store directory when the fan-out directory is new). On a file
// system without hard links commit() renames instead. A file under its final name is therefore
// always complete.
//
// Thread-safe: the store keeps no mutable state but an atomic counter.
#pragma once

#include <filesystem>
#include <memory>

#include "connectors/blob/blob_store.h"
#include "core/clock.h"

namespace mes::blob {

struct FileBlobStoreOptions {
  uint64_t maxBlobBytes = uint64_t{20} << 20;  // SPEC §3: 20 MiB by default
};

class FileBlobStore final : public BlobStore {
 public:
  // Creates the directory and its tmp/ (0700) when missing. kUnavailable when it cannot.
  // `clock` (for removeStaleTemps) must outlive the store.
  static Result<std::unique_ptr<FileBlobStore>> open(const std::filesystem::path& directory,
                                                     const Clock& clock,
                                                     FileBlobStoreOptions options = {});

  uint64_t maxBlobBytes() const override { return options_.maxBlobBytes; }
  Result<std::unique_ptr<BlobWriter>> begin() override;
  Result<BlobDigest> put(std::string_view bytes) override;
  Result<std::unique_ptr<BlobReader>> open(std::string_view sha256) const override;
  Result<std::string> readAll(std::string_view sha256,
                              uint64_t maxBytes = uint64_t{1} << 20) const override;
  Result<uint64_t> size(std::string_view sha256) const override;
  Result<bool> exists(std::string_view sha256) const override;
  Result<std::vector<std::string>> list() const override;
  Result<size_t> removeStaleTemps(int64_t olderThanMs) override;

  const std::filesystem::path& directory() const { return directory_; }
  // Where a blob of that name lives (whether or not it exists); the name must be valid.
  std::filesystem::path pathOf(std::string_view sha256) const;
  std::filesystem::path tempDirectory() const { return directory_ / "tmp"; }

 private:
  FileBlobStore(std::filesystem::path directory, const Clock& clock, FileBlobStoreOptions options)
      : directory_(std::move(directory)), clock_(clock), options_(options) {}
  std::filesystem::path directory_;
  const Clock& clock_;
  FileBlobStoreOptions options_;
};

}  // namespace mes::blob
