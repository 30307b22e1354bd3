"""Self-check of a generated set (generate.py --check): does each file hold
what its JSON says, independent of how it was made?

Per file: ffprobe facts (codec, pix_fmt, size, colour tags, rotation, frame
count, keyframes, VFR frame times, audio stream) against the JSON. On the
decoded frames: the Haar cascade's detection rate per shot and face (a hit is
a detection with IoU >= 0.3 to the true box), detections on screen-share
shots (must be none), and the lower-face change of each face while it speaks
versus while it is silent. Audio: ffmpeg ebur128 over each speaker's turns.

Output: a report on stdout; returns 1 when a check fails.

Example:
    check.run(Path("build/testdata"), ["call.mp4", "call.json"])
"""
import json
import subprocess

import cv2
import numpy as np

from audio import parse_ebur128
from faces import detect_faces, find_cascade

MIN_HIT_RATE = 0.8
LEVEL_DIFF_DB = (5.0, 7.0)  # speaker A minus speaker B, integrated loudness
DETECT_EVERY = 3  # frames between detector runs


def _ffprobe(path, args):
    out = subprocess.run(["ffprobe", "-v", "error"] + args + [str(path)], capture_output=True,
                         text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{path}: ffprobe failed: {out.stderr.strip()[:200]}")
    return out.stdout


def _stream(path, select):
    out = _ffprobe(path, ["-select_streams", select, "-show_entries",
                          "stream=codec_name,profile,pix_fmt,width,height,color_space,color_transfer,"
                          "color_primaries,color_range,sample_rate,channels:stream_side_data=rotation",
                          "-of", "json"])
    streams = json.loads(out).get("streams", [])
    return streams[0] if streams else None


def _video_packets(path):
    """(pts_time, is_key) of every video packet in presentation order."""
    out = _ffprobe(path, ["-select_streams", "v:0", "-show_entries", "packet=pts_time,flags",
                          "-of", "csv=p=0"])
    rows = [line.split(",") for line in out.splitlines() if line.strip()]
    return sorted((float(r[0]), "K" in r[1]) for r in rows)


def check_container(path, doc, fails):
    v, a = _stream(path, "v:0"), _stream(path, "a:0")
    vi = doc["video"]
    want = {"codec_name": vi["codec"], "pix_fmt": vi["pix_fmt"], "width": vi["stored_width"],
            "height": vi["stored_height"], "color_primaries": vi["color_primaries"],
            "color_transfer": vi["color_transfer"], "color_space": vi["color_space"],
            "color_range": vi["color_range"], "profile": vi["profile"]}
    for key, value in want.items():
        if v.get(key) != value:
            fails.append(f"{path.name}: video {key} is {v.get(key)}, JSON says {value}")
    rot = next((int(float(s["rotation"])) for s in v.get("side_data_list", []) if "rotation" in s), 0)
    if rot != vi["display_matrix_rotation_deg"]:
        fails.append(f"{path.name}: display matrix rotation {rot}, JSON says "
                     f"{vi['display_matrix_rotation_deg']}")
    packets = _video_packets(path)
    if len(packets) != doc["frames"]:
        fails.append(f"{path.name}: {len(packets)} video frames, JSON says {doc['frames']}")
    keys = [i for i, (_, k) in enumerate(packets) if k]
    if keys != doc["keyframes"]:
        fails.append(f"{path.name}: keyframes {keys[:6]}..., JSON says {doc['keyframes'][:6]}...")
    times = [t - packets[0][0] for t, _ in packets]
    truth_times = doc.get("frame_times_s") or [i / doc["fps"] for i in range(doc["frames"])]
    if len(times) == len(truth_times):
        err = max(abs(x - y) for x, y in zip(times, truth_times))
        if err > 1e-3:
            fails.append(f"{path.name}: frame times differ from the JSON by up to {err:.4f} s")
    if (a is None) != (doc["audio"] is None):
        fails.append(f"{path.name}: audio stream {'missing' if a is None else 'present'}, "
                     f"JSON audio is {doc['audio']}")
    elif a is not None and (int(a["sample_rate"]) != doc["audio"]["sample_rate"]
                            or a["channels"] != doc["audio"]["channels"]):
        fails.append(f"{path.name}: audio {a['sample_rate']} Hz x{a['channels']}, JSON says "
                     f"{doc['audio']['sample_rate']} Hz x{doc['audio']['channels']}")
    deltas = np.diff(times)
    return f"{len(packets)} frames, {len(keys)} keyframes, frame durations " \
           f"{deltas.min() * 1000:.1f}-{deltas.max() * 1000:.1f} ms, rotation {rot}"


def _iou(a, b):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    return inter / (aw * ah + bw * bh - inter) if inter > 0 else 0.0


def _lower_face(gray, box_px):
    """The lower face (mouth and chin) resampled to 48x32 from the face's own
    box, so head motion between frames cancels and mouth changes remain."""
    x, y, w, h = box_px
    m = np.array([[0.6 * w / 48, 0, x + 0.2 * w], [0, 0.4 * h / 32, y + 0.6 * h]])
    return cv2.warpAffine(gray, m, (48, 32), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)


def _decode(path, width, height):
    """Displayed frames (BGR) as ffmpeg shows them: rotation applied, every
    frame once (no frame-rate conversion)."""
    proc = subprocess.Popen(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v:0",
                             "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "bgr24", "-"],
                            stdout=subprocess.PIPE)
    size = width * height * 3
    while True:
        buf = proc.stdout.read(size)
        if len(buf) < size:
            break
        yield np.frombuffer(buf, np.uint8).reshape(height, width, 3)
    proc.stdout.close()
    if proc.wait() != 0:
        raise RuntimeError(f"{path}: ffmpeg could not decode it")


def check_faces(path, doc, cascade, fails):
    """Per-shot detection rates and mouth activity on the decoded frames."""
    width, height = doc["width"], doc["height"]
    shot_of = {}
    for shot in doc["shots"]:
        for f in range(shot["start_frame"], shot["end_frame"]):
            shot_of[f] = shot
    stats = {s["index"]: {"n": 0, "hits": [0] * len(s["faces"]), "iou": [], "other": 0}
             for s in doc["shots"]}
    activity = {}  # (who, speaking) -> list of mean abs lower-face change
    prev, prev_boxes, frame = None, [], 0
    for bgr in _decode(path, width, height):
        shot = shot_of[frame]
        k = frame - shot["start_frame"]
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        boxes = [[f["boxes"][k][0] * width, f["boxes"][k][1] * height, f["boxes"][k][2] * width,
                  f["boxes"][k][3] * height] for f in shot["faces"]]
        if frame % DETECT_EVERY == 0:
            st = stats[shot["index"]]
            st["n"] += 1
            hit = set()
            for det in detect_faces(cascade, bgr, min_size_px=int(0.1 * height)):
                ious = [_iou(det, b) for b in boxes]
                best = int(np.argmax(ious)) if ious else -1
                if best >= 0 and ious[best] >= 0.3 and best not in hit:
                    hit.add(best)
                    st["iou"].append(ious[best])
                else:
                    st["other"] += 1
            for best in hit:
                st["hits"][best] += 1
        if k > 0:
            for f, b, pb in zip(shot["faces"], boxes, prev_boxes):
                change = float(np.mean(np.abs(_lower_face(gray, b).astype(np.int16)
                                              - _lower_face(prev, pb))))
                speaking = f["mouth"][k] > 0 or f["mouth"][k - 1] > 0
                activity.setdefault((f["who"], speaking), []).append(change)
        prev, prev_boxes, frame = gray, boxes, frame + 1
    if frame != doc["frames"]:
        fails.append(f"{path.name}: decoded {frame} frames, JSON says {doc['frames']}")
    lines = []
    for shot in doc["shots"]:
        st = stats[shot["index"]]
        rates = [h / max(1, st["n"]) for h in st["hits"]]
        who = ",".join(f["who"] for f in shot["faces"]) or "-"
        iou = f"{np.mean(st['iou']):.2f}" if st["iou"] else "-"
        lines.append(f"  shot {shot['index']} {shot['layout']:8s} faces {who:4s} frames "
                     f"{shot['start_frame']:4d}-{shot['end_frame'] - 1:4d}: detection "
                     f"{'/'.join(f'{r:.2f}' for r in rates) or '-':9s} mean IoU {iou}, "
                     f"other detections {st['other']} in {st['n']} sampled frames")
        if any(r < MIN_HIT_RATE for r in rates):
            fails.append(f"{path.name}: shot {shot['index']} detection rate {rates} < {MIN_HIT_RATE}")
        if shot["layout"] == "screen" and st["other"]:
            fails.append(f"{path.name}: {st['other']} face detections on screen-share shot "
                         f"{shot['index']}")
    for who in ("A", "B"):
        on, off = activity.get((who, True), []), activity.get((who, False), [])
        if on and off:
            lines.append(f"  lower-face change of {who}: speaking {np.mean(on):.2f}, "
                         f"silent {np.mean(off):.2f} (mean abs diff per frame, 0..255)")
            if np.mean(on) < 2 * np.mean(off) + 0.5:
                fails.append(f"{path.name}: speaker {who}'s mouth barely moves when speaking")
    return lines


def _loudness(path, spans, what):
    sel = "+".join(f"between(t,{a:.4f},{b:.4f})" for a, b in spans)
    out = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a",
                          "-af", f"aselect='{sel}',asetpts=N/SR/TB,ebur128", "-f", "null", "-"],
                         capture_output=True, text=True)
    return parse_ebur128(out.stderr, what)


