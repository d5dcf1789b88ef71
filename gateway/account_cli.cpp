#include "gateway/account_cli.h"

#include <istream>
#include <ostream>

#include "connectors/store/account_store.h"
#include "connectors/store/repository.h"
#include "fhir/json/json.h"
#include "fhir/types/datetime.h"
#include "gateway/app.h"
#include "gateway/cli.h"
#include "gateway/config.h"
#include "gateway/portal_auth.h"
#include "gateway/registry/registry.h"
#include "oauth/crypto/digest.h"

namespace mes::gateway {
namespace {

std::string message(const Error& e) {
  return e.problems.empty() ? e.detail : e.problems.front().message;
}

const std::string& flag(const std::vector<std::pair<std::string, std::string>>& flags,
                        const std::string& name) {
  static const std::string kEmpty;
  for (const auto& [n, v] : flags) {
    if (n == name) return v;
  }
  return kEmpty;
}

// What an operator may see of an account: never the password hash.
fhir::Value accountJson(const store::AccountRecord& account, int64_t nowMs) {
  fhir::Value v = fhir::Value::object();
  v.set("account_id", fhir::Value::string(account.accountId));
  v.set("login", fhir::Value::string(account.login));
  v.set("role", fhir::Value::string(account.role));
  v.set("patient_id", account.patientId.empty() ? fhir::Value::null()
                                                 : fhir::Value::string(account.patientId));
  v.set("failed_logins", fhir::Value::number(account.failedLogins));
  const bool locked = nowMs < account.lockedUntilMs;
  v.set("locked", fhir::Value::boolean(locked));
  v.set("locked_until", locked ? fhir::Value::string(fhir::formatInstant(account.lockedUntilMs))
                               : fhir::Value::null());
  v.set("created", fhir::Value::string(fhir::formatInstant(account.createdMs)));
  v.set("updated", fhir::Value::string(fhir::formatInstant(account.updatedMs)));
  return v;
}

}  // namespace

void printAccountHelp(std::ostream& out) {
  out << "  mes-gateway account add --login LOGIN --patient ID\n"
         "                                  create a patient portal account for Patient/ID;\n"
         "                                  the password is read from the first line of stdin\n"
         "  mes-gateway account add --login EMAIL --role admin|evaluator|commission|editor\n"
         "        [--organisation ORG]      create a registry account (/registry login; an\n"
         "                                  editor belongs to organisation ORG): the first\n"
         "                                  administrator is made this way; password from stdin,\n"
         "                                  12 characters at least\n"
         "  mes-gateway account list        print every portal account as JSON\n"
         "  mes-gateway account unlock --login LOGIN\n"
         "                                  lift a lockout after repeated failed logins\n";
}

int runAccountCommand(std::vector<std::string> args, const std::map<std::string, std::string>& env,
                      Logger& logger, std::istream& in, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0].rfind("--", 0) == 0) {
    err << "mes-gateway account: which action? add, list or unlock (see --help)\n";
    return 2;
  }
  const std::string action = args[0];
  args.erase(args.begin());
  if (action != "add" && action != "list" && action != "unlock") {
    err << "mes-gateway account: unknown action '" << action << "' (add, list, unlock)\n";
    return 2;
  }
  std::string flagError;
  auto flags = takeFlags(args, {"--login", "--patient", "--role", "--organisation"}, flagError);
  if (!flagError.empty()) {
    err << "mes-gateway: " << flagError << "\n";
    return 2;
  }
  const std::string& login = flag(flags, "--login");
  const std::string& patientId = flag(flags, "--patient");
  if (action != "list" && login.empty()) {
    err << "mes-gateway account " << action << ": --login is required\n";
    return 2;
  }
  const std::string role = flag(flags, "--role").empty() ? "patient" : flag(flags, "--role");
  if (action == "add" && role == "patient" && patientId.empty()) {
    err << "mes-gateway account add: --patient is required (or --role for a registry account)\n";
    return 2;
  }
  if (action == "add" && role != "patient" && !patientId.empty()) {
    err << "mes-gateway account add: --patient is for patient accounts only\n";
    return 2;
  }
  std::string password;
  if (action == "add") {
    // Read before opening anything, so that a missing password changes nothing.
    std::getline(in, password);
    if (!password.empty() && password.back() == '\r') password.pop_back();
    if (password.empty()) {
      err << "mes-gateway account add: the password (first line of standard input) is empty\n";
      return 2;
    }
  }

  auto config = loadConfig(args, env);
  if (!config) {
    err << "mes-gateway: " << message(config.error()) << "\n";
    return 2;
  }
  auto gateway = Gateway::open(*config, logger);
  if (!gateway) {
    err << "mes-gateway: cannot open the data directory: " << message(gateway.error()) << "\n";
    return 1;
  }
  Gateway& g = **gateway;
  SystemClock clock;
  auto fail = [&](const Error& e) {
    err << "mes-gateway account " << action << ": " << message(e) << "\n";
    return 1;
  };

  if (action == "list") {
    auto all = g.accounts().accounts();
    if (!all) return fail(all.error());
    fhir::Value list = fhir::Value::array();
    for (const auto& account : *all) list.push(accountJson(account, clock.nowMs()));
    out << fhir::toPrettyJson(list) << std::endl;
    return 0;
  }
  if (action == "add" && role != "patient") {
    registry::AccountInput input{login, password, role, flag(flags, "--organisation")};
    auto created = g.registry().createAccount(registry::Actor::cli(), input);
    oauth::secureWipe(password);
    if (!created) return fail(created.error());
    fhir::Value v = accountJson(*created, clock.nowMs());
    const std::string organisation = g.registry().organisationOf(*created);
    v.set("organisation_id", organisation.empty() ? fhir::Value::null()
                                                  : fhir::Value::string(organisation));
    out << fhir::toPrettyJson(v) << std::endl;
    return 0;
  }
  if (action == "add") {
    auto patient = g.repository().read("Patient", patientId);
    if (!patient) {
      if (patient.error().kind == ErrorKind::kNotFound || patient.error().kind == ErrorKind::kGone) {
        err << "mes-gateway account add: Patient/" << patientId << " does not exist\n";
        return 1;
      }
      return fail(patient.error());
    }
    auto created = g.portal().createPatientAccount(login, password, patientId);
    if (!created) return fail(created.error());
    out << fhir::toPrettyJson(accountJson(*created, clock.nowMs())) << std::endl;
    return 0;
  }
  auto account = g.accounts().accountByLogin(login);
  if (!account) return fail(account.error());
  auto unlocked = g.accounts().unlock(account->accountId, clock.nowMs());
  if (!unlocked) return fail(unlocked.error());
  out << fhir::toPrettyJson(accountJson(*unlocked, clock.nowMs())) << std::endl;
  return 0;
}

}  // namespace mes::gateway
