#include "fhir/json/attachment_spool.h"

#include <boost/test/unit_test.hpp>

#include "fhir/json/json.h"

using mes::Error;
using mes::ErrorKind;
using mes::Status;
using mes::fhir::AttachmentSpool;
using mes::fhir::SpooledValue;
using mes::fhir::SpoolOptions;
using mes::fhir::SpoolSink;
using mes::fhir::spooledIndex;
using mes::fhir::spoolPlaceholder;

namespace {

// Records what the spool hands over.
struct RecordingSink final : SpoolSink {
  std::string bytes;
  std::vector<size_t> started;
  std::vector<SpooledValue> ended;
  size_t writes = 0;
  size_t largestWrite = 0;
  std::optional<Error> failOnWrite;
  Status startValue(size_t index) override {
    started.push_back(index);
    return Status::ok();
  }
  Status write(std::string_view decoded) override {
    if (failOnWrite) return *failOnWrite;
    BOOST_TEST(!decoded.empty());
    ++writes;
    largestWrite = std::max(largestWrite, decoded.size());
    bytes.append(decoded);
    return Status::ok();
  }
  Status endValue(const SpooledValue& value) override {
    ended.push_back(value);
    return Status::ok();
  }
};

struct Outcome {
  Status status;
  std::string output;
  std::string sinkBytes;
  std::vector<SpooledValue> spooled;
};

Outcome run(std::string_view body, size_t chunk, const SpoolOptions& options = {}) {
  RecordingSink sink;
  AttachmentSpool spool(sink, options);
  Outcome out;
  for (size_t at = 0; at < body.size() && out.status.isOk(); at += chunk) {
    out.status = spool.feed(body.substr(at, chunk));
  }
  if (out.status.isOk()) out.status = spool.finish();
  out.output = spool.output();
  out.sinkBytes = sink.bytes;
  out.spooled = spool.spooled();
  if (out.status.isOk()) {
    BOOST_TEST(spool.bytesFed() == body.size());
    BOOST_TEST(sink.started.size() == out.spooled.size());
    BOOST_TEST(sink.ended.size() == out.spooled.size());
  }
  return out;
}

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                       static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    for (int s : {18, 12, 6, 0}) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (bytes.size() - i == 1) {
    const uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (bytes.size() - i == 2) {
    const uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                       static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  return out;
}

// JSON-escapes '/' as "\/" (as some JSON writers do) and breaks lines every 76 characters with
// an escaped "\r\n" (MIME style).
std::string jsonStyled(const std::string& b64, bool escapeSlash, bool lineBreaks) {
  std::string out;
  for (size_t i = 0; i < b64.size(); ++i) {
    if (lineBreaks && i > 0 && i % 76 == 0) out += "\\r\\n";
    if (escapeSlash && b64[i] == '/') {
      out += "\\/";
    } else {
      out.push_back(b64[i]);
    }
  }
  return out;
}

std::string bytesOf(size_t n, uint32_t seed) {
  std::string out(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x & 0xFF);
  }
  return out;
}

// An ITI-105 DocumentReference whose attachment.data is `data` (raw JSON string content), with
// short strings holding escapes before and after it.
std::string documentReference(const std::string& data) {
  return R"({"resourceType":"DocumentReference","status":"current",)"
         R"("description":"Compte rendu \"urgent\" C:\\dossier\\ fin \\",)"
         R"("type":{"coding":[{"system":"http://loinc.org","code":"11488-4"}]},)"
         "\"content\":[{\"attachment\":{\"contentType\":\"application/pdf\",\n  \"data\" : \"" +
         data +
         R"(","title":"a\\\"b\/c","size":12}}],)"
         R"("subject":{"reference":"Patient/p1"},"note":["\\","\""]})";
}

std::string placeholderJson(size_t index) { return "\\u0000spool:" + std::to_string(index); }

SpoolOptions withThreshold(size_t threshold) {
  SpoolOptions o;
  o.threshold = threshold;
  return o;
}

