#include "gateway/registry/workflow.h"

#include <algorithm>
#include <array>

namespace mes::gateway::registry {
namespace {

using S = ServiceStatus;
using A = Action;

constexpr std::array kStatuses = {S::kDraft,      S::kSubmitted,  S::kUnderEvaluation,
                                  S::kCommission, S::kReferenced, S::kRejected,
                                  S::kSuspended,  S::kWithdrawn};
constexpr std::array kActions = {
    A::kEdit,    A::kSubmit,      A::kRetract,          A::kStartEvaluation,
    A::kMark,    A::kAddEvidence, A::kMoveToCommission, A::kDecide,
    A::kSuspend, A::kReinstate,   A::kWithdraw,         A::kReopen};
constexpr std::array kRoles = {Role::kEditor, Role::kEvaluator, Role::kCommission, Role::kAdmin};

// The state table: what each status allows and where it leads (`to` = `from` for actions
// without a transition; decide's target comes from the decision).
struct Step {
  S from;
  A action;
  S to;
};
// clang-format off
constexpr std::array kSteps = {
    Step{S::kDraft,           A::kEdit,             S::kDraft},
    Step{S::kDraft,           A::kSubmit,           S::kSubmitted},
    Step{S::kDraft,           A::kAddEvidence,      S::kDraft},
    Step{S::kSubmitted,       A::kRetract,          S::kDraft},
    Step{S::kSubmitted,       A::kStartEvaluation,  S::kUnderEvaluation},
    Step{S::kSubmitted,       A::kAddEvidence,      S::kSubmitted},
    Step{S::kUnderEvaluation, A::kMark,             S::kUnderEvaluation},
    Step{S::kUnderEvaluation, A::kAddEvidence,      S::kUnderEvaluation},
    Step{S::kUnderEvaluation, A::kMoveToCommission, S::kCommission},
    Step{S::kCommission,      A::kDecide,           S::kCommission},
    Step{S::kReferenced,      A::kSuspend,          S::kSuspended},
    Step{S::kRejected,        A::kReopen,           S::kDraft},
    Step{S::kSuspended,       A::kReinstate,        S::kReferenced},
    Step{S::kSuspended,       A::kWithdraw,         S::kWithdrawn},
};
// clang-format on

// Who may take each action (ownership of an editor's services is the Registry's check).
struct Grant {
  A action;
  std::array<bool, 4> roles;  // editor, evaluator, commission, admin
};
// clang-format off
constexpr std::array kGrants = {
    Grant{A::kEdit,             {true,  false, false, false}},
    Grant{A::kSubmit,           {true,  false, false, false}},
    Grant{A::kRetract,          {true,  false, false, false}},
    Grant{A::kStartEvaluation,  {false, true,  false, false}},
    Grant{A::kMark,             {false, true,  false, false}},
    Grant{A::kAddEvidence,      {true,  true,  false, false}},
    Grant{A::kMoveToCommission, {false, true,  false, false}},
    Grant{A::kDecide,           {false, false, true,  false}},
    Grant{A::kSuspend,          {false, false, false, true}},
    Grant{A::kReinstate,        {false, false, false, true}},
    Grant{A::kWithdraw,         {false, false, false, true}},
    Grant{A::kReopen,           {true,  false, false, false}},
};
// clang-format on

const Step* stepOf(S status, A action) {
  for (const Step& step : kSteps) {
    if (step.from == status && step.action == action) return &step;
  }
  return nullptr;
}

}  // namespace

std::span<const ServiceStatus> allStatuses() {
  return kStatuses;
}
std::span<const Action> allActions() {
  return kActions;
}
std::span<const Role> allRoles() {
  return kRoles;
}

std::string_view statusName(ServiceStatus status) {
  switch (status) {
    case S::kDraft:
      return "draft";
    case S::kSubmitted:
      return "submitted";
    case S::kUnderEvaluation:
      return "under_evaluation";
    case S::kCommission:
      return "commission";
    case S::kReferenced:
      return "referenced";
    case S::kRejected:
      return "rejected";
    case S::kSuspended:
      return "suspended";
    case S::kWithdrawn:
      return "withdrawn";
  }
  return "draft";
}

std::optional<ServiceStatus> parseStatus(std::string_view name) {
  for (S status : kStatuses) {
    if (statusName(status) == name) return status;
  }
  return std::nullopt;
}

std::string_view statusLabelFr(ServiceStatus status) {
  switch (status) {
    case S::kDraft:
      return "Brouillon";
    case S::kSubmitted:
      return "Soumis";
    case S::kUnderEvaluation:
      return "En cours d’évaluation";
    case S::kCommission:
      return "En commission";
    case S::kReferenced:
      return "Référencé";
    case S::kRejected:
      return "Refusé";
    case S::kSuspended:
      return "Suspendu";
    case S::kWithdrawn:
      return "Retiré du catalogue";
  }
  return "";
}

std::string_view actionName(Action action) {
  switch (action) {
    case A::kEdit:
      return "edit";
    case A::kSubmit:
      return "submit";
    case A::kRetract:
      return "retract";
    case A::kStartEvaluation:
      return "start_evaluation";
    case A::kMark:
      return "mark";
    case A::kAddEvidence:
      return "add_evidence";
    case A::kMoveToCommission:
      return "move_to_commission";
    case A::kDecide:
      return "decide";
    case A::kSuspend:
      return "suspend";
    case A::kReinstate:
      return "reinstate";
    case A::kWithdraw:
      return "withdraw";
    case A::kReopen:
      return "reopen";
  }
  return "edit";
}

std::optional<Action> parseAction(std::string_view name) {
  for (A action : kActions) {
    if (actionName(action) == name) return action;
  }
  return std::nullopt;
}

std::string_view actionLabelFr(Action action) {
  switch (action) {
    case A::kEdit:
      return "Modifier le dossier";
    case A::kSubmit:
      return "Soumettre au référencement";
    case A::kRetract:
      return "Reprendre la soumission";
    case A::kStartEvaluation:
      return "Commencer l’évaluation";
    case A::kMark:
      return "Évaluer un critère";
    case A::kAddEvidence:
      return "Joindre un rapport de conformité";
    case A::kMoveToCommission:
      return "Transmettre à la commission";
    case A::kDecide:
      return "Rendre l’avis de la commission";
    case A::kSuspend:
      return "Suspendre le service";
    case A::kReinstate:
      return "Rétablir le service";
    case A::kWithdraw:
      return "Retirer du catalogue";
    case A::kReopen:
      return "Rouvrir le dossier pour une nouvelle soumission";
  }
  return "";
}

std::vector<Action> allowedActions(ServiceStatus status) {
  std::vector<Action> out;
  for (A action : kActions) {
    if (stepOf(status, action) != nullptr) out.push_back(action);
  }
  return out;
}

bool allows(ServiceStatus status, Action action) {
  return stepOf(status, action) != nullptr;
}

std::optional<ServiceStatus> transitionTarget(ServiceStatus status, Action action) {
  const Step* step = stepOf(status, action);
  if (step == nullptr || step->to == step->from) return std::nullopt;
  return step->to;
}

std::string_view decisionName(Decision decision) {
  switch (decision) {
    case Decision::kFavourable:
      return "favourable";
    case Decision::kFavourableWithReservations:
      return "favourable_with_reservations";
    case Decision::kUnfavourable:
      return "unfavourable";
  }
  return "unfavourable";
}

std::optional<Decision> parseDecision(std::string_view name) {
  for (Decision d :
       {Decision::kFavourable, Decision::kFavourableWithReservations, Decision::kUnfavourable}) {
    if (decisionName(d) == name) return d;
  }
  return std::nullopt;
}

std::string_view decisionLabelFr(Decision decision) {
  switch (decision) {
    case Decision::kFavourable:
      return "Avis favorable";
    case Decision::kFavourableWithReservations:
      return "Avis favorable avec réserves";
    case Decision::kUnfavourable:
      return "Avis défavorable";
  }
  return "";
}

ServiceStatus decisionTarget(Decision decision) {
  return decision == Decision::kUnfavourable ? S::kRejected : S::kReferenced;
}

std::string_view roleName(Role role) {
  switch (role) {
    case Role::kEditor:
      return "editor";
    case Role::kEvaluator:
      return "evaluator";
    case Role::kCommission:
      return "commission";
    case Role::kAdmin:
      return "admin";
  }
  return "editor";
}

std::optional<Role> parseRole(std::string_view name) {
  for (Role role : kRoles) {
    if (roleName(role) == name) return role;
  }
  return std::nullopt;
}

std::string_view roleLabelFr(Role role) {
  switch (role) {
    case Role::kEditor:
      return "Éditeur";
    case Role::kEvaluator:
      return "Évaluateur";
    case Role::kCommission:
      return "Membre de la commission";
    case Role::kAdmin:
      return "Administrateur";
  }
  return "";
}

bool roleMay(Role role, Action action) {
  for (const Grant& grant : kGrants) {
    if (grant.action == action) return grant.roles[static_cast<size_t>(role)];
  }
  return false;
}

}  // namespace mes::gateway::registry
