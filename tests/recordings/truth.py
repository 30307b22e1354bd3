"""Ground truth JSON for one recording (schema in README.md).

Input: the per-frame truth the renderer returned, the frame times, the speech
schedule and the encoding facts. Output: a dict ready for json.dump.

Example:
    doc = build(TruthInput(file="call.mp4", ...))
"""
from dataclasses import dataclass, field
from audio import NOISE_DBFS, TARGET_LUFS, VOICES
from encode import COLOURS, KEYINT_S
from timeline import PERSON_OF

SCHEMA = "framefarm.recording/1"
ND = 5  # decimals of normalised boxes: 0.02 px at 1920


@dataclass
class TruthInput:
    file: str
    variant: str
    width: int  # displayed
    height: int
    fps: float  # the nominal (authoring) rate; VFR frames are not on it
    frame_times_s: list
    frame_truth: list  # per frame: (shot, [(speaker, box, mouth), ...])
    duration_s: float
    cfr: bool = True
    turns: list = field(default_factory=list)
    gaps: list = field(default_factory=list)
    video: dict = field(default_factory=dict)  # codec, profile, pix_fmt, colour, rotation
    audio: dict = None  # codec, sample_rate, channels, channel_layout; None: no audio stream


def keyframes(frame_times_s):
    """Frames ffmpeg's -force_key_frames expr:gte(t,n_forced*KEYINT_S) makes IDR."""
    out = []
    for i, t in enumerate(frame_times_s):
        if t >= len(out) * KEYINT_S - 1e-9:
            out.append(i)
    return out


def build(ti):
    n = len(ti.frame_times_s)
    times = ti.frame_times_s

    def time_of(frame):
        return round(times[frame] if frame < n else ti.duration_s, 6)

    shots, start = [], 0
    for i in range(1, n + 1):
        if i == n or ti.frame_truth[i][0].index != ti.frame_truth[start][0].index:
            shot = ti.frame_truth[start][0]
            faces = []
            for k, (who, _, _) in enumerate(ti.frame_truth[start][1]):
                faces.append({
                    "who": who,
                    "person": PERSON_OF[who],
                    "boxes": [[round(v, ND) for v in ti.frame_truth[j][1][k][1]] for j in range(start, i)],
                    "mouth": [ti.frame_truth[j][1][k][2] for j in range(start, i)],
                })
            shots.append({
                "index": len(shots),
                "start_frame": start, "end_frame": i,
                "start_s": time_of(start), "end_s": time_of(i),
                "layout": shot.layout,
                "speaker": shot.speaker or None,
                "faces": faces,
            })
            start = i
    doc = {
        "schema": SCHEMA,
        "file": ti.file,
        "variant": ti.variant,
        "width": ti.width, "height": ti.height,
        "fps": ti.fps,
        "cfr": ti.cfr,
        "frames": n,
        "duration_s": round(ti.duration_s, 6),
        "video": ti.video,
        "keyframes": keyframes(times),
        "audio": ti.audio,
        "cuts": [{"frame": s["start_frame"], "time_s": s["start_s"]} for s in shots[1:]],
        "shots": shots,
        "speakers": {
            who: {
                "person": PERSON_OF[who],
                "gallery_position": "left" if who == "A" else "right",
                "voice": VOICES[who]["voice"], "pitch": VOICES[who]["pitch"],
                "target_lufs": TARGET_LUFS[who],
                "level_db": TARGET_LUFS[who] - TARGET_LUFS["A"],
            } for who in ("A", "B")
        },
        "speech_turns": [
            {"who": t.who, "start_s": round(t.start_s, 4), "end_s": round(min(t.end_s, ti.duration_s), 4)}
            for t in ti.turns if t.start_s < ti.duration_s
        ] if ti.audio else [],
        "silent_gaps": [
            {"start_s": round(a, 4), "end_s": round(b, 4)} for a, b in ti.gaps if b <= ti.duration_s
        ] if ti.audio else [],
        "noise_floor_dbfs": NOISE_DBFS if ti.audio else None,
    }
    if not ti.cfr:
        doc["frame_times_s"] = [round(t, 6) for t in times]
    return doc


def video_info(codec, colour, pix_fmt, stored_w, stored_h, rotation=None):
    """The `video` member: what the stream is and how it is tagged."""
    tags = COLOURS[colour][1]
    info = {
        "codec": codec,
        "profile": {"h264": "High", "hevc": "Main 10" if "10" in pix_fmt else "Main"}[codec],
        "pix_fmt": pix_fmt,
        "color_primaries": tags["primaries"], "color_transfer": tags["transfer"],
        "color_space": tags["matrix"], "color_range": "tv",
        "stored_width": stored_w, "stored_height": stored_h,
        "display_matrix_rotation_deg": 0, "rotate_cw_to_display_deg": 0,
        "keyint_s": KEYINT_S,
    }
    if rotation:
        info.update(rotation)
    return info


def audio_info(sample_rate=48000, channels=2):
    layout = {2: "stereo", 6: "5.1"}[channels]
    return {"codec": "aac", "sample_rate": sample_rate, "channels": channels, "channel_layout": layout}
