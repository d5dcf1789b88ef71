#include "gateway/registry/service_draft.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "fhir/json/json.h"
#include "gateway/registry/identifiers.h"
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

class Collector {
 public:
  Collector(ErrorKind kind, std::string code) : kind_(kind), code_(std::move(code)) {}
  void add(std::string expression, std::string message) {
    Problem p;
    p.code = code_;
    p.message = std::move(message);
    p.expression = std::move(expression);
    error_.problems.push_back(std::move(p));
  }
  Status status() {
    if (error_.problems.empty()) return Status::ok();
    error_.kind = kind_;
    return error_;
  }

 private:
  ErrorKind kind_;
  std::string code_;
  Error error_;
};

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
  Collector problems(ErrorKind::kUnprocessable, "service-invalid");
  const size_t nameLength = characters(draft.name);
  if (draft.name.empty()) {
    problems.add("name", "The service needs a name.");
  } else if (nameLength < 2 || nameLength > 80 || hasControl(draft.name)) {
    problems.add("name", "The name must be 2 to 80 characters, without control characters.");
  }
  if (!draft.description.empty()) {
    const size_t length = characters(draft.description);
    if (length < 20 || length > 2000) {
      problems.add("description", "The description must be 20 to 2000 characters.");
    }
  }
  if (!draft.category.empty() && findCategory(draft.category) == nullptr) {
    std::string list;
    for (const auto& c : kCategories) list += (list.empty() ? "" : ", ") + std::string(c.id);
    problems.add("category", "The category must be one of " + list + ".");
  }
  if (!draft.website.empty() && !httpsUrl(draft.website)) {
    problems.add("website", "The website must be an https URL.");
  }
  if (!draft.contact.empty() && !emailLike(draft.contact)) {
    problems.add("contact", "The contact must be an e-mail address.");
  }
  if (draft.clientType != "public" && draft.clientType != "confidential-asymmetric") {
    problems.add("client_type", "The client type must be public or confidential-asymmetric.");
  }
  if (draft.redirectUris.empty()) {
    problems.add("redirect_uris", "The service needs at least one redirect URI.");
  } else if (draft.redirectUris.size() > kMaxRedirectUris) {
    problems.add("redirect_uris", "A service registers at most 10 redirect URIs.");
  }
  for (size_t i = 0; i < draft.redirectUris.size() && i < kMaxRedirectUris; ++i) {
    const std::string& uri = draft.redirectUris[i];
    const std::string at = "redirect_uris[" + std::to_string(i) + "]";
    if (std::string why = redirectUriProblem(uri); !why.empty()) {
      problems.add(at, "The redirect URI " + why + ".");
    } else if (seenBefore(draft.redirectUris, i)) {
      problems.add(at, "The redirect URI is listed twice.");
    }
  }
  if (!draft.jwks.empty()) {
    if (draft.clientType == "public") {
      problems.add("jwks", "A public client authenticates with PKCE only and registers no keys.");
    } else if (draft.jwks.size() > kMaxJwksBytes) {
      problems.add("jwks", "The JWK Set is larger than 32 KiB.");
    } else {
      auto set = fhir::parseJson(draft.jwks);
      const fhir::Value* keys = set ? set->find("keys") : nullptr;
      if (keys == nullptr || !keys->isArray() || keys->items().empty()) {
        problems.add("jwks", "The JWK Set must be {\"keys\": [...]} with at least one key.");
      } else {
        for (size_t i = 0; i < keys->items().size(); ++i) {
          // fromJwk also refuses private members: only public keys are registered.
          if (auto key = oauth::PublicKey::fromJwk(keys->items()[i]); !key) {
            problems.add("jwks.keys[" + std::to_string(i) + "]",
                         "The key is not accepted: " + key.error().problems.front().message);
          }
        }
      }
    }
  }
  if (!draft.jwksUri.empty() && !httpsUrl(draft.jwksUri)) {
    problems.add("jwks_uri", "The JWK Set URI must be an https URL.");
  }
  for (size_t i = 0; i < draft.requestedAccesses.size(); ++i) {
    const std::string& id = draft.requestedAccesses[i];
    const std::string at = "requested_accesses[" + std::to_string(i) + "]";
    if (oauth::findApiAccess(id) == nullptr) {
      std::string list;
      for (const auto& a : oauth::mesApiAccesses())
        list += (list.empty() ? "" : ", ") + std::string(a.id);
      problems.add(at, "Unknown access \"" + id + "\"; the MES accesses are " + list + ".");
    } else if (seenBefore(draft.requestedAccesses, i)) {
      problems.add(at, "The access \"" + id + "\" is listed twice.");
    }
  }
  return problems.status();
}

Status checkSubmittable(const ServiceDraft& draft) {
  Collector missing(ErrorKind::kUnprocessable, "draft-incomplete");
  if (draft.description.empty()) missing.add("description", "A description is needed to submit.");
  if (draft.category.empty()) missing.add("category", "A category is needed to submit.");
  if (draft.website.empty()) missing.add("website", "The service's website is needed to submit.");
  if (draft.contact.empty()) missing.add("contact", "A contact e-mail is needed to submit.");
  if (draft.requestedAccesses.empty()) {
    missing.add("requested_accesses", "Ask for at least one MES access to submit.");
  }
  if (draft.clientType == "confidential-asymmetric" && draft.jwks.empty()) {
    missing.add("jwks",
                "A confidential client must register its JWK Set (public keys): this "
                "gateway does not fetch jwks_uri.");
  }
  return missing.status();
}

}  // namespace mes::gateway::registry
