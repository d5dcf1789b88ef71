#include "fhir/types/base64.h"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <string>
#include <vector>

using namespace mes::fhir;
namespace bdata = boost::unit_test::data;

namespace {

// Reference encoder for the tests (RFC 4648 §4, padded), with an optional line break every
// `lineLength` characters as MIME-style senders do.
std::string encode(const std::string& bytes, size_t lineLength = 0) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t column = 0;
  auto put = [&](char c) {
    if (lineLength != 0 && column == lineLength) {
      out += "\r\n";
      column = 0;
    }
    out += c;
    ++column;
  };
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t g = (uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                       (uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    put(kAlphabet[(g >> 18) & 63]);
    put(kAlphabet[(g >> 12) & 63]);
    put(kAlphabet[(g >> 6) & 63]);
    put(kAlphabet[g & 63]);
  }
  if (bytes.size() - i == 1) {
    const uint32_t g = uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    put(kAlphabet[(g >> 18) & 63]);
    put(kAlphabet[(g >> 12) & 63]);
    put('=');
    put('=');
  } else if (bytes.size() - i == 2) {
    const uint32_t g = (uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                       (uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8);
    put(kAlphabet[(g >> 18) & 63]);
    put(kAlphabet[(g >> 12) & 63]);
    put(kAlphabet[(g >> 6) & 63]);
    put('=');
  }
  return out;
}

std::string pseudoRandomBytes(size_t n, uint32_t seed) {
  std::string out(n, '\0');
  uint32_t x = seed;
  for (char& c : out) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return out;
}

// Decodes `text` fed as the pieces cut at `cuts` (increasing offsets).
mes::Result<std::string> decodeInPieces(std::string_view text, const std::vector<size_t>& cuts) {
  Base64Decoder decoder;
  std::string out;
  size_t from = 0;
  for (size_t cut : cuts) {
    MES_RETURN_IF_ERROR(decoder.feed(text.substr(from, cut - from), out));
    from = cut;
  }
  MES_RETURN_IF_ERROR(decoder.feed(text.substr(from), out));
  MES_RETURN_IF_ERROR(decoder.finish(out));
  return out;
}

struct Vector {
  const char* text;
  const char* bytes;
};
std::ostream& operator<<(std::ostream& os, const Vector& v) {
  return os << '"' << v.text << '"';
}

// RFC 4648 §10 test vectors, and the same with FHIR-allowed whitespace.
// clang-format off
const Vector kVectors[] = {
    {"", ""},
    {"Zg==", "f"},
    {"Zm8=", "fo"},
    {"Zm9v", "foo"},
    {"Zm9vYg==", "foob"},
    {"Zm9vYmE=", "fooba"},
    {"Zm9vYmFy", "foobar"},
    {"Zm9v\r\nYmFy\r\n", "foobar"},
    {"  Zm9vYmE=\n", "fooba"},
    {"Z m 9 v Y g = =", "foob"},
    {"Zm9vYg=\t=", "foob"},
    {"\n\n\n", ""},
    {"+/+/", "\xfb\xff\xbf"},
};
// clang-format on

}  // namespace

BOOST_AUTO_TEST_SUITE(base64)

BOOST_DATA_TEST_CASE(known_vectors, bdata::make(kVectors), v) {
  auto r = decodeBase64(v.text);
  BOOST_REQUIRE_MESSAGE(r.isOk(), (r.isOk() ? std::string() : r.error().problems[0].message));
  BOOST_TEST(*r == std::string(v.bytes));
  auto n = checkBase64(v.text);
  BOOST_REQUIRE(n.isOk());
  BOOST_TEST(*n == std::string(v.bytes).size());
}

// Every way to cut each input into two and three pieces (cuts inside groups, inside the
// padding, inside runs of whitespace, empty pieces) gives the same bytes.
BOOST_DATA_TEST_CASE(every_chunk_split, bdata::make(kVectors), v) {
  const std::string_view text = v.text;
  for (size_t i = 0; i <= text.size(); ++i) {
    for (size_t j = i; j <= text.size(); ++j) {
      auto r = decodeInPieces(text, {i, j});
      BOOST_REQUIRE_MESSAGE(r.isOk(), "cuts " << i << "," << j);
      BOOST_TEST(*r == std::string(v.bytes), "cuts " << i << "," << j);
    }
  }
}

BOOST_AUTO_TEST_CASE(every_chunk_split_of_a_wrapped_text) {
  // 100 bytes, 76-character lines with CRLF: cuts fall between CR and LF, inside groups and
  // inside the final "==".
  const std::string bytes = pseudoRandomBytes(100, 7);
  const std::string text = encode(bytes, 76);
  BOOST_REQUIRE(text.find("\r\n") != std::string::npos);
  BOOST_REQUIRE(text.substr(text.size() - 2) == "==");
  size_t checked = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    for (size_t j = i; j <= text.size(); j += 7) {
      auto r = decodeInPieces(text, {i, j});
      BOOST_REQUIRE_MESSAGE(r.isOk(), "cuts " << i << "," << j);
      BOOST_REQUIRE_MESSAGE(*r == bytes, "cuts " << i << "," << j);
      ++checked;
    }
  }
  BOOST_TEST(checked > 1000u);
}