void checkError(const Status& s, ErrorKind kind, const std::string& code) {
  BOOST_REQUIRE(!s.isOk());
  BOOST_TEST((s.error().kind == kind));
  BOOST_TEST(s.error().code() == code);
  BOOST_TEST(!s.error().problems.front().message.empty());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(attachment_spool)

BOOST_AUTO_TEST_CASE(every_chunk_size_gives_the_same_output_and_bytes) {
  const std::string document = bytesOf(100 << 10, 1);
  const std::string data = jsonStyled(base64(document), true, true);
  const std::string body = documentReference(data);
  const std::string expected = documentReference(placeholderJson(0));
  for (size_t chunk = 1; chunk <= 17; ++chunk) {
    BOOST_TEST_CONTEXT("chunk " << chunk) {
      Outcome o = run(body, chunk, withThreshold(1024));
      BOOST_REQUIRE(o.status.isOk());
      BOOST_TEST(o.output == expected);
      BOOST_TEST((o.sinkBytes == document));
      BOOST_REQUIRE_EQUAL(o.spooled.size(), 1u);
      BOOST_TEST(o.spooled[0].index == 0u);
      BOOST_TEST(o.spooled[0].encodedBytes == data.size());
      BOOST_TEST(o.spooled[0].decodedBytes == document.size());
    }
  }
}

BOOST_AUTO_TEST_CASE(large_attachment_in_several_chunkings) {
  const std::string document = bytesOf(3 << 20, 2);
  const std::string data = jsonStyled(base64(document), true, false);
  const std::string body = documentReference(data);
  const std::string expected = documentReference(placeholderJson(0));
  for (size_t chunk : {size_t{1000}, size_t{4096}, size_t{65535}, size_t{65536}, size_t{65537},
                       size_t{1} << 20, body.size()}) {
    BOOST_TEST_CONTEXT("chunk " << chunk) {
      RecordingSink sink;
      AttachmentSpool spool(sink);  // default options: 64 KiB threshold, member "data"
      for (size_t at = 0; at < body.size(); at += chunk) {
        BOOST_REQUIRE(spool.feed(std::string_view(body).substr(at, chunk)).isOk());
      }
      BOOST_REQUIRE(spool.finish().isOk());
      BOOST_TEST(spool.output() == expected);
      BOOST_TEST((sink.bytes == document));
      BOOST_TEST(sink.largestWrite <= size_t{128} << 10);  // bounded, whatever the chunk
      BOOST_TEST(sink.writes >= document.size() / (128 << 10));
      BOOST_REQUIRE_EQUAL(spool.spooled().size(), 1u);
      BOOST_TEST(spool.spooled()[0].encodedBytes == data.size());
      BOOST_TEST(spool.spooled()[0].decodedBytes == document.size());
    }
  }
}

BOOST_AUTO_TEST_CASE(output_parses_and_points_at_the_spooled_value) {
  const std::string document = bytesOf(70'000, 3);
  Outcome o = run(documentReference(base64(document)), 8192);
  BOOST_REQUIRE(o.status.isOk());
  auto parsed = mes::fhir::parseJson(o.output);
  BOOST_REQUIRE(parsed.isOk());
  const auto* data = parsed->find("content")->items()[0].find("attachment")->findString("data");
  BOOST_REQUIRE(data != nullptr);
  BOOST_TEST(*data == spoolPlaceholder(0));
  BOOST_TEST((spooledIndex(*data) == std::optional<size_t>(0)));
  BOOST_TEST(*parsed->findString("description") == "Compte rendu \"urgent\" C:\\dossier\\ fin \\");
  BOOST_TEST(o.sinkBytes == document);
}

BOOST_AUTO_TEST_CASE(threshold_is_on_raw_length_and_exclusive) {
  // Threshold 8: a value of 8 raw characters stays inline, 12 is spooled.
  const SpoolOptions o8 = withThreshold(8);
  for (size_t chunk : {size_t{1}, size_t{3}, size_t{100}}) {
    Outcome eight = run(R"({"data":"QUJDREVG"})", chunk, o8);
    BOOST_REQUIRE(eight.status.isOk());
    BOOST_TEST(eight.output == R"({"data":"QUJDREVG"})");
    BOOST_TEST(eight.spooled.empty());
    BOOST_TEST(eight.sinkBytes.empty());

    Outcome twelve = run(R"({"data":"QUJDREVGR0g="})", chunk, o8);
    BOOST_REQUIRE(twelve.status.isOk());
    BOOST_TEST(twelve.output == R"({"data":")" + placeholderJson(0) + "\"}");
    BOOST_TEST(twelve.sinkBytes == "ABCDEFGH");
    // Escapes count as written: 4 "\/" pairs make 8 raw bytes, not 4.
    Outcome escaped = run(R"({"data":"\/\/\/\/"})", chunk, o8);
    BOOST_REQUIRE(escaped.status.isOk());
    BOOST_TEST(escaped.spooled.empty());
    Outcome nine = run(R"({"data":"\/\/\/\/\/"})", chunk, o8);  // "/////": not 4-aligned
    checkError(nine.status, ErrorKind::kInvalid, "base64-invalid");
  }
}

BOOST_AUTO_TEST_CASE(short_strings_and_other_members_stay_inline) {
  std::string longText;
  while (longText.size() < 5000) longText += "Texte libre. ";
  const std::string body = R"({"resourceType":"DocumentReference","description":")" + longText +
                           R"(","text":{"div":")" + longText + R"("},"data":["QUJD"],)"
                           R"("content":[{"attachment":{"data":"QUJD","url":"a\"b"}}]})";
  for (size_t chunk : {size_t{1}, size_t{7}, body.size()}) {
    Outcome o = run(body, chunk, withThreshold(100));
    BOOST_REQUIRE(o.status.isOk());
    BOOST_TEST(o.output == body);
    BOOST_TEST(o.spooled.empty());
  }
  // With no member restriction every long value string is spooled (and must be base64).
  SpoolOptions any = withThreshold(100);
  any.member.clear();
  Outcome o = run(body, 13, any);
  checkError(o.status, ErrorKind::kInvalid, "base64-invalid");  // the '.' of "Texte libre."
  const std::string b64 = base64(std::string(300, 'z'));
  Outcome items = run(R"(["short",")" + b64 + R"("])", 5, any);
  BOOST_REQUIRE(items.status.isOk());
  BOOST_TEST(items.output == R"(["short",")" + placeholderJson(0) + "\"]");
  BOOST_TEST(items.sinkBytes == std::string(300, 'z'));
}

