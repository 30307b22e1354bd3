#pragma once
// Shared by the audio algorithms' parameter checks: a number as a person
// writes it, and a range check whose message names the component and key.
//
//   check_range("limiter", "ceiling_dbtp", 3.0, -20.0, 0.0);
//   // ConfigError: "limiter: ceiling_dbtp = 3 is out of range; allowed -20 .. 0"
#include <sstream>
#include <string>

#include "core/error.h"

namespace ff::analysis {

// Shortest round-trip-ish form: 3, -1.5, 1e-06.
inline std::string format_number(double value) {
  std::ostringstream os;
  os << value;
  return os.str();
}

inline void check_range(const char* component, const char* key, double value, double lo,
                        double hi) {
  if (!(value >= lo && value <= hi)) {
    throw ConfigError(std::string(component) + ": " + key + " = " + format_number(value) +
                      " is out of range; allowed " + format_number(lo) + " .. " +
                      format_number(hi));
  }
}

}  // namespace ff::analysis
