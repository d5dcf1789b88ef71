// Streaming filter that takes the large base64 values out of a JSON request body.
//
// A DocumentReference posted with its document inline (ITI-105) carries up to 20 MiB of bytes
// as base64 in content[0].attachment.data (~27 MiB of JSON). The gateway must not hold that in
// memory, so the body goes through an AttachmentSpool chunk by chunk as it arrives:
//  - the JSON text is copied to output() unchanged, except
//  - a string value longer than `threshold` (counted in raw JSON bytes between its quotes,
//    escapes as written) that is the value of a member named `member` ("data" by default) is
//    JSON-unescaped, base64-decoded and handed to the SpoolSink as it streams by; in the
//    output it becomes the placeholder string "\u0000spool:<n>" (n = 0, 1... in body order).
// The regular parser (fhir/json/json.h) then reads output(), which is small, and the gateway
// finds the placeholder with spooledIndex() where the base64 used to be.
//
// The placeholder: its first character is U+0000, which FHIR forbids in strings (FHIR R4
// datatypes, string: no characters below U+0020 but tab, CR, LF) and which raw JSON cannot carry
// (control characters must be escaped). The filter refuses ("json-reserved-character") any
// `\u0000` escape in the input, in keys or values, so a placeholder in the output always comes
// from the filter. The gateway must replace or recognise it before validating attachment.data
// as base64Binary.
//
// A string is recognised as long only once more than `threshold` of its bytes have arrived:
// until then it is buffered; past it the buffered prefix goes through the decoder and the rest
// streams. A string of exactly `threshold` bytes stays inline. Keys are never spooled; nor are
// long strings of other members (they stay inline, counted in maxOutputBytes).
//
// Memory: the output (at most maxOutputBytes) + threshold + a 64 KiB decode buffer + nesting
// depth, whatever the body size; a body fed in any chunking gives the same output, the same
// bytes to the sink and the same error.
//
// What the filter checks (and refuses with kInvalid unless said):
//  - lexical JSON inside strings: escapes (\" \\ \/ \b \f \n \r \t \uXXXX), no raw control
//    character, the string closed before finish()                       "json-malformed"
//  - no `\u0000` anywhere                                               "json-reserved-character"
//  - nesting no deeper than maxDepth                                    "json-too-deep"
//  - a spooled value is standard base64 (A-Z a-z 0-9 + /, '=' padding to a multiple of 4
//    characters, zero unused bits; whitespace, raw or escaped, is skipped)  "base64-invalid"
//  - at most maxSpooledValues long values                   kTooLarge "too-many-large-values"
//  - the output at most maxOutputBytes                      kTooLarge "body-too-large"
//  - errors from the sink are returned as the sink gave them.
// It does not check the rest of the grammar (numbers, literals, commas): the regular parser does
// that on the output, and a string replaced by another string keeps the text valid or invalid.
// After an error every call returns that error again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mes::fhir {

// What the filter measured of one spooled value.
struct SpooledValue {
  size_t index = 0;           // n of its placeholder
  uint64_t encodedBytes = 0;  // raw JSON text between the quotes, as sent
  uint64_t decodedBytes = 0;  // bytes handed to the sink
};

// Receives the decoded bytes of spooled values (the gateway writes them to a BlobWriter).
class SpoolSink {
 public:
  virtual ~SpoolSink() = default;
  // Before the first write of value `index`.
  virtual Status startValue(size_t /*index*/) { return Status::ok(); }
  // The next decoded bytes of the current value, in order; never empty.
  virtual Status write(std::string_view decodedBytes) = 0;
  // After the last write of the value, once its closing quote and base64 end were checked.
  virtual Status endValue(const SpooledValue& /*value*/) { return Status::ok(); }
};

struct SpoolOptions {
  size_t threshold = 64 << 10;         // raw bytes; longer value strings are spooled
  std::string member = "data";         // only values of members with this key (as written,
                                       // unescaped); empty: any long value string, array
                                       // items included
  size_t maxSpooledValues = 1;
  size_t maxOutputBytes = 1 << 20;     // the JSON left once long values are taken out
  size_t maxDepth = 64;                // as fhir::ParseLimits::maxDepth
};

class AttachmentSpool {
 public:
  // `sink` must outlive the spool.
  explicit AttachmentSpool(SpoolSink& sink, SpoolOptions options = {});
  ~AttachmentSpool();
  AttachmentSpool(const AttachmentSpool&) = delete;
  AttachmentSpool& operator=(const AttachmentSpool&) = delete;

  // The next bytes of the body, in any chunking (empty chunks are fine).
  Status feed(std::string_view chunk);
  // The body is complete: refuses an unterminated string. Call once, after the last feed.
  Status finish();

  // The JSON text with placeholders; complete once finish() succeeded.
  const std::string& output() const;
  std::string takeOutput();
  // One entry per spooled value, in body order; a value is listed once its spooling starts.
  const std::vector<SpooledValue>& spooled() const;
  uint64_t bytesFed() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The string value (as parsed, not JSON text) that stands for spooled value `index`:
// "\0spool:<index>".
std::string spoolPlaceholder(size_t index);
// The index of a placeholder string value as parsed, or nullopt when `value` is not one.
std::optional<size_t> spooledIndex(std::string_view value);

}  // namespace mes::fhir