BOOST_AUTO_TEST_CASE(keys_are_never_spooled) {
  const std::string longKey = base64(std::string(3000, 'k'));
  const std::string body = "{\"" + longKey + "\":\"v\",\"data\":{\"" + longKey + "\":1},\"n\":[{\"" +
                           longKey + "\":\"" + longKey + "\"}]}";
  SpoolOptions any = withThreshold(64);
  any.member.clear();
  for (size_t chunk : {size_t{1}, size_t{9}, body.size()}) {
    Outcome o = run(body, chunk, any);
    BOOST_REQUIRE(o.status.isOk());
    // Only the value in the array's object is spooled.
    const std::string expected = "{\"" + longKey + "\":\"v\",\"data\":{\"" + longKey +
                                 "\":1},\"n\":[{\"" + longKey + "\":\"" + placeholderJson(0) +
                                 "\"}]}";
    BOOST_TEST(o.output == expected);
    BOOST_TEST(o.sinkBytes == std::string(3000, 'k'));
  }
  // A key named "data" whose value is an object: nothing to spool, the inner keys stay.
  Outcome nested = run(R"({"data":{")" + longKey + R"(":")" + longKey + R"("}})", 4,
                       withThreshold(64));
  BOOST_REQUIRE(nested.status.isOk());
  BOOST_TEST(nested.spooled.empty());
}

