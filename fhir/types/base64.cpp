#include "fhir/types/base64.h"

#include <array>
#include <cstdio>

namespace mes::fhir {
namespace {

// Values 0..63 are sextets; the others have bit 6 or 7 set, so that OR-ing four lookups and
// comparing with 64 tells whether a whole group is plain data.
constexpr uint8_t kSpace = 0x40;
constexpr uint8_t kPad = 0x41;
constexpr uint8_t kBad = 0xFF;

constexpr std::array<uint8_t, 256> makeTable() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = kBad;
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < kAlphabet.size(); ++i) {
    t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<uint8_t>(i);
  }
  for (char c : {' ', '\t', '\r', '\n', '\f', '\v'}) t[static_cast<unsigned char>(c)] = kSpace;
  t[static_cast<unsigned char>('=')] = kPad;
  return t;
}
constexpr std::array<uint8_t, 256> kTable = makeTable();

// "'x'" for a printable ASCII character, "byte 0xNN" otherwise.
std::string describe(unsigned char c) {
  char buf[16];
  if (c >= 0x21 && c < 0x7F) {
    std::snprintf(buf, sizeof buf, "'%c'", c);
  } else {
    std::snprintf(buf, sizeof buf, "byte 0x%02X", c);
  }
  return buf;
}

}  // namespace

Status Base64Decoder::fail(std::string message) {
  failed_ = true;
  return Error::make(ErrorKind::kInvalid, "invalid-base64", std::move(message));
}

template <bool kWrite>
Status Base64Decoder::run(std::string_view chunk, unsigned char* dst, size_t& written) {
  if (failed_) return Error::make(ErrorKind::kInvalid, "invalid-base64", "Invalid base64.");
  const auto* in = reinterpret_cast<const unsigned char*>(chunk.data());
  const size_t n = chunk.size();
  size_t i = 0;
  while (i < n) {
    // Fast path: a whole group of four data characters.
    if (count_ == 0 && !ended_ && n - i >= 4) {
      const uint8_t a = kTable[in[i]], b = kTable[in[i + 1]], c = kTable[in[i + 2]],
                    d = kTable[in[i + 3]];
      if ((a | b | c | d) < 64) {
        const uint32_t g = (uint32_t{a} << 18) | (uint32_t{b} << 12) | (uint32_t{c} << 6) | d;
        if constexpr (kWrite) {
          dst[written] = static_cast<unsigned char>(g >> 16);
          dst[written + 1] = static_cast<unsigned char>(g >> 8);
          dst[written + 2] = static_cast<unsigned char>(g);
        }
        written += 3;
        i += 4;
        continue;
      }
    }
    const unsigned char ch = in[i];
    const uint8_t v = kTable[ch];
    const uint64_t offset = consumed_ + i;
    ++i;
    if (v < 64) {
      if (ended_ || padding_ > 0) {
        consumed_ += i;
        return fail("Invalid base64: data character " + describe(ch) + " at offset " +
                    std::to_string(offset) + " after the '=' padding that ends the data.");
      }
      group_ = (group_ << 6) | v;
      if (++count_ == 4) {
        if constexpr (kWrite) {
          dst[written] = static_cast<unsigned char>(group_ >> 16);
          dst[written + 1] = static_cast<unsigned char>(group_ >> 8);
          dst[written + 2] = static_cast<unsigned char>(group_);
        }
        written += 3;
        count_ = 0;
        group_ = 0;
      }
    } else if (v == kSpace) {
      continue;
    } else if (v == kPad) {
      if (ended_ || count_ < 2) {
        consumed_ += i;
        return fail("Invalid base64: padding '=' at offset " + std::to_string(offset) +
                    (ended_ ? " after the end of the data (at most two '=' end a group)."
                            : " where a data character is expected ('=' may only fill the last "
                              "one or two characters of a 4-character group)."));
      }
      ++padding_;
      group_ <<= 6;
      if (++count_ == 4) {
        // One '=' leaves 2 bytes and 2 unused bits; two '=' leave 1 byte and 4 unused bits.
        const uint32_t unused = padding_ == 1 ? (group_ & 0xFF) : (group_ & 0xFFFF);
        if (unused != 0) {
          consumed_ += i;
          return fail("Invalid base64: the character before the padding at offset " +
                      std::to_string(offset) +
                      " has non-zero unused bits (not the canonical encoding).");
        }
        if constexpr (kWrite) {
          dst[written] = static_cast<unsigned char>(group_ >> 16);
          if (padding_ == 1) dst[written + 1] = static_cast<unsigned char>(group_ >> 8);
        }
        written += padding_ == 1 ? 2u : 1u;
        ended_ = true;
        count_ = 0;
        padding_ = 0;
        group_ = 0;
      }
    } else {
      consumed_ += i;
      return fail("Invalid base64: " + describe(ch) + " at offset " + std::to_string(offset) +
                  " is not a base64 character (A-Z, a-z, 0-9, '+', '/', '=' padding).");
    }
  }
  consumed_ += n;
  return Status::ok();
}

Status Base64Decoder::feed(std::string_view chunk, std::string& out) {
  const size_t before = out.size();
  // Each group of 4 characters gives at most 3 bytes; +3 for a group completed with what is
  // pending from the previous chunk.
  out.resize(before + chunk.size() / 4 * 3 + 3);
  size_t written = 0;
  Status s = run<true>(chunk, reinterpret_cast<unsigned char*>(out.data() + before), written);
  out.resize(before + written);
  decoded_ += written;
  return s;
}

Status Base64Decoder::check(std::string_view chunk) {
  size_t written = 0;
  Status s = run<false>(chunk, nullptr, written);
  decoded_ += written;
  return s;
}

Status Base64Decoder::finish(std::string& /*out*/) {
  if (failed_) return Error::make(ErrorKind::kInvalid, "invalid-base64", "Invalid base64.");
  if (count_ != 0) {
    return fail("Invalid base64: the input ends inside a 4-character group (" +
                std::to_string(count_) + " character" + (count_ == 1 ? "" : "s") +
                " after the last complete group); base64Binary must be padded with '='.");
  }
  return Status::ok();
}

Result<std::string> decodeBase64(std::string_view text) {
  Base64Decoder decoder;
  std::string out;
  out.reserve(text.size() / 4 * 3 + 3);
  MES_RETURN_IF_ERROR(decoder.feed(text, out));
  MES_RETURN_IF_ERROR(decoder.finish(out));
  return out;
}

Result<uint64_t> checkBase64(std::string_view text) {
  Base64Decoder decoder;
  MES_RETURN_IF_ERROR(decoder.check(text));
  std::string unused;
  MES_RETURN_IF_ERROR(decoder.finish(unused));
  return decoder.decodedSize();
}

}  // namespace mes::fhir
