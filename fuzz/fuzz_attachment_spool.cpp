// libFuzzer target: AttachmentSpool (fhir/json/attachment_spool.h), fed raw bytes as an HTTP
// body would bring them, whole and in chunks.
//
// The first input byte picks the options (threshold 1..32 raw bytes, member "data" or any
// value, one or two spooled values, output limit 4 KiB or 64 KiB); the rest is the body.
// Checked on every input:
//  - fed in one chunk and in pseudo-random chunks (split points drawn from the input's hash,
//    empty chunks included) the spool gives the same status (code and message), the same
//    output, the same SpooledValue list and the same bytes for each spooled value;
//  - a refusal uses one of the documented codes, with a message;
//  - with a threshold no value reaches, an accepted body comes out byte for byte unchanged;
//  - an accepted body's output is at most maxOutputBytes, SpooledValue.decodedBytes matches what
//    the sink got, and the output parses exactly when the input parses; when it does, the
//    placeholders are string values (never keys), one for each spooled value, in order.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/json/attachment_spool.h"
#include "fhir/json/json.h"
#include "fuzz/fuzz_check.h"

namespace {

using mes::ErrorKind;
using mes::Status;
using mes::fhir::AttachmentSpool;
using mes::fhir::SpooledValue;
using mes::fhir::SpoolOptions;
using mes::fhir::Value;
using mes::fuzz::describe;
using mes::fuzz::printable;

struct CollectingSink final : mes::fhir::SpoolSink {
  std::vector<std::string> values;
  bool open = false;
  Status startValue(size_t index) override {
    MES_FUZZ_CHECK(!open && index == values.size(), "startValue(" + std::to_string(index) + ")");
    values.emplace_back();
    open = true;
    return Status::ok();
  }
  Status write(std::string_view bytes) override {
    MES_FUZZ_CHECK(open && !bytes.empty(), "write outside a value or empty");
    values.back().append(bytes);
    return Status::ok();
  }
  Status endValue(const SpooledValue& value) override {
    MES_FUZZ_CHECK(open && value.index + 1 == values.size() &&
                       value.decodedBytes == values.back().size(),
                   "endValue " + std::to_string(value.index));
    open = false;
    return Status::ok();
  }
};

struct Run {
  Status status;
  std::string output;
  std::vector<SpooledValue> spooled;
  std::vector<std::string> values;
};

// Feeds `body` cut at `cuts` (ascending offsets, may repeat: empty chunks).
Run feed(std::string_view body, const std::vector<size_t>& cuts, const SpoolOptions& options) {
  CollectingSink sink;
  AttachmentSpool spool(sink, options);
  Run r;
  size_t from = 0;
  for (size_t cut : cuts) {
    if (r.status.isOk()) r.status = spool.feed(body.substr(from, cut - from));
    from = cut;
  }
  if (r.status.isOk()) r.status = spool.feed(body.substr(from));
  if (r.status.isOk()) r.status = spool.finish();
  r.output = spool.output();
  r.spooled = spool.spooled();
  r.values = sink.values;
  return r;
}

std::string statusText(const Status& s) {
  return s.isOk() ? std::string("ok") : describe(s.error());
}

void checkRefusal(const mes::Error& e) {
  const std::string& code = e.code();
  const bool known =
      (e.kind == ErrorKind::kInvalid &&
       (code == "json-malformed" || code == "json-reserved-character" ||
        code == "json-too-deep" || code == "base64-invalid")) ||
      (e.kind == ErrorKind::kTooLarge &&
       (code == "too-many-large-values" || code == "body-too-large"));
  MES_FUZZ_CHECK(known, describe(e));
  MES_FUZZ_CHECK(e.problems.size() == 1 && !e.problems.front().message.empty(), describe(e));
}

void sameRun(const Run& a, const Run& b, std::string_view body) {
  const std::string where = "body " + printable(body);
  MES_FUZZ_CHECK(a.status.isOk() == b.status.isOk(),
                 where + ": " + statusText(a.status) + " vs " + statusText(b.status));
  if (!a.status.isOk()) {
    MES_FUZZ_CHECK(a.status.error().code() == b.status.error().code() &&
                       a.status.error().problems.front().message ==
                           b.status.error().problems.front().message,
                   where + ": " + statusText(a.status) + " vs " + statusText(b.status));
    return;  // output and sink stop at the error, whose timing may depend on chunking
  }
  MES_FUZZ_CHECK(a.output == b.output,
                 where + ": output " + printable(a.output) + " vs " + printable(b.output));
  MES_FUZZ_CHECK(a.values == b.values, where + ": different sink bytes");
  MES_FUZZ_CHECK(a.spooled.size() == b.spooled.size(), where);
  for (size_t i = 0; i < a.spooled.size(); ++i) {
    MES_FUZZ_CHECK(a.spooled[i].index == i && b.spooled[i].index == i &&
                       a.spooled[i].encodedBytes == b.spooled[i].encodedBytes &&
                       a.spooled[i].decodedBytes == b.spooled[i].decodedBytes,
                   where + ": spooled value " + std::to_string(i));
  }
}

// Placeholders in `v`: their indexes in document order, and whether one is a key.
void placeholders(const Value& v, std::vector<size_t>& found, bool& inKey) {
  if (v.isString()) {
    if (auto i = mes::fhir::spooledIndex(v.text())) found.push_back(*i);
  } else if (v.isArray()) {
    for (const Value& item : v.items()) placeholders(item, found, inKey);
  } else if (v.isObject()) {
    for (const auto& [key, value] : v.members()) {
      if (key.find('\0') != std::string::npos) inKey = true;
      placeholders(value, found, inKey);
    }
  }
}

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t config = data[0];
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);

  SpoolOptions options;
  options.threshold = 1 + (config & 31);
  if (config & 32) options.member.clear();
  options.maxSpooledValues = 1 + ((config >> 6) & 1);
  options.maxOutputBytes = (config & 128) ? 4096 : 65536;

  const Run whole = feed(body, {}, options);
  if (!whole.status.isOk()) checkRefusal(whole.status.error());

  // Pseudo-random cuts, the same for the same input.
  uint64_t x = fnv1a(body) | 1;
  for (int round = 0; round < 3; ++round) {
    std::vector<size_t> cuts;
    size_t at = 0;
    while (true) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      // Mostly short chunks, sometimes empty, sometimes long.
      const size_t step = (x % 8 == 0) ? 0 : (x % 8 == 1) ? static_cast<size_t>(x >> 40) % 200
                                                            : 1 + static_cast<size_t>(x >> 32) % 9;
      at += step;
      if (at >= body.size()) break;
      cuts.push_back(at);
    }
    sameRun(whole, feed(body, cuts, options), body);
  }
  // Byte by byte.
  {
    std::vector<size_t> cuts;
    for (size_t i = 1; i < body.size(); ++i) cuts.push_back(i);
    sameRun(whole, feed(body, cuts, options), body);
  }

  // Nothing long enough to spool: the text passes unchanged.
  {
    SpoolOptions never = options;
    never.threshold = body.size();
    never.maxOutputBytes = body.size() + 1;
    const Run plain = feed(body, {}, never);
    if (plain.status.isOk()) {
      MES_FUZZ_CHECK(plain.output == body && plain.spooled.empty(),
                     "unspooled output " + printable(plain.output) + " of " + printable(body));
    } else {
      checkRefusal(plain.status.error());
      MES_FUZZ_CHECK(plain.status.error().code() != "base64-invalid" &&
                         plain.status.error().code() != "too-many-large-values" &&
                         plain.status.error().code() != "body-too-large",
                     describe(plain.status.error()));
    }
  }

  if (!whole.status.isOk()) return 0;
  MES_FUZZ_CHECK(whole.output.size() <= options.maxOutputBytes, "output over the limit");
  MES_FUZZ_CHECK(whole.values.size() == whole.spooled.size(), "sink values vs spooled()");
  for (size_t i = 0; i < whole.spooled.size(); ++i) {
    MES_FUZZ_CHECK(whole.spooled[i].decodedBytes == whole.values[i].size(),
                   "decodedBytes of value " + std::to_string(i));
    MES_FUZZ_CHECK(whole.spooled[i].encodedBytes > options.threshold,
                   "spooled a value of " + std::to_string(whole.spooled[i].encodedBytes) +
                       " bytes");
  }

  auto in = mes::fhir::parseJson(body);
  auto out = mes::fhir::parseJson(whole.output);
  MES_FUZZ_CHECK(in.isOk() == out.isOk(),
                 "input " + printable(body) + " parses: " + (in ? "yes" : "no") + ", output " +
                     printable(whole.output) + " parses: " + (out ? "yes" : "no"));
  if (out) {
    std::vector<size_t> found;
    bool inKey = false;
    placeholders(*out, found, inKey);
    MES_FUZZ_CHECK(!inKey, "a placeholder key in " + printable(whole.output));
    MES_FUZZ_CHECK(found.size() == whole.spooled.size(),
                   std::to_string(found.size()) + " placeholders for " +
                       std::to_string(whole.spooled.size()) + " spooled values");
    for (size_t i = 0; i < found.size(); ++i) {
      MES_FUZZ_CHECK(found[i] == i, "placeholder order in " + printable(whole.output));
    }
  }
  return 0;
}
