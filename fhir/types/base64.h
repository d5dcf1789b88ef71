// FHIR base64Binary: a validating decoder of standard base64 (RFC 4648 §4 alphabet
// A-Z a-z 0-9 + /, '=' padding to a multiple of 4 characters) that accepts input in pieces.
//
// FHIR base64Binary differs from the strict codec in oauth/crypto/encoding.h (which the fhir
// module must not depend on): ASCII whitespace (space, tab, CR, LF, FF, VT) may appear
// anywhere and is skipped, because senders wrap long attachments into lines. Everything else
// is strict, so that one text decodes to one byte string:
//  - a character outside the alphabet is refused, with its offset in the whole input;
//  - '=' is only accepted as the last one or two characters of a 4-character group, and only
//    whitespace may follow a padded group;
//  - the input must end on a group boundary (padding is required, "QQ" is refused);
//  - the unused low bits of the last data character before padding must be zero ("QR==" is
//    refused: "QQ==" is the only text for the byte 'A').
// Errors are kInvalid with code "invalid-base64" and a message that names the offending
// character by its code and offset, never quoting the surrounding input.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace mes::fhir {

// Decodes base64 text delivered in chunks of any size, split anywhere (inside a group, inside
// padding, inside a run of whitespace). Decoded bytes are appended to `out` as soon as each
// 4-character group is complete, so memory use is the caller's output plus a few bytes of
// state. One table lookup per input character; no allocation except growing `out`.
//
// Usage: feed() every chunk in order, then finish() once. After any error the decoder stays
// failed (every later call returns an error) until reset(). On error, `out` holds the bytes
// of the groups decoded before the offending character.
class Base64Decoder {
 public:
  Status feed(std::string_view chunk, std::string& out);
  // Checks that the input ended on a group boundary. Appends nothing today (a padded group is
  // flushed by feed() when its last '=' arrives); `out` keeps the interface symmetric.
  Status finish(std::string& out);
  // Like feed() but only validates and counts: no output is written.
  Status check(std::string_view chunk);
  void reset() { *this = Base64Decoder(); }

  // Input characters consumed so far (whitespace included).
  uint64_t consumed() const { return consumed_; }
  // Bytes decoded so far.
  uint64_t decodedSize() const { return decoded_; }

 private:
  template <bool kWrite>
  Status run(std::string_view chunk, unsigned char* dst, size_t& written);
  Status fail(std::string message);

  uint32_t group_ = 0;   // sextets of the group being read, most significant first
  uint8_t count_ = 0;    // characters (data and '=') in the group being read
  uint8_t padding_ = 0;  // '=' in the group being read
  bool ended_ = false;   // a padded group was completed: only whitespace may follow
  bool failed_ = false;
  uint64_t consumed_ = 0;  // offset in the whole input of the next character
  uint64_t decoded_ = 0;
};

// One-shot decoding of a complete text (whitespace skipped, as above).
Result<std::string> decodeBase64(std::string_view text);
// Validates a complete text without producing the bytes; returns the decoded length.
Result<uint64_t> checkBase64(std::string_view text);

}  // namespace mes::fhir
