#include "gateway/registry/service_draft.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "fhir/json/json.h"
#include "gateway/registry/identifiers.h"
#include "gateway/registry/problems.h"
#include "oauth/api_access.h"
#include "oauth/crypto/keys.h"

namespace mes::gateway::registry {
namespace {

constexpr std::array kCategories = {
    ServiceCategory{"measures", "Mesures et objets connectés"},
    ServiceCategory{"chronic-disease", "Suivi d’une maladie chronique"},
    ServiceCategory{"prevention", "Prévention et bien-être"},
    ServiceCategory{"mental-health", "Santé mentale"},
    ServiceCategory{"pregnancy", "Grossesse et parentalité"},
    ServiceCategory{"medication", "Traitements et médicaments"},
    ServiceCategory{"appointments", "Prise de rendez-vous"},
    ServiceCategory{"documents", "Documents de santé"},
    ServiceCategory{"other", "Autre"},
};

constexpr size_t kMaxRedirectUris = 10;
constexpr size_t kMaxUriBytes = 2048;
constexpr size_t kMaxJwksBytes = 32 * 1024;

bool hasControl(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// Counts UTF-8 characters (not bytes) for length limits people understand.
size_t characters(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// Whether items[i] already appears before index i.
bool seenBefore(const std::vector<std::string>& items, size_t i) {
  const auto end = items.begin() + static_cast<std::ptrdiff_t>(i);
  return std::find(items.begin(), end, items[i]) != end;
}

bool isSchemeChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.';
}

// The host of "scheme://host[:port]/..." (brackets kept for IPv6), or "" when there is none.
std::string_view hostOf(std::string_view afterScheme) {
  if (afterScheme.substr(0, 2) != "//") return {};
  std::string_view rest = afterScheme.substr(2);
  const size_t end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, end);
  if (authority.find('@') != std::string_view::npos) return {};  // no userinfo
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    return close == std::string_view::npos ? std::string_view() : authority.substr(0, close + 1);
  }
  return authority.substr(0, authority.find(':'));
}

// An https URL with a host: what website and jwks_uri must be.
bool httpsUrl(std::string_view url) {
  if (url.size() > kMaxUriBytes || url.rfind("https:", 0) != 0) return false;
  if (std::any_of(url.begin(), url.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
    return false;
  }
  return !hostOf(url.substr(6)).empty();
}

}  // namespace

std::span<const ServiceCategory> serviceCategories() {
  return kCategories;
}

const ServiceCategory* findCategory(std::string_view id) {
  for (const ServiceCategory& c : kCategories) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

std::string redirectUriProblem(std::string_view uri) {
  if (uri.empty()) return "is empty";
  if (uri.size() > kMaxUriBytes) return "is longer than 2048 bytes";
  if (std::any_of(uri.begin(), uri.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
    return "holds spaces or control characters";
  }
  if (uri.find('#') != std::string_view::npos) return "has a fragment (#), which RFC 6749 forbids";
  if (uri.find('*') != std::string_view::npos) return "holds a wildcard; register exact URIs";
  const size_t colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0 ||
      !std::all_of(uri.begin(), uri.begin() + static_cast<std::ptrdiff_t>(colon), isSchemeChar) ||
      std::isalpha(static_cast<unsigned char>(uri.front())) == 0) {
    return "is not an absolute URI (scheme:...)";
  }
  std::string scheme(uri.substr(0, colon));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  const std::string_view rest = uri.substr(colon + 1);
  if (scheme == "https") {
    return hostOf(rest).empty() ? "has no host" : "";
  }
  if (scheme == "http") {
    const std::string_view host = hostOf(rest);
    if (host == "127.0.0.1" || host == "[::1]" || host == "localhost") return "";
    return "uses http on a host other than the loopback; use https";
  }
  if (scheme.find('.') == std::string::npos) {
    return "uses a custom scheme that is not in reverse-DNS form (com.example.app:/callback)";
  }
  if (rest.empty()) return "has nothing after its scheme";
  return "";
}

Status checkServiceDraft(const ServiceDraft& draft) {
  ProblemList problems(ErrorKind::kUnprocessable);
  auto invalid = [&](std::string at, std::string message) {
    problems.add("service-invalid", std::move(message), std::move(at));
  };
  const size_t nameLength = characters(draft.name);
  if (draft.name.empty()) {
    invalid("name", "The service needs a name.");
  } else if (nameLength < 2 || nameLength > 80 || hasControl(draft.name)) {
    invalid("name", "The name must be 2 to 80 characters, without control characters.");
  }
  if (!draft.description.empty()) {
    const size_t length = characters(draft.description);
    if (length < 20 || length > 2000) {
      invalid("description", "The description must be 20 to 2000 characters.");
    }
  }
  if (!draft.category.empty() && findCategory(draft.category) == nullptr) {
    std::string list;
    for (const auto& c : kCategories) list += (list.empty() ? "" : ", ") + std::string(c.id);
    invalid("category", "The category must be one of " + list + ".");
  }
  if (!draft.website.empty() && !httpsUrl(draft.website)) {
    invalid("website", "The website must be an https URL.");
  }
  if (!draft.contact.empty() && !emailLike(draft.contact)) {
    invalid("contact", "The contact must be an e-mail address.");
  }
  if (draft.clientType != "public" && draft.clientType != "confidential-asymmetric") {
    invalid("client_type", "The client type must be public or confidential-asymmetric.");
  }
  if (draft.redirectUris.empty()) {
    invalid("redirect_uris", "The service needs at least one redirect URI.");
  } else if (draft.redirectUris.size() > kMaxRedirectUris) {
    invalid("redirect_uris", "A service registers at most 10 redirect URIs.");
  }
  for (size_t i = 0; i < draft.redirectUris.size() && i < kMaxRedirectUris; ++i) {
    const std::string& uri = draft.redirectUris[i];
    const std::string at = "redirect_uris[" + std::to_string(i) + "]";
    if (std::string why = redirectUriProblem(uri); !why.empty()) {
      invalid(at, "The redirect URI " + why + ".");
    } else if (seenBefore(draft.redirectUris, i)) {
      invalid(at, "The redirect URI is listed twice.");
    }
  }
  if (!draft.jwks.empty()) {
    if (draft.clientType == "public") {
      invalid("jwks", "A public client authenticates with PKCE only and registers no keys.");
    } else if (draft.jwks.size() > kMaxJwksBytes) {
      invalid("jwks", "The JWK Set is larger than 32 KiB.");
    } else {
      auto set = fhir::parseJson(draft.jwks);
      const fhir::Value* keys = set ? set->find("keys") : nullptr;
      if (keys == nullptr || !keys->isArray() || keys->items().empty()) {
        invalid("jwks", "The JWK Set must be {\"keys\": [...]} with at least one key.");
      } else {
        for (size_t i = 0; i < keys->items().size(); ++i) {
          // fromJwk also refuses private members: only public keys are registered.
          if (auto key = oauth::PublicKey::fromJwk(keys->items()[i]); !key) {
            invalid("jwks.keys[" + std::to_string(i) + "]",
                    "The key is not accepted: " + key.error().problems.front().message);
          }
        }
      }
    }
  }
  if (!draft.jwksUri.empty() && !httpsUrl(draft.jwksUri)) {
    invalid("jwks_uri", "The JWK Set URI must be an https URL.");
  }
  for (size_t i = 0; i < draft.requestedAccesses.size(); ++i) {
    const std::string& id = draft.requestedAccesses[i];
    const std::string at = "requested_accesses[" + std::to_string(i) + "]";
    if (oauth::findApiAccess(id) == nullptr) {
      std::string list;
      for (const auto& a : oauth::mesApiAccesses())
        list += (list.empty() ? "" : ", ") + std::string(a.id);
      invalid(at, "Unknown access \"" + id + "\"; the MES accesses are " + list + ".");
    } else if (seenBefore(draft.requestedAccesses, i)) {
      invalid(at, "The access \"" + id + "\" is listed twice.");
    }
  }
  return problems.status();
}

Status checkSubmittable(const ServiceDraft& draft) {
  ProblemList problems(ErrorKind::kUnprocessable);
  auto missing = [&](std::string at, std::string message) {
    problems.add("draft-incomplete", std::move(message), std::move(at));
  };
  if (draft.description.empty()) missing("description", "A description is needed to submit.");
  if (draft.category.empty()) missing("category", "A category is needed to submit.");
  if (draft.website.empty()) missing("website", "The service's website is needed to submit.");
  if (draft.contact.empty()) missing("contact", "A contact e-mail is needed to submit.");
  if (draft.requestedAccesses.empty()) {
    missing("requested_accesses", "Ask for at least one MES access to submit.");
  }
  if (draft.clientType == "confidential-asymmetric" && draft.jwks.empty()) {
    missing("jwks",
            "A confidential client must register its JWK Set (public keys): this "
            "gateway does not fetch jwks_uri.");
  }
  return problems.status();
}

}  // namespace mes::gateway::registry
