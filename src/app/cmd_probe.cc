#include <cstdio>

#include "app/args.h"
#include "app/commands.h"
#include "media/probe.h"

namespace ff::app {

int cmd_probe(const std::vector<std::string>& argv) {
  const ArgSpec spec{
      "probe",
      {"FILE"},
      "Print what framefarm knows about a media file, as JSON: streams, duration, frame\n"
      "rates, VFR or CFR, keyframe index, rotation, colour tags, audio layout and the\n"
      "input fingerprint. Exit code 3 with one line when framefarm cannot deliver it.",
      {{"--allow-hdr", "", "report HDR inputs instead of rejecting them"}}};
  const Args args = parse_args(spec, argv);
  if (args.help) {
    std::fputs(usage_text(spec).c_str(), stdout);
    return 0;
  }
  const media::ProbeResult result =
      media::probe(args.positional[0], {.reject_hdr = !args.has("--allow-hdr")});
  std::printf("%s\n", media::to_json(result).c_str());
  return 0;
}

}  // namespace ff::app
