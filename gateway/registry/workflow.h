// The referencing workflow (SPEC §5) as data: the statuses of a service, the actions of the
// registry, which action each status allows (and where it leads), and which role may take each
// action. Pure: the Registry (registry.h) applies these tables; the tests walk them whole.
//
//   draft ──submit──▶ submitted ──start_evaluation──▶ under_evaluation ──move_to_commission──▶
//     ▲                  │                                                     commission
//     └────retract───────┘                                                        │ decide
//     ▲                                                         ┌─────────────────┴──────────┐
//     └──────────────reopen──────────── rejected ◀─unfavourable─┘     favourable(+reserves)  ▼
//                                                                                 referenced
//                                  withdrawn ◀──withdraw── suspended ◀──suspend──┘  ▲
//                                                              └─────reinstate──────┘
//
// Decisions where SPEC §5 is silent:
//   - retract: an editor may take back its own submission while it is `submitted` (no
//     evaluator has taken it up yet); once under evaluation the file is the evaluators'.
//     An editor never moves a service to `withdrawn`: that status ends patients' pairings and
//     belongs to the administrator.
//   - reopen: a `rejected` service goes back to `draft` at its editor's request, for a
//     corrected resubmission; its history (and the unfavourable decision) stays, and the next
//     evaluation is a new round with a fresh checklist.
//   - withdraw only from `suspended`, as SPEC draws it: an administrator suspends first (every
//     token refused at once), then withdraws (pairings ended, patients told).
//   - edit and add_evidence are actions without a transition: edit in `draft` only (what is
//     evaluated does not change under the evaluators), evidence while the file is open
//     (draft, submitted, under_evaluation); mark during the evaluation only.
//   - Separation of duties: an administrator neither evaluates nor decides, the commission
//     neither evaluates nor suspends, an evaluator does not decide.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mes::gateway::registry {

enum class ServiceStatus {
  kDraft,
  kSubmitted,
  kUnderEvaluation,
  kCommission,
  kReferenced,
  kRejected,
  kSuspended,
  kWithdrawn,
};

enum class Action {
  kEdit,
  kSubmit,
  kRetract,
  kStartEvaluation,
  kMark,
  kAddEvidence,
  kMoveToCommission,
  kDecide,
  kSuspend,
  kReinstate,
  kWithdraw,
  kReopen,
};

// Every status and every action, in the order above (what the table tests iterate over).
std::span<const ServiceStatus> allStatuses();
std::span<const Action> allActions();

// "draft", "under_evaluation"... as stored in ServiceRecord::status.
std::string_view statusName(ServiceStatus status);
std::optional<ServiceStatus> parseStatus(std::string_view name);
// "edit", "start_evaluation"... as recorded in the history and used in the API paths
// (with '-' for '_': /registry/api/services/<id>/start-evaluation).
std::string_view actionName(Action action);
std::optional<Action> parseAction(std::string_view name);
// A short French label of a status or an action, for the pages.
std::string_view statusLabelFr(ServiceStatus status);
std::string_view actionLabelFr(Action action);

// The actions `status` allows, in the order of allActions().
std::vector<Action> allowedActions(ServiceStatus status);
// Whether `action` is allowed in `status`.
bool allows(ServiceStatus status, Action action);
// Where `action` leads from `status`, when it is allowed and changes the status: nullopt for
// actions without a transition (edit, mark, add_evidence), and for decide, whose target depends
// on the decision (decisionTarget).
std::optional<ServiceStatus> transitionTarget(ServiceStatus status, Action action);

// Commission decisions (SPEC §5).
enum class Decision { kFavourable, kFavourableWithReservations, kUnfavourable };
std::string_view decisionName(
    Decision decision);  // favourable | favourable_with_reservations | unfavourable
std::optional<Decision> parseDecision(std::string_view name);
std::string_view decisionLabelFr(Decision decision);
ServiceStatus decisionTarget(Decision decision);  // referenced, or rejected when unfavourable

// Registry roles (store::kAccountRoles but patient). The CLI acts as an administrator.
enum class Role { kEditor, kEvaluator, kCommission, kAdmin };
std::span<const Role> allRoles();
std::string_view roleName(Role role);
std::optional<Role> parseRole(std::string_view name);
std::string_view roleLabelFr(Role role);

// Whether `role` may take `action` at all (an editor only on its own organisation's services:
// the Registry checks ownership).
bool roleMay(Role role, Action action);

}  // namespace mes::gateway::registry
