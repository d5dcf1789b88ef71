// libFuzzer target: the strict base64 codecs of oauth/crypto/encoding.h (base64UrlDecode,
// base64Decode, base64DecodeUnpadded), and the PKCE checks built on them (oauth/pkce.h:
// checkChallenge, verifyPkceS256, isValidPkceVerifier), fed raw bytes as a token part, a PHC
// field or an OAuth parameter would bring them.
//
// Checked on every input, for each of the three decoders:
//  - a refusal is kInvalid "base64-invalid" with one Problem and a message;
//  - an accepted text re-encodes to exactly itself (the decoders accept only the canonical
//    encoding), and decodes to 3/4 of its unpadded length;
//  - the input taken as bytes encodes to a text the decoder gives back as those bytes;
// and for PKCE:
//  - checkChallenge(input, "S256") accepts exactly the 43-character base64url texts of 32
//    bytes; a valid challenge with the input as method is accepted only for "S256";
//  - isValidPkceVerifier agrees with RFC 7636 §4.1 written out here; verifyPkceS256(input,
//    challengeFor(input)) succeeds exactly for valid verifiers, and against the fixed RFC 7636
//    Appendix B challenge only for its own verifier; other refusals use the documented codes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "oauth/crypto/encoding.h"
#include "oauth/pkce.h"

namespace {

using mes::ErrorKind;
using mes::Result;
using mes::Status;
using mes::fuzz::describe;
using mes::fuzz::printable;

// RFC 7636 Appendix B.
constexpr std::string_view kRfcVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr std::string_view kRfcChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

void checkRefusal(const mes::Error& error, const char* decoder) {
  MES_FUZZ_CHECK(error.kind == ErrorKind::kInvalid && error.code() == "base64-invalid",
                 std::string(decoder) + ": " + describe(error));
  MES_FUZZ_CHECK(error.problems.size() == 1 && !error.problems.front().message.empty(),
                 std::string(decoder) + ": " + describe(error));
}

using Decoder = Result<std::string> (*)(std::string_view);
using Encoder = std::string (*)(std::string_view);

void checkCodec(std::string_view input, const char* name, Decoder decode, Encoder encode,
                bool padded) {
  Result<std::string> decoded = decode(input);
  if (!decoded) {
    checkRefusal(decoded.error(), name);
  } else {
    const std::string again = encode(*decoded);
    MES_FUZZ_CHECK(again == input, std::string(name) + " accepted " + printable(input) +
                                       ", a non-canonical text: its bytes encode to " +
                                       printable(again));
    size_t unpadded = input.size();
    while (padded && unpadded > 0 && input[unpadded - 1] == '=') --unpadded;
    MES_FUZZ_CHECK(decoded->size() == unpadded * 3 / 4,
                   std::string(name) + ": " + std::to_string(input.size()) + " characters gave " +
                       std::to_string(decoded->size()) + " bytes");
  }

  // The other direction: any bytes survive encode then decode.
  const std::string encoded = encode(input);
  Result<std::string> back = decode(encoded);
  MES_FUZZ_CHECK(back.isOk(), std::string(name) + " refuses the encoding " + printable(encoded) +
                                  " of " + printable(input) +
                                  (back ? std::string() : "\n" + describe(back.error())));
  MES_FUZZ_CHECK(*back == input,
                 std::string(name) + "(encode(" + printable(input) + ")) = " + printable(*back));
}

bool isUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool rfcVerifier(std::string_view v) {
  if (v.size() < 43 || v.size() > 128) return false;
  for (char c : v) {
    if (!isUnreserved(c)) return false;
  }
  return true;
}

void checkCode(const Status& s, std::string_view expected, const std::string& what) {
  MES_FUZZ_CHECK(!s.isOk(), what + ": accepted");
  MES_FUZZ_CHECK(s.error().kind == ErrorKind::kInvalid && s.error().code() == expected,
                 what + ": expected " + std::string(expected) + ", got " + describe(s.error()));
}

void checkPkce(std::string_view input) {
  // The input as a code_challenge.
  {
    Result<std::string> digest = mes::oauth::base64UrlDecode(input);
    const bool valid = input.size() == 43 && digest && digest->size() == 32;
    Status s = mes::oauth::checkChallenge(input, "S256");
    if (valid) {
      MES_FUZZ_CHECK(s.isOk(),
                     "checkChallenge refuses " + printable(input) + "\n" + describe(s.error()));
    } else {
      checkCode(s, "pkce-challenge-invalid", "checkChallenge(" + printable(input) + ", S256)");
    }
  }
  // The input as a code_challenge_method.
  {
    Status s = mes::oauth::checkChallenge(kRfcChallenge, input);
    if (input == "S256") {
      MES_FUZZ_CHECK(s.isOk(), "checkChallenge refuses method S256\n" + describe(s.error()));
    } else {
      checkCode(s, "pkce-method-unsupported", "method " + printable(input));
    }
  }
  // The input as a code_verifier.
  const bool valid = rfcVerifier(input);
  MES_FUZZ_CHECK(mes::oauth::isValidPkceVerifier(input) == valid,
                 "isValidPkceVerifier(" + printable(input) + ") is " + (valid ? "false" : "true") +
                     ", RFC 7636 says otherwise");
  {
    const std::string own = mes::oauth::challengeFor(input);
    MES_FUZZ_CHECK(
        own.size() == 43 && mes::oauth::checkChallenge(own, "S256").isOk(),
        "challengeFor(" + printable(input) + ") = " + printable(own) + " is not a valid challenge");
    Status s = mes::oauth::verifyPkceS256(input, own);
    if (valid) {
      MES_FUZZ_CHECK(s.isOk(), "verifier " + printable(input) + " refused against its own " +
                                   "challenge\n" + describe(s.error()));
    } else {
      checkCode(s, "pkce-verifier-invalid", "verifier " + printable(input));
    }
  }
  {
    Status s = mes::oauth::verifyPkceS256(input, kRfcChallenge);
    if (input == kRfcVerifier) {
      MES_FUZZ_CHECK(s.isOk(), "RFC 7636 Appendix B verifier refused\n" + describe(s.error()));
    } else {
      checkCode(s, valid ? "pkce-mismatch" : "pkce-verifier-invalid",
                "verifier " + printable(input) + " against the RFC 7636 challenge");
    }
  }
  // The input as a challenge for the RFC verifier: only the exact RFC challenge matches.
  {
    Status s = mes::oauth::verifyPkceS256(kRfcVerifier, input);
    if (input == kRfcChallenge) {
      MES_FUZZ_CHECK(s.isOk(), "RFC 7636 Appendix B challenge refused\n" + describe(s.error()));
    } else {
      checkCode(s, "pkce-mismatch", "challenge " + printable(input) + " for the RFC verifier");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  checkCodec(input, "base64UrlDecode", mes::oauth::base64UrlDecode, mes::oauth::base64UrlEncode,
             false);
  checkCodec(input, "base64Decode", mes::oauth::base64Decode, mes::oauth::base64Encode, true);
  checkCodec(input, "base64DecodeUnpadded", mes::oauth::base64DecodeUnpadded,
             mes::oauth::base64EncodeUnpadded, false);
  checkPkce(input);
  return 0;
}
