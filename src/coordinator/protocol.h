#pragma once
// The farm's wire protocol: every MPI tag and every message struct framefarm
// sends, in one place (DESIGN.md §3, STYLE.md item 7).
//
// Conversation between the coordinator (rank 0) and one worker rank, on the
// farm's own communicator (a duplicate of MPI_COMM_WORLD per run_farm call,
// so farm traffic never matches anything else):
//
//   worker                         coordinator
//   READY            ──────────►                 once, when the worker starts
//                    ◄──────────   ASSIGN(task)  or DONE or ABORT
//   RESULT(task, n)  ──────────►                 the task succeeded ...
//   RESULT_PAYLOAD   ──────────►                 ... n bytes, only when n > 0
//     or FAILED(task, cause)  ──►                the task threw
//                    ◄──────────   ASSIGN / DONE / ABORT
//   ...
//
// RESULT and FAILED also ask for the next task: a worker sends READY only
// once. DONE means the queue is empty and nothing is in flight; ABORT means
// the job failed and carries the one-line reason, which the worker rethrows
// so every rank leaves run_farm the same way.
//
// Every struct is fixed-size POD sent as `sizeof(T)` MPI_BYTEs (ranks share
// one architecture and one build of framefarm). Messages carry task ids and
// small numbers, never frames. The one variable-length message is a task's
// result payload (e.g. a few KB of scan results), sent as a second message
// with tag kResultPayload right after its RESULT header, from the same rank
// on the same communicator; MPI's ordering guarantee keeps the pair together.
//
// Example (worker side):
//   protocol::ResultMsg msg{task_id, 0, payload_bytes, seconds};
//   send_msg(comm, 0, msg);  // tag comes from ResultMsg::kTag
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace ff::coordinator::protocol {

// Text fields are NUL-terminated and truncated to fit.
inline constexpr std::size_t kCauseBytes = 512;     // FailedMsg::cause
inline constexpr std::size_t kMessageBytes = 1024;  // AbortMsg::message

enum class Tag : int {
  kReady = 101,          // worker → coordinator: ReadyMsg
  kAssign = 102,         // coordinator → worker: AssignMsg
  kResult = 103,         // worker → coordinator: ResultMsg (+ kResultPayload)
  kResultPayload = 104,  // worker → coordinator: ResultMsg::payload_bytes raw bytes
  kFailed = 105,         // worker → coordinator: FailedMsg
  kDone = 106,           // coordinator → worker: DoneMsg
  kAbort = 107,          // coordinator → worker: AbortMsg
};

// A worker is ready for its first task.
struct ReadyMsg {
  static constexpr Tag kTag = Tag::kReady;
  int32_t rank;  // the sender, for checks and logs
};

// Run this task. `try_index` is 1 for the first try.
struct AssignMsg {
  static constexpr Tag kTag = Tag::kAssign;
  int32_t task_id;
  int32_t try_index;
};

// The task succeeded after `seconds` of execution; `payload_bytes` bytes of
// result follow with tag kResultPayload when payload_bytes > 0.
struct ResultMsg {
  static constexpr Tag kTag = Tag::kResult;
  int32_t task_id;
  int32_t reserved;
  int64_t payload_bytes;
  double seconds;
};

// The task threw; `cause` is the exception's what(), truncated.
struct FailedMsg {
  static constexpr Tag kTag = Tag::kFailed;
  int32_t task_id;
  int32_t reserved;
  double seconds;
  char cause[kCauseBytes];
};

// No more work: the worker leaves run_farm normally.
struct DoneMsg {
  static constexpr Tag kTag = Tag::kDone;
  int32_t tasks_total;
};

// The job failed: the worker leaves run_farm by throwing `message`.
struct AbortMsg {
  static constexpr Tag kTag = Tag::kAbort;
  char message[kMessageBytes];
};

template <typename T>
inline constexpr bool kIsMessage = std::is_trivially_copyable_v<T>&& std::is_standard_layout_v<T>&&
    std::is_same_v<std::remove_cv_t<decltype(T::kTag)>, Tag>;

static_assert(kIsMessage<ReadyMsg> && kIsMessage<AssignMsg> && kIsMessage<ResultMsg> &&
              kIsMessage<FailedMsg> && kIsMessage<DoneMsg> && kIsMessage<AbortMsg>);

constexpr int tag_value(Tag tag) {
  return static_cast<int>(tag);
}

// Copies `text` into a fixed field, truncating it and always NUL-terminating.
template <std::size_t N>
void set_text(char (&field)[N], std::string_view text) {
  const std::size_t n = std::min(text.size(), N - 1);
  std::copy_n(text.data(), n, field);
  std::fill(field + n, field + N, '\0');
}

// The text in a fixed field, up to its first NUL (or all of it).
template <std::size_t N>
std::string get_text(const char (&field)[N]) {
  const char* end = std::find(field, field + N, '\0');
  return std::string(field, end);
}

}  // namespace ff::coordinator::protocol
