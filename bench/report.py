#!/usr/bin/python3
"""Arithmetic and tables of the throughput benchmark (bench/run.sh, issue 8).

    report.py baseline-args --job jobs/vertical.toml --input call.mp4 --preset job
        prints, one per line, the ffmpeg arguments (after -i INPUT) of the
        baseline: the job's crop size as a fixed centre crop, scale, libx264
        with its preset/CRF/profile/level/GOP, loudnorm to its target, AAC.
    report.py write --runs bench/work/runs/ID --input call.mp4 --bin FRAMEFARM --out FILE
        reads ID/runs.jsonl (one line per run), each run's GNU time files
        (time.<rank>), report.json and analysis.h5 (via h5dump), and writes
        the results file. bench/README.md explains every column.

Standard library only (Debian's /usr/bin/python3), plus h5dump, ffprobe,
lscpu for the facts they own.
"""
import argparse
import json
import math
import platform
import re
import statistics
import subprocess
import sys
import tomllib
from pathlib import Path

# framefarm's defaults for the keys the baseline needs (docs/job-file.md); the
# results compare them with each run's effective job.toml.
JOB_DEFAULTS = {
    "output": {"width": 1280, "height": 720, "fps": 0, "preset": "medium", "crf": 20,
               "bitrate_kbps": 0, "profile": "high", "level": "4.0", "gop_s": 2.0,
               "audio_bitrate_kbps": 160},
    "audio": {"target_lufs": -16.0, "true_peak_dbtp": -1.0},
}
PARITY_KEYS = [("output", k) for k in JOB_DEFAULTS["output"]] + \
    [("audio", k) for k in JOB_DEFAULTS["audio"]]
PARALLEL_PHASES = ("scan", "render", "qa")  # every rank takes tasks
OVERLAPPED = "audio (overlapped)"  # a thread beside render on rank 0: costs no wall time
LONG_S = 2700.0  # 45 minutes
AMDAHL_N = (16, 64, 256)
GOALS = {"baseline_ratio": 1.0, "serial_fraction": 0.02, "rss_mb": 600.0, "source_x": 1.0}


def fail(msg):
    sys.exit(f"bench/report.py: {msg}")


# ---------------------------------------------------------------- the baseline
def job_settings(job_file):
    try:
        with open(job_file, "rb") as f:
            doc = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        fail(f"{job_file}: cannot read the job file: {e}; pass a framefarm job .toml")
    return {t: {k: doc.get(t, {}).get(k, v) for k, v in keys.items()}
            for t, keys in JOB_DEFAULTS.items()}


def probe_video(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=width,height,avg_frame_rate", "-of", "json", str(path)],
                         capture_output=True, text=True)
    if out.returncode != 0 or not json.loads(out.stdout or "{}").get("streams"):
        fail(f"{path}: ffprobe found no video stream ({out.stderr.strip()}); check the input")
    s = json.loads(out.stdout)["streams"][0]
    num, den = (int(x) for x in s["avg_frame_rate"].split("/"))
    return s["width"], s["height"], num / den if den else 0.0


