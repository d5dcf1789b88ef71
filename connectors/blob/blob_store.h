// The blob store: document bodies (DocumentReference attachments, Binary), content addressed.
//
// A blob is named by the SHA-256 of its bytes, as 64 lowercase hex digits; the same bytes are
// stored once whoever sends them (dedup). Bytes are written as a stream, never held whole in
// memory: begin() gives a BlobWriter, append() as the bytes arrive, finish() makes them durable
// under a temporary name and tells their digests and size (a StagedBlob), and only commit()
// makes them visible under their name. Between finish() and commit() the caller checks what the
// client claimed (attachment.size, attachment.hash = SHA-1) and drops the StagedBlob on a
// mismatch. Whatever is not committed (a writer or staged blob destroyed, an error midway)
// leaves nothing behind.
//
// Promises of every implementation:
//  - A blob is visible under its name complete or not at all; once commit() returns ok it
//    survives a crash.
//  - Names other than 64 lowercase hex digits are refused (kInvalid "blob-name-invalid")
//    before any lookup, so a name never reaches outside the store.
//  - Appending past the store's size limit fails with kTooLarge "blob-too-large" (the gateway
//    answers 413) and the writer is then unusable.
//  - Infrastructure failures (disk full, permissions) are kUnavailable "blob-store-unavailable"
//    with the system error in the detail only.
//  - Thread-safe: any number of writers and readers at once, including several writers of the
//    same content committing concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mes::blob {

// True for a well-formed blob name: exactly 64 characters [0-9a-f].
bool isBlobName(std::string_view name);

// What finish() measured of the bytes written.
struct BlobDigest {
  std::string sha256;  // 64 lowercase hex digits: the blob's name
  std::string sha1;    // the 20 raw bytes of the SHA-1 (FHIR Attachment.hash is its base64)
  uint64_t size = 0;   // bytes
};

// Written bytes, durable under a temporary name, not yet visible.
class StagedBlob {
 public:
  virtual ~StagedBlob() = default;  // removes the temporary file unless committed
  virtual const BlobDigest& digest() const = 0;
  // Makes the blob visible under digest().sha256. When that name already holds the same bytes
  // the staged copy is dropped and the call still succeeds (idempotent). Calling it again after
  // success does nothing.
  virtual Status commit() = 0;
};

// A blob being written. One writer is used by one thread at a time.
class BlobWriter {
 public:
  virtual ~BlobWriter() = default;  // removes the temporary file unless finished and committed
  // Appends bytes. kTooLarge "blob-too-large" when the total would pass the store's limit;
  // after any failure the writer refuses every call and its temporary file is gone.
  virtual Status append(std::string_view bytes) = 0;
  // Bytes appended so far.
  virtual uint64_t size() const = 0;
  // Flushes and syncs the bytes; the writer is then spent (later calls fail).
  virtual Result<std::unique_ptr<StagedBlob>> finish() = 0;
};

// Reads one stored blob in chunks, from its start.
class BlobReader {
 public:
  virtual ~BlobReader() = default;
  virtual uint64_t size() const = 0;
  // Copies up to `capacity` next bytes into `buffer`; returns how many, 0 at the end.
  virtual Result<size_t> read(char* buffer, size_t capacity) = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // The largest blob append() accepts, in bytes.
  virtual uint64_t maxBlobBytes() const = 0;

  virtual Result<std::unique_ptr<BlobWriter>> begin() = 0;
  // begin + append + finish + commit, for bytes already in memory.
  virtual Result<BlobDigest> put(std::string_view bytes) = 0;

  // kNotFound "blob-not-found" when no blob has that name.
  virtual Result<std::unique_ptr<BlobReader>> open(std::string_view sha256) const = 0;
  // The whole blob in memory, for small ones: kInternal when it is larger than maxBytes.
  virtual Result<std::string> readAll(std::string_view sha256,
                                      uint64_t maxBytes = uint64_t{1} << 20) const = 0;
  virtual Result<uint64_t> size(std::string_view sha256) const = 0;
  virtual Result<bool> exists(std::string_view sha256) const = 0;

  // Names of every committed blob, sorted; for the start-up check against the documents that
  // reference them.
  virtual Result<std::vector<std::string>> list() const = 0;

  // Removes temporary files not modified for `olderThanMs` (left by a crash or a killed
  // process; a live writer touches its file at every flush). Returns how many it removed.
  // Call it at start-up with a margin longer than any upload may pause.
  virtual Result<size_t> removeStaleTemps(int64_t olderThanMs) = 0;
};

}  // namespace mes::blob
