// Every mistake of one request, collected before answering: the registry reports them all in
// one Error (one Problem each, with its stable code and the member at fault), as the FHIR
// validation does for resources.
#pragma once

#include <string>
#include <utility>

#include "core/status.h"

namespace mes::gateway::registry {

class ProblemList {
 public:
  explicit ProblemList(ErrorKind kind) { error_.kind = kind; }

  void add(std::string code, std::string message, std::string expression = {}) {
    Problem p;
    p.code = std::move(code);
    p.message = std::move(message);
    p.expression = std::move(expression);
    error_.problems.push_back(std::move(p));
  }
  bool empty() const { return error_.problems.empty(); }
  // Ok when nothing was added, else the Error of the kind given, every problem in order.
  Status status() const {
    if (empty()) return Status::ok();
    return error_;
  }

 private:
  Error error_;
};

}  // namespace mes::gateway::registry
