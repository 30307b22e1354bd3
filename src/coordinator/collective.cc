#include "coordinator/collective.h"

#include <cstring>
#include <string>

#include "coordinator/mpi_env.h"
#include "core/bytes.h"
#include "core/error.h"

namespace ff::coordinator {

void root_step(const std::function<void()>& step) {
  const bool root = world_rank() == 0;
  std::exception_ptr failure;
  int32_t code = 0;
  std::string message;
  if (root) {
    try {
      step();
    } catch (const Error& e) {
      failure = std::current_exception();
      code = static_cast<int32_t>(e.code());
      message = e.what();
    } catch (const std::exception& e) {
      failure = std::current_exception();
      code = static_cast<int32_t>(ExitCode::kRuntime);
      message = e.what();
    }
  }
  if (world_size() > 1) {
    ByteWriter w;
    w.put(code);
    w.put_vector(std::vector<char>(message.begin(), message.end()));
    const auto bytes = broadcast_bytes(w.take());
    ByteReader r(bytes);
    code = r.get<int32_t>();
    const auto text = r.get_vector<char>();
    message.assign(text.begin(), text.end());
  }
  if (root && failure) std::rethrow_exception(failure);
  if (code != 0) throw PeerError(static_cast<ExitCode>(code), message);
}

bool broadcast_flag(bool value) {
  ByteWriter w;
  w.put<uint8_t>(value ? 1 : 0);
  const auto bytes = broadcast_bytes(w.take());
  return ByteReader(bytes).get<uint8_t>() != 0;
}

}  // namespace ff::coordinator