def check_loudness(path, doc, fails):
    lines = []
    lufs = {}
    for who in ("A", "B"):
        spans = [(t["start_s"], t["end_s"]) for t in doc["speech_turns"] if t["who"] == who]
        if spans:
            lufs[who] = _loudness(path, spans, f"{path.name} speaker {who}")
    for g in doc["silent_gaps"]:
        gap = _loudness(path, [(g["start_s"] + 0.1, g["end_s"] - 0.1)], f"{path.name} gap")
        lines.append(f"  silent gap {g['start_s']:.2f}-{g['end_s']:.2f} s: {gap:.1f} LUFS")
    if len(lufs) == 2:
        diff = lufs["A"] - lufs["B"]
        lines.insert(0, f"  loudness A {lufs['A']:.1f} LUFS, B {lufs['B']:.1f} LUFS, A-B "
                        f"{diff:.1f} dB (JSON level_db B {doc['speakers']['B']['level_db']})")
        if not LEVEL_DIFF_DB[0] <= diff <= LEVEL_DIFF_DB[1]:
            fails.append(f"{path.name}: speaker level difference {diff:.1f} dB outside {LEVEL_DIFF_DB}")
    return lines


def run(out_dir, files):
    cascade = cv2.CascadeClassifier(find_cascade())
    fails = []
    for name in files:
        if not name.endswith(".mp4"):
            continue
        path = out_dir / name
        with open(path.with_suffix(".json")) as f:
            doc = json.load(f)
        print(f"{name}: {check_container(path, doc, fails)}")
        if doc["variant"] not in ("noaudio", "5.1", "hdr"):  # same pictures as call.mp4 / 10 bit
            for line in check_faces(path, doc, cascade, fails):
                print(line)
        if doc["audio"] and doc["variant"] in ("main", "5.1", "bench"):
            for line in check_loudness(path, doc, fails):
                print(line)
    for line in fails:
        print(f"FAIL {line}")
    print("check: " + ("all passed" if not fails else f"{len(fails)} failed"))
    return 1 if fails else 0
