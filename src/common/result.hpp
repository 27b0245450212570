#pragma once

#include <string>
#include <utility>
#include <variant>

namespace groundcrew {

/// The closed set of error kinds. Every layer maps these (and only these) to its own vocabulary,
/// e.g. the HTTP layer to status codes.
enum class ErrorCode {
  kInvalidArgument,     ///< the input is malformed; `field` names where
  kNotFound,            ///< the thing asked for does not exist
  kAlreadyExists,       ///< a unique key is taken
  kFailedPrecondition,  ///< not allowed in the current state
  kAborted,             ///< lost a concurrency race; re-read and retry
  kUnavailable,         ///< transient; back off and retry
  kUnauthenticated,     ///< no valid credential was presented
  kPermissionDenied,    ///< the credential is valid but may not do this
  kInternal,            ///< a bug or an invariant broken outside our control
};

const char* ToString(ErrorCode code);

/// An error as a value: what kind, where (`field`: a property name, "row 3, column 2", a
/// character position...; empty when the whole input is at fault) and why, in words a person
/// can act on.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::string field;

  friend bool operator==(const Error&, const Error&) = default;
};

inline Error MakeError(ErrorCode code, std::string message, std::string field = {}) {
  return Error{code, std::move(message), std::move(field)};
}

/// Either a T or an Error. Deliberately small: has_value/value/error and operator*/->.
/// REQUIRES: value() and operator* only on success, error() only on failure.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  const Error& error() const { return std::get<1>(state_); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> state_;
};

/// Success without a value.
struct Ok {
  friend bool operator==(Ok, Ok) = default;
};
using Status = Result<Ok>;

}  // namespace groundcrew

// Error propagation, the one pair every module uses.

/// Returns the error of `expr` (a Status or a Result) from the enclosing function, which
/// returns a Status or a Result; goes on when `expr` succeeded.
#define GC_RETURN_IF_ERROR(expr)                      \
  do {                                                \
    if (auto&& gc_status_ = (expr); !gc_status_) {    \
      return ::groundcrew::Error(gc_status_.error()); \
    }                                                 \
  } while (false)

/// Declares `lhs` (e.g. `auto plan` or `core::EspPlan plan`) from the value of `rexpr` (a
/// Result), or returns its error from the enclosing function.
#define GC_ASSIGN_OR_RETURN(lhs, rexpr) \
  GC_ASSIGN_OR_RETURN_IMPL_(GC_RESULT_CONCAT_(gc_result_, __LINE__), lhs, rexpr)
#define GC_ASSIGN_OR_RETURN_IMPL_(result, lhs, rexpr)      \
  auto result = (rexpr);                                   \
  if (!result) return ::groundcrew::Error(result.error()); \
  lhs = std::move(*result)
#define GC_RESULT_CONCAT_(a, b) GC_RESULT_CONCAT_INNER_(a, b)
#define GC_RESULT_CONCAT_INNER_(a, b) a##b