BOOST_AUTO_TEST_CASE(escapes_inside_the_base64_are_undone_before_decoding) {
  const std::string document = bytesOf(5000, 4);
  const std::string b64 = base64(document);
  std::string unicode;  // every character as \u00XX
  for (char c : b64) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\u00%02X", static_cast<unsigned>(c));
    unicode += buf;
  }
  for (const std::string& data :
       {jsonStyled(b64, true, false), jsonStyled(b64, true, true), jsonStyled(b64, false, true),
        unicode, "  " + b64 + "\\n\\t "}) {
    for (size_t chunk : {size_t{1}, size_t{2}, size_t{5}, size_t{6}, size_t{4096}}) {
      Outcome o = run(documentReference(data), chunk, withThreshold(512));
      BOOST_REQUIRE(o.status.isOk());
      BOOST_TEST(o.output == documentReference(placeholderJson(0)));
      BOOST_TEST((o.sinkBytes == document));
    }
  }
}

BOOST_AUTO_TEST_CASE(short_strings_with_escapes_around_it_are_copied_exactly) {
  const std::string b64 = base64(std::string(200, 'q'));
  const std::string body = R"({"a":"\\","b":"\"","c":"\\\"\\","d\"":"\u00e9\ud83d\ude00\/",)"
                           R"("data":")" + b64 + R"(","e":"\\\\","f":"x\"\\y"})";
  const std::string expected = R"({"a":"\\","b":"\"","c":"\\\"\\","d\"":"\u00e9\ud83d\ude00\/",)"
                               R"("data":")" + placeholderJson(0) +
                               R"(","e":"\\\\","f":"x\"\\y"})";
  for (size_t chunk = 1; chunk <= 17; ++chunk) {
    Outcome o = run(body, chunk, withThreshold(32));
    BOOST_REQUIRE(o.status.isOk());
    BOOST_TEST(o.output == expected);
    BOOST_TEST(o.sinkBytes == std::string(200, 'q'));
  }
}

BOOST_AUTO_TEST_CASE(the_placeholder_marker_is_refused_in_the_input) {
  for (const std::string& body :
       {std::string(R"({"data":"\u0000spool:0"})"), std::string(R"({"x\u0000":1})"),
        std::string(R"(["a\u0000"])"), std::string(R"({"data":"AAAA\u0000AAAA"})")}) {
    for (size_t chunk : {size_t{1}, size_t{3}, body.size()}) {
      Outcome o = run(body, chunk, withThreshold(4));
      checkError(o.status, ErrorKind::kInvalid, "json-reserved-character");
    }
  }
  // An escaped backslash followed by "u0000" is not the escape.
  Outcome text = run(R"({"note":"\\u0000"})", 2);
  BOOST_REQUIRE(text.status.isOk());
  BOOST_TEST(text.output == R"({"note":"\\u0000"})");
  // Other control escapes pass (the parser and the profiles judge them).
  BOOST_TEST(run(R"({"note":"\u0001"})", 1).status.isOk());
}

BOOST_AUTO_TEST_CASE(placeholder_helpers) {
  BOOST_TEST(spoolPlaceholder(0) == std::string("\0spool:0", 8));
  BOOST_TEST(spoolPlaceholder(12) == std::string("\0spool:12", 9));
  BOOST_TEST((spooledIndex(spoolPlaceholder(7)) == std::optional<size_t>(7)));
  BOOST_TEST((spooledIndex(spoolPlaceholder(123456)) == std::optional<size_t>(123456)));
  for (const std::string& notOne :
       {std::string("spool:0"), std::string("\0spool:", 7), std::string("\0spool:x", 8),
        std::string("\0spool:01", 9), std::string("\0spool:-1", 9), std::string("\0spool:1 ", 9),
        std::string("\0Spool:1", 8), std::string(), std::string("QUJD")}) {
    BOOST_TEST(!spooledIndex(notOne).has_value());
  }
}

