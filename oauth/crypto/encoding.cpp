#include "oauth/crypto/encoding.h"

#include <array>
#include <cstdint>

namespace mes::oauth {
namespace {

constexpr std::string_view kStandardAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr uint8_t kInvalid = 0xFF;

constexpr std::array<uint8_t, 256> reverseTable(std::string_view alphabet) {
  std::array<uint8_t, 256> table{};
  for (auto& t : table) t = kInvalid;
  for (size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<uint8_t>(i);
  }
  return table;
}

constexpr std::array<uint8_t, 256> kStandardReverse = reverseTable(kStandardAlphabet);
constexpr std::array<uint8_t, 256> kUrlReverse = reverseTable(kUrlAlphabet);

Error invalid(const char* why) {
  Error e =
      Error::make(ErrorKind::kInvalid, "base64-invalid", "The value is not valid base64 encoding.");
  e.detail = why;
  return e;
}

std::string encode(std::string_view bytes, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byteAt = [&](size_t k) {
    return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k]));
  };
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (byteAt(i) << 16) | (byteAt(i + 1) << 8) | byteAt(i + 2);
    out.push_back(alphabet[(v >> 18) & 0x3F]);
    out.push_back(alphabet[(v >> 12) & 0x3F]);
    out.push_back(alphabet[(v >> 6) & 0x3F]);
    out.push_back(alphabet[v & 0x3F]);
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t v = byteAt(i) << 16;
    out.push_back(alphabet[(v >> 18) & 0x3F]);
    out.push_back(alphabet[(v >> 12) & 0x3F]);
    if (pad) out.append("==");
  } else if (rest == 2) {
    uint32_t v = (byteAt(i) << 16) | (byteAt(i + 1) << 8);
    out.push_back(alphabet[(v >> 18) & 0x3F]);
    out.push_back(alphabet[(v >> 12) & 0x3F]);
    out.push_back(alphabet[(v >> 6) & 0x3F]);
    if (pad) out.push_back('=');
  }
  return out;
}

// Decodes unpadded text (padding, if any, was removed and checked by the caller).
Result<std::string> decodeUnpadded(std::string_view text, const std::array<uint8_t, 256>& rev) {
  if (text.size() % 4 == 1) return invalid("impossible length");
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    uint8_t v = rev[static_cast<unsigned char>(c)];
    if (v == kInvalid) return invalid("character outside the alphabet");
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  // 2 or 4 bits may be left over; a canonical encoding leaves them zero.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return invalid("non-zero trailing bits");
  return out;
}

}  // namespace

std::string base64UrlEncode(std::string_view bytes) {
  return encode(bytes, kUrlAlphabet, false);
}

Result<std::string> base64UrlDecode(std::string_view text) {
  return decodeUnpadded(text, kUrlReverse);
}

std::string base64Encode(std::string_view bytes) {
  return encode(bytes, kStandardAlphabet, true);
}

Result<std::string> base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return invalid("length is not a multiple of 4");
  size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') {
    ++padding;
  }
  return decodeUnpadded(text.substr(0, text.size() - padding), kStandardReverse);
}

std::string base64EncodeUnpadded(std::string_view bytes) {
  return encode(bytes, kStandardAlphabet, false);
}

Result<std::string> base64DecodeUnpadded(std::string_view text) {
  return decodeUnpadded(text, kStandardReverse);
}

}  // namespace mes::oauth
