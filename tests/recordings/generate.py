#!/usr/bin/env python3
"""Deterministic synthetic two-speaker video-call recordings with ground truth.

    generate.py --out DIR --set small            # the test recordings (ctest)
    generate.py --out DIR --set bench --duration-s 600 --size 1920x1080
    generate.py --out DIR --set small --check    # build if needed, then verify

Outputs are cached: DIR/.stamp holds, per set, a hash of this directory's .py
files (except check.py), the parameters and the ffmpeg version; when it matches and every file
is there, nothing is done. See README.md for the files and the JSON schema.
Only the standard library is imported before the cache check, so a cached run
takes well under a second.
"""
import argparse
import fcntl
import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOOLS = ("ffmpeg", "ffprobe", "espeak-ng", "sox")
SYSTEM_PYTHON = "/usr/bin/python3"


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Generate synthetic two-speaker call recordings with ground-truth JSON "
        "(cached by DIR/.stamp).")
    p.add_argument("--out", required=True, type=Path, help="output directory (created)")
    p.add_argument("--set", default="small", choices=("small", "bench"),
                   help="small: call.mp4 and its variants, 640x360 (default); "
                   "bench: one long call")
    p.add_argument("--duration-s", type=float, default=600.0,
                   help="bench: length in seconds (default 600)")
    p.add_argument("--size", default="1920x1080", help="bench: WIDTHxHEIGHT (default 1920x1080)")
    p.add_argument("--threads", type=int, default=1,
                   help="bench: x264 threads (deterministic for a given count, but different counts give "
                   "different bytes, so the count is part of the stamp; default 1)")
    p.add_argument("--cascade-dir", default=None,
                   help="directory with haarcascade_frontalface_default.xml "
                   "(default /usr/share/opencv4/haarcascades)")
    p.add_argument("--check", action="store_true",
                   help="after building (or finding it cached), decode the set and report face "
                   "detection per shot and loudness per speaker; exit 1 if a check fails")
    p.add_argument("--force", action="store_true", help="rebuild even when the stamp matches")
    args = p.parse_args(argv)
    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        p.error(f"--size '{args.size}': expected WIDTHxHEIGHT, e.g. 1920x1080")
    if w < 320 or h < 240 or w % 2 or h % 2:
        p.error(f"--size '{args.size}': width and height must be even and at least 320x240")
    if not 10.0 <= args.duration_s <= 4 * 3600:
        p.error(f"--duration-s {args.duration_s}: must be between 10 and 14400")
    if args.threads < 1:
        p.error(f"--threads {args.threads}: must be at least 1")
    args.width, args.height = w, h
    return args


def set_key(args):
    if args.set == "small":
        return "small"
    return f"bench:{args.duration_s:g}:{args.width}x{args.height}"


def expected_files(args):
    if args.set == "small":
        stems = ("call", "call_vfr", "call_hevc", "call_noaudio", "call_short", "call_43_bt601",
                 "call_rot90", "call_51", "hdr")
    else:
        stems = (f"call_{args.width}x{args.height}_{args.duration_s:g}s",)
    return [f"{s}.{e}" for s in stems for e in ("mp4", "json")]


def source_hash(args):
    h = hashlib.sha256()
    for path in sorted(HERE.glob("*.py")):
        if path.name == "check.py":  # verifies outputs, does not make them
            continue
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    params = {"set": args.set}
    if args.set == "bench":
        params.update(duration_s=args.duration_s, width=args.width, height=args.height,
                      threads=args.threads)
    h.update(json.dumps(params, sort_keys=True).encode())
    try:
        version = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout
        h.update(version.splitlines()[0].encode() if version else b"")
    except OSError:
        pass  # reported by check_tools when a build is needed
    return h.hexdigest()


def read_stamp(out):
    try:
        with open(out / ".stamp") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def write_stamp(out, stamp):
    tmp = out / f".stamp.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(stamp, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, out / ".stamp")


def is_cached(args, digest):
    entry = read_stamp(args.out).get(set_key(args))
    return (entry is not None and entry.get("hash") == digest
            and all((args.out / name).is_file() for name in expected_files(args)))


def ensure_dependencies():
    """numpy and cv2 come from Debian's python3-numpy/python3-opencv; a python3
    earlier on PATH (pyenv, venv) may lack them: then rerun under /usr/bin/python3."""
    try:
        for module in ("numpy", "cv2"):
            importlib.import_module(module)
    except ImportError as e:
        if (os.path.exists(SYSTEM_PYTHON) and not os.environ.get("FF_RECORDINGS_REEXEC")
                and os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON)):
            os.environ["FF_RECORDINGS_REEXEC"] = "1"
            os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON, str(Path(__file__).resolve())] + sys.argv[1:])
        sys.exit(f"generate.py: {sys.executable} cannot import {e.name}; install Debian packages "
                 "python3-numpy and python3-opencv")
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        sys.exit(f"generate.py: {', '.join(missing)} not found on PATH; install Debian packages "
                 "ffmpeg, espeak-ng and sox")


def build(args, digest):
    sys.path.insert(0, str(HERE))
    import build as builder

    key = set_key(args)
    stamp = read_stamp(args.out)
    if stamp.pop(key, None) is not None:
        write_stamp(args.out, stamp)  # the old files are about to be replaced
    work = args.out / f".work-{key.replace(':', '_')}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    if args.set == "small":
        names = builder.build_small(work, args.cascade_dir)
    else:
        names = builder.build_bench(work, args.duration_s, args.width, args.height, args.threads,
                                    args.cascade_dir)
    for name in names:
        os.replace(work / name, args.out / name)
    shutil.rmtree(work)
    stamp = read_stamp(args.out)
    stamp[key] = {"hash": digest, "files": sorted(names)}
    write_stamp(args.out, stamp)


def main(argv):
    args = parse_args(argv)
    t0 = time.monotonic()
    args.out.mkdir(parents=True, exist_ok=True)
    digest = source_hash(args)
    cached = not args.force and is_cached(args, digest)
    if cached and not args.check:
        print(f"[recordings] {args.out}: set '{set_key(args)}' up to date "
              f"({time.monotonic() - t0:.2f} s)")
        return 0
    ensure_dependencies()
    if not cached:
        with open(args.out / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # a concurrent run finishes first, then we re-check
            if args.force or not is_cached(args, digest):
                try:
                    build(args, digest)
                except (RuntimeError, OSError) as e:
                    print(f"generate.py: building set '{set_key(args)}' in {args.out} failed: {e}",
                          file=sys.stderr)
                    return 1
        print(f"[recordings] {args.out}: set '{set_key(args)}' written "
              f"({time.monotonic() - t0:.1f} s)")
    if args.check:
        sys.path.insert(0, str(HERE))
        import check
        return check.run(args.out, expected_files(args))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