BOOST_AUTO_TEST_CASE(more_large_values_than_allowed_are_refused) {
  const std::string b64 = base64(std::string(3000, 'a'));
  const std::string body = R"({"content":[{"attachment":{"data":")" + b64 +
                           R"("}},{"attachment":{"data":")" + b64 + R"("}}]})";
  for (size_t chunk : {size_t{1}, size_t{1000}, body.size()}) {
    Outcome o = run(body, chunk, withThreshold(1024));
    checkError(o.status, ErrorKind::kTooLarge, "too-many-large-values");
    BOOST_TEST(o.sinkBytes == std::string(3000, 'a'));  // the first one went through
  }
  SpoolOptions two = withThreshold(1024);
  two.maxSpooledValues = 2;
  RecordingSink sink;
  AttachmentSpool spool(sink, two);
  BOOST_REQUIRE(spool.feed(body).isOk());
  BOOST_REQUIRE(spool.finish().isOk());
  BOOST_TEST(spool.output() == R"({"content":[{"attachment":{"data":")" + placeholderJson(0) +
                                   R"("}},{"attachment":{"data":")" + placeholderJson(1) +
                                   R"("}}]})");
  BOOST_TEST(sink.started == (std::vector<size_t>{0, 1}), boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(sink.ended.size(), 2u);
  BOOST_TEST(sink.ended[1].index == 1u);
  BOOST_TEST(sink.ended[1].decodedBytes == 3000u);
  BOOST_TEST(sink.bytes == std::string(6000, 'a'));
}

BOOST_AUTO_TEST_CASE(invalid_base64_is_refused) {
  const std::string good = base64(std::string(99, 'b'));     // 132 characters, no padding
  const std::string padded = base64(std::string(100, 'b'));  // ends with "=="
  for (const std::string& data :
       {good.substr(0, 60) + "*" + good.substr(61),          // not in the alphabet
        good.substr(0, 60) + "-_" + good.substr(62),         // base64url alphabet
        good.substr(0, 60) + "=" + good.substr(61),          // padding in the middle
        good.substr(0, 131),                                 // not a multiple of 4
        padded.substr(0, padded.size() - 1),                 // half the padding
        padded + "=",                                        // too much padding
        padded + "QUJD",                                     // data after padding
        good.substr(0, 128) + "QR==",                        // unused bits set
        good.substr(0, 128) + "QUI=" + std::string(1, 'A'),  // data after padding
        good.substr(0, 60) + "\\u00e9" + good.substr(60),    // non-ASCII
        good.substr(0, 60) + "\\\"" + good.substr(60),       // an escaped quote
        good.substr(0, 60) + "\\b" + good.substr(60),        // an escaped backspace
        good.substr(0, 60) + "\xc3\xa9" + good.substr(60)}) {  // raw UTF-8
    for (size_t chunk : {size_t{1}, size_t{7}, size_t{4096}}) {
      BOOST_TEST_CONTEXT("data " << data << ", chunk " << chunk) {
        Outcome o = run(R"({"data":")" + data + R"("})", chunk, withThreshold(16));
        checkError(o.status, ErrorKind::kInvalid, "base64-invalid");
      }
    }
  }
  // The same values, short, pass through untouched: the profile's base64Binary check judges them.
  Outcome shortOne = run(R"({"data":"QR=="})", 1, withThreshold(16));
  BOOST_TEST(shortOne.status.isOk());
}

BOOST_AUTO_TEST_CASE(broken_json_the_lexer_sees) {
  const std::string b64 = base64(std::string(100, 'c'));
  struct Case {
    std::string body;
    std::string code;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"data":")" + b64, "json-malformed"},              // ends in a long value
           {R"({"data":")" + b64.substr(0, 10), "json-malformed"},  // ends in a short value
           {R"({"data":")" + b64 + "\\", "json-malformed"},        // ends in an escape
           {R"({"data":")" + b64 + "\\u00", "json-malformed"},
           {R"({"da)", "json-malformed"},                          // ends in a key
           {R"({"a":"x\qy"})", "json-malformed"},                 // unknown escape
           {R"({"a":"\u12G4"})", "json-malformed"},               // bad hex digit
           {"{\"a\":\"x\ny\"}", "json-malformed"},                // raw control character
           {"{\"data\":\"" + b64.substr(0, 50) + "\t" + b64.substr(50) + "\"}", "json-malformed"},
       }) {
    for (size_t chunk : {size_t{1}, size_t{2}, size_t{1000}}) {
      BOOST_TEST_CONTEXT("body " << c.body << ", chunk " << chunk) {
        Outcome o = run(c.body, chunk, withThreshold(16));
        checkError(o.status, ErrorKind::kInvalid, c.code);
      }
    }
  }
  // What only the parser checks passes through as is.
  Outcome loose = run(R"({"a" 1 2 ]] , : tru})", 3);
  BOOST_REQUIRE(loose.status.isOk());
  BOOST_TEST(loose.output == R"({"a" 1 2 ]] , : tru})");
}

