// Base64 codecs used by JOSE (RFC 7515 base64url), HTTP and PHC-style password strings.
//
// Bytes travel as std::string (any byte value, not text). Decoders are strict: they accept
// exactly the canonical encoding of some byte string and nothing else, so that two different
// texts never decode to the same bytes (a token or a hash compared as text stays unambiguous).
// They refuse, with kInvalid and code "base64-invalid": characters outside the alphabet,
// whitespace, line breaks, padding where none is allowed (or missing where it is required),
// an impossible length, and non-zero unused bits in the last character. Error messages never
// quote the input.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace mes::oauth {

// RFC 4648 §5 alphabet (A-Z a-z 0-9 - _), no padding: the JOSE encoding.
std::string base64UrlEncode(std::string_view bytes);
Result<std::string> base64UrlDecode(std::string_view text);

// RFC 4648 §4 alphabet (A-Z a-z 0-9 + /) with '=' padding to a multiple of 4.
std::string base64Encode(std::string_view bytes);
Result<std::string> base64Decode(std::string_view text);

// RFC 4648 §4 alphabet without padding: the "B64" of the PHC string format.
std::string base64EncodeUnpadded(std::string_view bytes);
Result<std::string> base64DecodeUnpadded(std::string_view text);

}  // namespace mes::oauth