def crop_size(src_w, src_h, out_w, out_h):
    """As analysis::crop_size_for: the largest window of the output's aspect, even sizes."""
    if src_w * out_h >= src_h * out_w:
        w, h = src_h * out_w / out_h, float(src_h)
    else:
        w, h = float(src_w), src_w * out_h / out_w
    return max(2, int(w // 2) * 2), max(2, int(h // 2) * 2)


def baseline_args(job_file, input_path, preset):
    s = job_settings(job_file)
    o, a = s["output"], s["audio"]
    src_w, src_h, src_fps = probe_video(input_path)
    cw, ch = crop_size(src_w, src_h, o["width"], o["height"])
    fps = o["fps"] or src_fps
    video = ["-vf", f"crop={cw}:{ch},scale={o['width']}:{o['height']}", "-c:v", "libx264",
             "-preset", o["preset"] if preset == "job" else preset, "-profile:v", o["profile"],
             "-level:v", o["level"], "-g", str(max(1, round(o["gop_s"] * fps))),
             "-pix_fmt", "yuv420p", "-color_primaries", "bt709", "-color_trc", "bt709",
             "-colorspace", "bt709", "-color_range", "tv"]
    video += ["-b:v", f"{o['bitrate_kbps']}k"] if o["bitrate_kbps"] else ["-crf", str(o["crf"])]
    if o["fps"]:
        video += ["-r", f"{o['fps']:g}"]
    audio = ["-af", f"loudnorm=I={a['target_lufs']:g}:TP={a['true_peak_dbtp']:g}", "-ar", "48000",
             "-ac", "2", "-c:a", "aac", "-b:a", f"{o['audio_bitrate_kbps']}k"]
    return video + audio + ["-movflags", "+faststart"]


# ---------------------------------------------------------------- measurements
def read_time(path):
    """GNU time's key=value lines (bench/run.sh's format); None when missing."""
    if not path.exists():
        return None
    vals = {}
    for line in path.read_text().splitlines():
        m = re.fullmatch(r"(\w+)=([-\d.]+)", line.strip())
        if m:
            vals[m.group(1)] = float(m.group(2))
    return vals if "wall_s" in vals else None


def h5_data(h5, what, path):
    """The DATA block of h5dump -d/-a PATH as a list of strings (numbers or quoted)."""
    out = subprocess.run(["h5dump", "-y", "-w", "0", what, path, str(h5)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return None
    m = re.search(r"DATA \{(.*?)\n\s*\}", out.stdout, re.S)
    return re.findall(r'"[^"]*"|[-+\w.]+', m.group(1)) if m else None


def h5_phases(h5):
    names = h5_data(h5, "-a", "/metrics/phases/wall_s/phases")
    values = h5_data(h5, "-d", "/metrics/phases/wall_s")
    if not names or values is None:
        return None
    names = names[0].strip('"').split(",")
    return dict(zip(names, (float(v) for v in values))) if len(names) == len(values) else None


def h5_render_split(h5):
    """Summed task seconds of the render segments: decode, crop+scale, encode."""
    cols = h5_data(h5, "-a", "/metrics/render/segments/columns")
    vals = h5_data(h5, "-d", "/metrics/render/segments")
    if not cols or not vals:
        return None
    cols = [c.strip('"') for c in cols]
    rows = [vals[i:i + len(cols)] for i in range(0, len(vals), len(cols))]
    return {k: sum(float(r[cols.index(k)]) for r in rows)
            for k in ("seconds", "decode_s", "scale_s", "encode_s")}


def load_run(runs_dir, entry):
    d = runs_dir / entry["dir"]
    r = dict(entry)
    r["ranks"] = int(entry["ranks"])
    r["rc"] = int(entry["rc"])
    r["wall_s"] = float(entry["end"]) - float(entry["start"])
    r["times"] = [t for t in (read_time(p) for p in sorted(d.glob("time.*"))) if t]
    r["report"] = None
    rep = d / "work" / "report.json"
    if rep.exists():
        r["report"] = json.loads(rep.read_text())
    h5 = d / "work" / "analysis.h5"
    r["phases"] = h5_phases(h5) if h5.exists() else None
    if r["phases"] is None and r["report"]:
        r["phases"] = {p["phase"]: p["wall_s"] for p in r["report"].get("phases", [])}
    r["render_split"] = h5_render_split(h5) if h5.exists() else None
    r["job_toml"] = d / "work" / "job.toml"
    r["stderr_tail"] = ""
    if (d / "stderr.txt").exists():
        lines = [l for l in (d / "stderr.txt").read_text(errors="replace").splitlines() if l]
        r["stderr_tail"] = lines[-1] if lines else ""
    # A framefarm run counts only when it delivered and its own QA passed.
    r["ok"] = r["rc"] == 0 and (entry["kind"] == "ffmpeg" or (
        r["report"] is not None and r["report"].get("verdict") == "pass"))
    return r


def frame_count(run):
    for c in (run["report"] or {}).get("checks", []):
        if c["name"] == "timing.frame_count" and isinstance(c["value"], (int, float)):
            return int(c["value"])
    return None


def serial_s(run):
    """Wall time in which only rank 0 can work: all but the parallel phases."""
    p = run["phases"] or {}
    if not all(k in p for k in PARALLEL_PHASES):
        return None
    return run["wall_s"] - sum(p[k] for k in PARALLEL_PHASES)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, spec=".2f", none="n/a"):
    return none if x is None else format(x, spec)


def pct(x):
    return fmt(None if x is None else 100 * x, ".1f") + ("" if x is None else " %")


# ---------------------------------------------------------------- the results
class Results:
    def __init__(self, runs, input_path, cores, duration_s):
        self.runs = runs
        self.input = input_path
        self.cores = cores
        self.duration_s = duration_s
        self.lines = []

    def out(self, *lines):
        self.lines.extend(lines)

    def group(self, kind, job, ranks=None, preset="job"):
        return [r for r in self.runs if r["kind"] == kind and r["job"] == job
                and (ranks is None or r["ranks"] == ranks) and r["preset"] == preset]

    def jobs(self):
        return list(dict.fromkeys(r["job"] for r in self.runs if r["kind"] != "concurrent"))

    def ff_configs(self, job):
        keys = {(r["ranks"], r["preset"]) for r in self.runs if r["kind"] == "ff" and r["job"] == job}
        return sorted(keys, key=lambda k: (k[1] != "job", k[1], k[0]))

    def wall(self, runs):
        ok = [r["wall_s"] for r in runs if r["ok"]]
        return (statistics.median(ok), min(ok), max(ok)) if ok else (None, None, None)

    def baseline_wall(self, job, preset):
        return self.wall(self.group("ffmpeg", job, preset=preset))[0]

    def t1(self, job):
        return self.wall(self.group("ff", job, 1))[0]

    def serial_fraction(self, job):
        ones = [r for r in self.group("ff", job, 1) if r["ok"]]
        fr = [serial_s(r) / r["wall_s"] for r in ones if serial_s(r) is not None]
        return med(fr)


def rss_mb(times):
    return max((t["maxrss_kb"] * 1024 / 1e6 for t in times), default=None)


def cpu_s(times):
    return sum(t["user_s"] + t["sys_s"] for t in times) if times else None


def amdahl(s, n):
    return 1.0 / (s + (1.0 - s) / n)


def karp_flatt(speedup, n):
    return (1.0 / speedup - 1.0 / n) / (1.0 - 1.0 / n)


def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout
    except OSError:
        return ""


def machine_section(R, runs_dir, bin_path):
    lscpu = sh(["lscpu"])
    def field(k):
        m = re.search(rf"^{re.escape(k)}:\s*(.+)$", lscpu, re.M)
        return m.group(1) if m else "?"
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    snap = lambda n: json.loads((runs_dir / n).read_text()) if (runs_dir / n).exists() else {}
    before, after = snap("machine_before.json"), snap("machine_after.json")
    os_name = re.search(r'PRETTY_NAME="(.*)"', Path("/etc/os-release").read_text())
    load = lambda s: ", ".join(f"{x:.2f}" for x in s.get("loadavg", [])) or "n/a"
    R.out("## Machine", "",
          f"- CPU: {field('Model name')}; {R.cores} cores online (`nproc`), "
          f"{field('Socket(s)')} socket(s), {field('Core(s) per socket')} core(s) per socket, "
          f"{field('Thread(s) per core')} thread(s) per core",
          f"- memory: {mem_kb / 1048576:.1f} GiB; OS: {os_name.group(1) if os_name else '?'}, "
          f"kernel {platform.release()}",
          f"- load average (1, 5, 15 min) before: {load(before)} ({before.get('time_utc', '?')}); "
          f"after: {load(after)} ({after.get('time_utc', '?')})",
          f"- software: {sh([bin_path, '--version']).strip()}; "
          f"{sh(['ffmpeg', '-version']).splitlines()[0] if sh(['ffmpeg', '-version']) else 'ffmpeg ?'}; "
          f"{(sh(['mpirun', '--version']).splitlines() or ['mpirun ?'])[0]}", "")


def input_section(R, args):
    meta = Path(args.input).with_suffix(".json")
    info = json.loads(meta.read_text()) if meta.exists() else {}
    size_mb = Path(args.input).stat().st_size / 1e6
    R.out("## Input", "",
          f"- `{args.input}`: generated two-speaker call (tests/recordings/generate.py --set bench), "
          f"{info.get('width')}x{info.get('height')} at {info.get('fps')} fps, "
          f"{R.duration_s:g} s, {info.get('frames')} frames, {len(info.get('shots', []))} shots, "
          f"{size_mb:.1f} MB",
          f"- command: `{args.cmdline}`" if args.cmdline else "",
          f"- raw measurements: `{args.runs}` (runs.jsonl, per-rank GNU time files, each run's "
          "report.json and analysis.h5)", "")


def baseline_section(R, runs_dir):
    R.out("## Baseline: the one ffmpeg command", "")
    for job in R.jobs():
        base = R.group("ffmpeg", job)
        if not base:
            continue
        cmd = (runs_dir / base[0]["dir"] / "command.txt")
        R.out(f"`{job}`:", "", "```", cmd.read_text().strip() if cmd.exists() else "?", "```")
        # Parity: the job settings the baseline used against framefarm's effective job.
        want = job_settings(job)
        ff = [r for r in R.group("ff", job) if r["job_toml"].exists()]
        if ff:
            with open(ff[0]["job_toml"], "rb") as f:
                eff = tomllib.load(f)
            diff = [f"{t}.{k}: baseline {want[t][k]!r}, framefarm {eff.get(t, {}).get(k)!r}"
                    for t, k in PARITY_KEYS if eff.get(t, {}).get(k) != want[t][k]]
            R.out("- settings parity with framefarm's effective job.toml: " +
                  ("same size, fps, preset, CRF, profile, level, GOP, loudness target, AAC rate"
                   if not diff else "DIFFERENT: " + "; ".join(diff)))
        qa = runs_dir / base[0]["dir"] / "qa_report.json"
        if qa.exists():
            rep = json.loads(qa.read_text())
            R.out(f"- its output checked by `framefarm qa --job {job}` (not timed): "
                  f"{rep['verdict']}" + (f"; failed: {', '.join(rep['failed'])}" if rep["failed"] else ""))
        R.out("")


def runs_section(R):
    R.out("## Wall time, throughput, memory, CPU", "",
          "| job | configuration | ok / runs | wall s median (min–max) | fps | × source | "
          "÷ baseline | peak RSS / rank MB | CPU util | parallel eff. |",
          "|---|---|---|---|---|---|---|---|---|---|")
    for job in R.jobs():
        rows = [(f"framefarm {n} rank{'s' * (n > 1)}" + ("" if p == "job" else f", preset {p}"),
                 R.group("ff", job, n, p), n, p) for n, p in R.ff_configs(job)]
        presets = dict.fromkeys(["job"] + [p for _, p in R.ff_configs(job)])
        rows += [("ffmpeg baseline" + ("" if p == "job" else f", preset {p}"),
                  R.group("ffmpeg", job, preset=p), None, p) for p in presets
                 if R.group("ffmpeg", job, preset=p)]
        for label, runs, n, p in rows:
            ok = [r for r in runs if r["ok"]]
            m, lo, hi = R.wall(runs)
            frames = med([frame_count(r) for r in ok])
            base = R.baseline_wall(job, p)
            denom = n if n else R.cores  # ffmpeg: one process using every core
            util = med([cpu_s(r["times"]) / (r["wall_s"] * denom) for r in ok if r["times"]])
            eff = None
            if n and p == "job" and R.t1(job) and m:
                eff = R.t1(job) / (n * m)
            R.out(f"| {Path(job).stem} | {label} | {len(ok)} / {len(runs)} | "
                  f"{fmt(m, '.1f')} ({fmt(lo, '.1f')}–{fmt(hi, '.1f')}) | "
                  f"{fmt(frames / m if frames and m else None, '.1f')} | "
                  f"{fmt(m / R.duration_s if m else None)} | "
                  f"{fmt(m / base if m and base and n else None)} | "
                  f"{fmt(max((rss_mb(r['times']) or 0 for r in ok), default=None), '.0f')} | "
                  f"{pct(util)} | {pct(eff) if n and n > 1 else ''} |")
    R.out("", "fps: output frames (QA's count) per wall second; for ffmpeg the framefarm output's "
          "count is not known, so fps is left out. CPU util: user+sys seconds of every rank / "
          "(wall × ranks); for ffmpeg / (wall × cores).", "")


def phases_section(R):
    names = ["probe", "scan", "plan", "render", OVERLAPPED, "stitch", "qa"]
    R.out("## Phases (medians, seconds; analysis.h5 /metrics/phases)", "",
          "| job | configuration | " + " | ".join(names) + " | rest | render tasks: decode / "
          "crop+scale / encode |", "|---|---|" + "---|" * (len(names) + 2))
    for job in R.jobs():
        for n, p in R.ff_configs(job):
            ok = [r for r in R.group("ff", job, n, p) if r["ok"] and r["phases"]]
            if not ok:
                continue
            cells = [fmt(med([r["phases"].get(k) for r in ok])) for k in names]
            rest = med([r["wall_s"] - sum(v for k, v in r["phases"].items() if k != OVERLAPPED)
                        for r in ok])
            split = [r["render_split"] for r in ok if r["render_split"]]
            tot = med([s["decode_s"] + s["scale_s"] + s["encode_s"] for s in split])
            sp = " / ".join(pct(med([s[k] for s in split]) / tot) if tot else "n/a"
                            for k in ("decode_s", "scale_s", "encode_s"))
            R.out(f"| {Path(job).stem} | {n} rank{'s' * (n > 1)}{'' if p == 'job' else ', ' + p} | "
                  + " | ".join(cells) + f" | {fmt(rest)} | {sp} |")
    R.out("", "rest: the run's wall time (mpirun to exit) minus every phase but the overlapped "
          "audio: process and MPI start-up, job loading, waiting for the audio thread when it "
          "outlasts the render, writing metrics and report.json, shutdown. Render tasks: the "
          "share of the segments' summed task time in decode, crop+scale and x264.", "")


def serial_section(R):
    R.out("## Serial fraction, Karp–Flatt, Amdahl projection", "")
    for job in R.jobs():
        s = R.serial_fraction(job)
        t1 = R.t1(job)
        stem = Path(job).stem
        if t1 is None:
            R.out(f"- {stem}: no successful 1-rank run; the serial fraction needs one.")
            continue
        ones = [r for r in R.group("ff", job, 1) if r["ok"] and r["phases"]]
        comp = {k: med([r["phases"].get(k) for r in ones]) for k in ("probe", "plan", "stitch")}
        R.out(f"**{stem}**: T1 = {t1:.1f} s; serial time (T1 − scan − render − qa) = "
              f"{fmt(med([serial_s(r) for r in ones]))} s, of which probe {fmt(comp['probe'])}, "
              f"plan {fmt(comp['plan'])}, stitch {fmt(comp['stitch'])}; the rest is start-up, "
              f"report and waits. **Serial fraction s = {pct(s)}**.", "",
              "| ranks | speed-up T1/Tn | efficiency | Karp–Flatt e |", "|---|---|---|---|")
        kf_in_cores = None
        for n, p in R.ff_configs(job):
            tn = R.wall(R.group("ff", job, n, p))[0]
            if p != "job" or n == 1 or tn is None:
                continue
            S = t1 / tn
            e = karp_flatt(S, n)
            if n <= R.cores:
                kf_in_cores = e
            note = f" (oversubscribed: {n} ranks on {R.cores} cores)" if n > R.cores else ""
            R.out(f"| {n}{note} | {S:.2f} | {pct(S / n)} | {pct(e)} |")
        R.out("", "| Amdahl speed-up at | " + " | ".join(str(n) for n in AMDAHL_N) + " |",
              "|---|" + "---|" * len(AMDAHL_N))
        if s is not None:
            R.out(f"| s = {pct(s)} (phases) | " +
                  " | ".join(f"{amdahl(max(s, 1e-9), n):.1f}" for n in AMDAHL_N) + " |")
        if kf_in_cores is not None:
            R.out(f"| e = {pct(kf_in_cores)} (Karp–Flatt, largest n ≤ cores) | " +
                  " | ".join(f"{amdahl(min(max(kf_in_cores, 1e-9), 1.0), n):.1f}"
                             for n in AMDAHL_N) + " |")
        R.out("")


def per_hour(R, wall_s, jobs_at_once=1):
    """45-minute videos per hour on this node, scaling the measured wall linearly."""
    return None if not wall_s else jobs_at_once * 3600.0 / (wall_s * LONG_S / R.duration_s)


def throughput_section(R):
    ext = "measured at 45 minutes" if R.duration_s == LONG_S else (
        f"extrapolated linearly from the {R.duration_s:g} s input (every phase is linear in "
        "frames; the fixed start-up cost is scaled too, so this slightly underestimates)")
    R.out("## Videos per hour per node (45-minute inputs)", "", f"Wall time {ext}.", "",
          "| job | configuration | wall s | 45-min videos / hour / node |", "|---|---|---|---|")
    for job in R.jobs():
        for n, p in R.ff_configs(job):
            m = R.wall(R.group("ff", job, n, p))[0]
            R.out(f"| {Path(job).stem} | {n} rank{'s' * (n > 1)}{'' if p == 'job' else ', ' + p}, "
                  f"one job at a time | {fmt(m, '.1f')} | {fmt(per_hour(R, m))} |")
    conc = [r for r in R.runs if r["kind"] == "concurrent"]
    if conc:
        k = len(conc)
        span = max(float(r["end"]) for r in conc) - min(float(r["start"]) for r in conc)
        ok = all(r["ok"] for r in conc)
        R.out(f"| {Path(conc[0]['job']).stem} | {k} jobs at once, 1 rank each | {span:.1f} | "
              f"{fmt(per_hour(R, span, k) if ok else None)} |")
    R.out("")


def concurrency_section(R):
    conc = [r for r in R.runs if r["kind"] == "concurrent"]
    if not conc:
        return
    k = len(conc)
    job = conc[0]["job"]
    span = max(float(r["end"]) for r in conc) - min(float(r["start"]) for r in conc)
    ok = [r for r in conc if r["ok"]]
    alone = R.wall(R.group("ff", job, 1))[0]
    R.out(f"## Concurrency: {k} × {Path(job).stem} at once, 1 rank each", "",
          f"- {len(ok)} of {k} delivered and passed QA; makespan {span:.1f} s; per job wall "
          f"median {fmt(med([r['wall_s'] for r in ok]), '.1f')} s "
          f"(one job alone on 1 rank: {fmt(alone, '.1f')} s)",
          f"- throughput {k * R.duration_s / span:.2f} s of video per wall second "
          f"({k * R.duration_s / span / R.cores:.2f} per core)" if ok else "- throughput: n/a",
          f"- peak RSS per job: max {fmt(max((rss_mb(r['times']) or 0 for r in ok), default=None), '.0f')}"
          f" MB, median {fmt(med([rss_mb(r['times']) for r in ok]), '.0f')} MB; "
          f"all jobs' CPU s / (makespan × cores) = "
          f"{pct(sum(cpu_s(r['times']) or 0 for r in ok) / (span * R.cores) if ok else None)}", "")


def goal_line(name, value, goal, unit, better="lower", detail=""):
    if value is None:
        return f"| {name} | {goal:g}{unit} | n/a | not measured | {detail} |"
    met = value <= goal if better == "lower" else value >= goal
    by = "" if met else f" by {value - goal:.3g}{unit} ({100 * (value / goal - 1):.0f} % over)"
    return f"| {name} | ≤ {goal:g}{unit} | {value:.3g}{unit} | {'met' if met else 'MISSED' + by} | {detail} |"


def goals_section(R):
    R.out("## Goals (issue 8)", "", "| goal | target | measured | verdict | how |", "|---|---|---|---|---|")
    for job in R.jobs():
        stem = Path(job).stem
        best = None
        for n, p in R.ff_configs(job):
            m = R.wall(R.group("ff", job, n, p))[0]
            if p == "job" and m and (best is None or m < best[1]):
                best = (n, m)
        base = R.baseline_wall(job, "job")
        R.out(goal_line(f"{stem}: framefarm wall ÷ ffmpeg baseline (same cores)",
                        best[1] / base if best and base else None, GOALS["baseline_ratio"], "×",
                        detail=f"fastest rank count ({best[0] if best else '-'}) ÷ baseline median"))
        R.out(goal_line(f"{stem}: serial fraction", R.serial_fraction(job),
                        GOALS["serial_fraction"], "", detail="from the 1-rank phase times"))
        goal_runs = [(n, p) for n, p in R.ff_configs(job) if p != "job"]
        for n, p in goal_runs:
            m = R.wall(R.group("ff", job, n, p))[0]
            node = "" if R.cores == 2 else f"; this node has {R.cores} cores, the goal says 2"
            R.out(goal_line(f"{stem}: wall ÷ source duration at preset {p}",
                            m / R.duration_s if m else None, GOALS["source_x"], "×",
                            detail=f"{n} ranks{node}"))
    peak = max((rss_mb(r["times"]) or 0 for r in R.runs if r["kind"] != "ffmpeg" and r["ok"]),
               default=None)
    R.out(goal_line("peak RSS per rank, every framefarm run", peak, GOALS["rss_mb"], " MB",
                    detail="GNU time %M of each rank, max"), "",
          "Where a goal is missed, the phase table above says which phase holds the time and "
          "docs/performance-pipeline.md what the profile shows inside it.", "")


def failures_section(R):
    bad = [r for r in R.runs if not r["ok"]]
    R.out("## Failed runs (not timed)", "")
    if not bad:
        R.out("None: every framefarm run delivered and passed its own QA; every baseline exited 0.", "")
    for r in bad:
        why = f"exit {r['rc']}"
        if r["report"] and r["report"].get("failed"):
            why += "; QA failed: " + ", ".join(r["report"]["failed"])
        R.out(f"- `{r['dir']}`: {why}; last stderr line: `{r['stderr_tail']}`")
    R.out("")


def write(args):
    runs_dir = Path(args.runs)
    manifest = runs_dir / "runs.jsonl"
    if not manifest.exists():
        fail(f"{manifest}: no such file; run bench/run.sh, which writes it")
    entries = [json.loads(l) for l in manifest.read_text().splitlines() if l.strip()]
    if not entries:
        fail(f"{manifest}: no runs recorded; bench/run.sh stopped before the first run")
    meta = Path(args.input).with_suffix(".json")
    if not meta.exists():
        fail(f"{meta}: the generator's JSON for the input is missing; re-run bench/run.sh")
    duration_s = float(json.loads(meta.read_text())["duration_s"])
    R = Results([load_run(runs_dir, e) for e in entries], args.input, args.cores, duration_s)
    R.out(f"# Throughput benchmark — {runs_dir.name} on {platform.node()}", "",
          "Made by bench/run.sh (bench/README.md explains every column). Medians over the "
          "repeats; runs interleaved.", "")
    machine_section(R, runs_dir, args.bin)
    input_section(R, args)
    baseline_section(R, runs_dir)
    runs_section(R)
    phases_section(R)
    serial_section(R)
    throughput_section(R)
    concurrency_section(R)
    goals_section(R)
    failures_section(R)
    Path(args.out).write_text("\n".join(R.lines) + "\n")


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("baseline-args", help="print the baseline's ffmpeg arguments, one per line")
    b.add_argument("--job", required=True)
    b.add_argument("--input", required=True)
    b.add_argument("--preset", default="job", help='"job" = the job file\'s preset')
    w = sub.add_parser("write", help="write the results file from a run directory")
    w.add_argument("--runs", required=True)
    w.add_argument("--input", required=True)
    w.add_argument("--bin", required=True)
    w.add_argument("--out", required=True)
    w.add_argument("--cores", type=int, default=None)
    w.add_argument("--cmdline", default="")
    args = p.parse_args(argv)
    if args.cmd == "baseline-args":
        print("\n".join(baseline_args(args.job, args.input, args.preset)))
    else:
        import os
        args.cores = args.cores or os.cpu_count()
        write(args)


if __name__ == "__main__":
    main(sys.argv[1:])