BOOST_AUTO_TEST_CASE(the_rest_of_the_body_is_bounded) {
  SpoolOptions small = withThreshold(64);
  small.maxOutputBytes = 100;
  const std::string b64 = base64(std::string(10'000, 'd'));
  // 10,000 bytes spooled, ~60 bytes of JSON left: fine.
  Outcome fine = run(R"({"resourceType":"DocumentReference","data":")" + b64 + R"("})", 100, small);
  BOOST_REQUIRE(fine.status.isOk());
  BOOST_TEST(fine.output.size() <= 100u);
  // 101 bytes of JSON without any long value: refused, whatever the chunking.
  auto body = [](size_t n) {
    return R"({"a":")" + std::string(60, 'x') + R"(","b":")" + std::string(n, 'y') + R"("})";
  };
  BOOST_REQUIRE_EQUAL(body(26).size(), 101u);
  for (size_t chunk : {size_t{1}, size_t{50}, size_t{101}}) {
    checkError(run(body(26), chunk, small).status, ErrorKind::kTooLarge, "body-too-large");
  }
  BOOST_TEST(run(body(25), 1, small).status.isOk());  // 100 bytes
  // Nesting.
  SpoolOptions shallow;
  shallow.maxDepth = 3;
  BOOST_TEST(run("[[{\"a\":1}]]", 1, shallow).status.isOk());
  checkError(run("[[[{\"a\":1}]]]", 1, shallow).status, ErrorKind::kInvalid, "json-too-deep");
  checkError(run(std::string(100'000, '['), 4096).status, ErrorKind::kInvalid, "json-too-deep");
}

BOOST_AUTO_TEST_CASE(sink_errors_are_returned_and_stick) {
  RecordingSink sink;
  sink.failOnWrite = Error::make(ErrorKind::kTooLarge, "blob-too-large", "too big");
  AttachmentSpool spool(sink, withThreshold(16));
  const std::string body = R"({"data":")" + base64(std::string(100, 'e')) + R"("})";
  Status s = spool.feed(body);
  checkError(s, ErrorKind::kTooLarge, "blob-too-large");
  checkError(spool.feed("{}"), ErrorKind::kTooLarge, "blob-too-large");
  checkError(spool.finish(), ErrorKind::kTooLarge, "blob-too-large");
}

BOOST_AUTO_TEST_CASE(errors_do_not_depend_on_chunking) {
  const std::string b64 = base64(bytesOf(3000, 5));
  for (const std::string& body :
       {R"({"data":")" + b64.substr(0, 1000) + "!" + b64.substr(1001) + R"("})",
        R"({"data":")" + b64 + R"(","x":"\u0000"})", R"({"data":")" + b64 + R"(","x":"\x"})"}) {
    Outcome whole = run(body, body.size(), withThreshold(100));
    BOOST_REQUIRE(!whole.status.isOk());
    for (size_t chunk : {size_t{1}, size_t{3}, size_t{64}, size_t{999}}) {
      Outcome split = run(body, chunk, withThreshold(100));
      BOOST_REQUIRE(!split.status.isOk());
      BOOST_TEST(split.status.error().code() == whole.status.error().code());
      BOOST_TEST(split.status.error().problems.front().message ==
                 whole.status.error().problems.front().message);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