struct Invalid {
  const char* what;
  std::string text;
  const char* messagePart;  // expected inside the error message
};
std::ostream& operator<<(std::ostream& os, const Invalid& c) {
  return os << c.what;
}

// clang-format off
const Invalid kInvalid[] = {
    {"character outside the alphabet", "Zm9v!mFy", "'!' at offset 4 is not a base64 character"},
    {"base64url alphabet", "Zm9v-_Fy", "'-' at offset 4"},
    {"control byte", std::string("Zm9v\0mFy", 8), "byte 0x00 at offset 4"},
    {"non-ASCII byte", "Zm9v\xc3\xa9", "byte 0xC3 at offset 4"},
    {"missing padding (2 left)", "Zm9vYg", "ends inside a 4-character group (2 characters"},
    {"missing padding (3 left)", "Zm9vYmE", "ends inside a 4-character group (3 characters"},
    {"single character", "Z", "(1 character after"},
    {"padding only", "====", "padding '=' at offset 0 where a data character is expected"},
    {"padding too early", "Z===", "padding '=' at offset 1"},
    {"three padding characters", "Zg===", "padding '=' at offset 4 after the end of the data"},
    {"data after padding", "Zg==Zg==", "data character 'Z' at offset 4 after the '=' padding"},
    {"data after padding, across whitespace", "Zm8= \nZm8=", "'Z' at offset 6"},
    {"data inside padding", "Zg=g", "data character 'g' at offset 3"},
    {"non-zero unused bits (one '=')", "Zm9=", "non-zero unused bits"},
    {"non-zero unused bits (two '=')", "Zh==", "non-zero unused bits"},
};
// clang-format on

BOOST_DATA_TEST_CASE(invalid_inputs, bdata::make(kInvalid), c) {
  auto r = decodeBase64(c.text);
  BOOST_REQUIRE(!r.isOk());
  BOOST_TEST((r.error().kind == mes::ErrorKind::kInvalid));
  BOOST_TEST(r.error().code() == "invalid-base64");
  const std::string& message = r.error().problems.at(0).message;
  BOOST_TEST(message.find(c.messagePart) != std::string::npos, message);
  BOOST_TEST(!checkBase64(c.text).isOk());
  // The same error whatever the chunking.
  for (size_t i = 0; i <= c.text.size(); ++i) {
    auto split = decodeInPieces(c.text, {i});
    BOOST_REQUIRE_MESSAGE(!split.isOk(), "cut " << i);
    BOOST_TEST(split.error().problems.at(0).message == message, "cut " << i);
  }
}

BOOST_AUTO_TEST_CASE(a_failed_decoder_stays_failed_until_reset) {
  Base64Decoder decoder;
  std::string out;
  BOOST_TEST(decoder.feed("Zm9v", out).isOk());
  BOOST_TEST(out == "foo");
  BOOST_TEST(!decoder.feed("Zm!v", out).isOk());
  BOOST_TEST(out == "foo");  // nothing of the failed group
  BOOST_TEST(!decoder.feed("Zm9v", out).isOk());
  BOOST_TEST(!decoder.finish(out).isOk());
  decoder.reset();
  out.clear();
  BOOST_TEST(decoder.feed("Zm9v", out).isOk());
  BOOST_TEST(decoder.finish(out).isOk());
  BOOST_TEST(out == "foo");
  BOOST_TEST(decoder.decodedSize() == 3u);
  BOOST_TEST(decoder.consumed() == 4u);
}

BOOST_AUTO_TEST_CASE(three_mib_round_trip_in_chunks) {
  const std::string bytes = pseudoRandomBytes(3u * 1024 * 1024 + 1, 42);  // ends with "=="
  for (size_t lineLength : {size_t{0}, size_t{76}}) {
    const std::string text = encode(bytes, lineLength);
    for (size_t chunkSize : {size_t{64} * 1024, size_t{4093}, size_t{1} << 22}) {
      Base64Decoder decoder;
      std::string out;
      out.reserve(bytes.size());
      for (size_t from = 0; from < text.size(); from += chunkSize) {
        BOOST_REQUIRE(decoder.feed(std::string_view(text).substr(from, chunkSize), out).isOk());
      }
      BOOST_REQUIRE(decoder.finish(out).isOk());
      BOOST_TEST(out.size() == bytes.size(), "line " << lineLength << " chunk " << chunkSize);
      BOOST_TEST((out == bytes), "line " << lineLength << " chunk " << chunkSize);
      BOOST_TEST(decoder.decodedSize() == bytes.size());
      BOOST_TEST(decoder.consumed() == text.size());
    }
    auto n = checkBase64(text);
    BOOST_REQUIRE(n.isOk());
    BOOST_TEST(*n == bytes.size());
  }
}

BOOST_AUTO_TEST_SUITE_END()
