#pragma once
// Runs a step on rank 0 and tells every rank how it went, so one rank's
// failure never leaves the others waiting in a collective.
//
//   root_step([&] { probe = media::probe(input); });
//   // rank 0: rethrows what the step threw; other ranks: throw PeerError
//   // with the same exit code; nobody hangs.
#include <exception>
#include <functional>

namespace ff::coordinator {

void root_step(const std::function<void()>& step);

// Every rank calls it; rank 0's `value` reaches all.
bool broadcast_flag(bool value);

}  // namespace ff::coordinator
