"""Builds the recording sets into a work directory (generate.py moves them
into place and keeps the cache stamp).

small: call.mp4 (the main 24 s call) and its variants, each with a JSON;
bench: one long call_<W>x<H>_<D>s.mp4 streamed frame by frame.

Example:
    names = build_small(Path("/tmp/work"), cascade_dir=None)
"""
import json
import time

from audio import SR, Mix, synthesize_pool
from encode import (AUDIO_51, Encoder, VideoSpec, probe, remux_cmd, run, vfr_times, video_cmd)
from faces import find_cascade, load_people
from render import Renderer
from timeline import FPS, bench_shots, schedule_speech, short_shots, small_shots
import truth

ROT90 = {"display_matrix_rotation_deg": -90, "rotate_cw_to_display_deg": 90}


def _log(msg):
    print(f"[recordings] {msg}", flush=True)


def _stream(renderer, times, duration_s, encoders):
    """Renders every frame once and feeds it to each (encoder, frame limit)."""
    frame_truth = []
    for i, t in enumerate(times):
        dur = (times[i + 1] if i + 1 < len(times) else duration_s) - t
        image, tr = renderer.render(t, dur)
        for enc, limit in encoders:
            if limit is None or i < limit:
                enc.write(image)
        frame_truth.append(tr)
    for enc, _ in encoders:
        enc.close()
    return frame_truth


def _write_json(work, name, doc):
    with open(work / name, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")


def _speech(pool):
    return {w: [len(c) / SR for c in clips] for w, clips in pool.items()}


def _enc(work, name, width, height, spec, wav=None, **kw):
    return Encoder(video_cmd(work / name, width, height, FPS, spec, wav, **kw), work / name,
                   work / (name + ".log"))


def _cfr_times(shots):
    return [n / FPS for n in range(shots[-1].end_frame)]


def build_small(work, cascade_dir):
    """Every file of the small set in `work`; returns their names."""
    t0 = time.monotonic()
    people = load_people(find_cascade(cascade_dir))
    pool, gain_db = synthesize_pool(work)
    durations = _speech(pool)
    _log(f"speech pool: {sum(map(len, durations.values()))} utterances, gains "
         f"{ {w: round(g, 2) for w, g in gain_db.items()} } dB ({time.monotonic() - t0:.1f} s)")

    # The main call, its HEVC copy and the rotated copy from one render.
    shots = small_shots()
    turns, gaps = schedule_speech(shots, FPS, durations)
    duration = shots[-1].end_s()
    mix = Mix(pool, turns, duration)
    wav = work / "mix.wav"
    mix.write_wav(wav)
    times = _cfr_times(shots)
    t1 = time.monotonic()
    encs = [(_enc(work, "call.mp4", 640, 360, VideoSpec(), wav), None),
            (_enc(work, "call_hevc.mp4", 640, 360, VideoSpec(codec="hevc"), wav), None),
            (_enc(work, "rot_stored.mp4", 640, 360, VideoSpec(transpose="cclock"), wav), None)]
    ft = _stream(Renderer(640, 360, shots, people, mix, FPS), times, duration, encs)
    _log(f"call, call_hevc, call_rot90: {len(times)} frames ({time.monotonic() - t1:.1f} s)")
    # ffmpeg 5.1 writes tag rotate=270 as display matrix -90: show the stored
    # picture rotated 90 degrees clockwise (what phones write as rotate=90).
    run(remux_cmd(work / "rot_stored.mp4", work / "call_rot90.mp4", extra=[
        "-map", "0:a", "-metadata:s:v:0", "rotate=270"]), "call_rot90.mp4")
    (work / "rot_stored.mp4").unlink()
    got = probe(work / "call_rot90.mp4", "stream_side_data=rotation").get("rotation")
    if got != "-90":
        raise RuntimeError(f"call_rot90.mp4: display matrix rotation is {got}, expected -90; this "
                           "ffmpeg handles -metadata rotate differently from 5.1")
    run(remux_cmd(work / "call.mp4", work / "call_noaudio.mp4"), "call_noaudio.mp4")
    run(remux_cmd(work / "call.mp4", work / "call_51.mp4", wav, AUDIO_51), "call_51.mp4")

    def doc(name, variant, frame_truth, frame_times, dur, width=640, height=360, cfr=True,
            video=None, audio=truth.audio_info(), turns_=turns, gaps_=gaps):
        video = video or truth.video_info("h264", "bt709", "yuv420p", width, height)
        return truth.build(truth.TruthInput(
            file=name, variant=variant, width=width, height=height, fps=FPS,
            frame_times_s=frame_times, frame_truth=frame_truth, duration_s=dur, cfr=cfr,
            turns=turns_, gaps=gaps_, video=video, audio=audio))

    _write_json(work, "call.json", doc("call.mp4", "main", ft, times, duration))
    _write_json(work, "call_hevc.json", doc(
        "call_hevc.mp4", "hevc", ft, times, duration,
        video=truth.video_info("hevc", "bt709", "yuv420p", 640, 360)))
    _write_json(work, "call_rot90.json", doc(
        "call_rot90.mp4", "rot90", ft, times, duration,
        video=truth.video_info("h264", "bt709", "yuv420p", 360, 640, ROT90)))
    _write_json(work, "call_noaudio.json", doc("call_noaudio.mp4", "noaudio", ft, times, duration,
                                               audio=None))
    _write_json(work, "call_51.json", doc("call_51.mp4", "5.1", ft, times, duration,
                                          audio=truth.audio_info(44100, 6)))

    # Variable frame rate: the same call sampled at uneven times.
    t1 = time.monotonic()
    vtimes = vfr_times(duration)
    enc = _enc(work, "call_vfr.mp4", 640, 360, VideoSpec(vfr=True), wav)
    vft = _stream(Renderer(640, 360, shots, people, mix, FPS), vtimes, duration, [(enc, None)])
    _write_json(work, "call_vfr.json", doc("call_vfr.mp4", "vfr", vft, vtimes, duration, cfr=False))
    _log(f"call_vfr: {len(vtimes)} frames ({time.monotonic() - t1:.1f} s)")

    # 4:3 at 480x360 in BT.601.
    t1 = time.monotonic()
    enc = _enc(work, "call_43_bt601.mp4", 480, 360, VideoSpec(colour="bt601"), wav)
    ft43 = _stream(Renderer(480, 360, shots, people, mix, FPS), times, duration, [(enc, None)])
    _write_json(work, "call_43_bt601.json", doc(
        "call_43_bt601.mp4", "43_bt601", ft43, times, duration, width=480,
        video=truth.video_info("h264", "bt601", "yuv420p", 480, 360)))
    _log(f"call_43_bt601: {len(times)} frames ({time.monotonic() - t1:.1f} s)")

    # A 2 s one-shot clip, and its first second as HDR (PQ, BT.2020, 10 bit).
    sshots = short_shots()
    sturns, sgaps = schedule_speech(sshots, FPS, durations)
    sdur = sshots[-1].end_s()
    smix = Mix(pool, sturns, sdur)
    swav = work / "mix_short.wav"
    smix.write_wav(swav)
    stimes = _cfr_times(sshots)
    hdr_frames = FPS
    hdr_spec = VideoSpec(codec="hevc", colour="pq2020", pix_fmt="yuv420p10le")
    encs = [(_enc(work, "call_short.mp4", 640, 360, VideoSpec(), swav), None),
            (_enc(work, "hdr.mp4", 640, 360, hdr_spec, swav, wav_limit_s=hdr_frames / FPS),
             hdr_frames)]
    sft = _stream(Renderer(640, 360, sshots, people, smix, FPS), stimes, sdur, encs)
    _write_json(work, "call_short.json", doc("call_short.mp4", "short", sft, stimes, sdur,
                                             turns_=sturns, gaps_=sgaps))
    hdur = hdr_frames / FPS
    _write_json(work, "hdr.json", doc(
        "hdr.mp4", "hdr", sft[:hdr_frames], stimes[:hdr_frames], hdur,
        video=truth.video_info("hevc", "pq2020", "yuv420p10le", 640, 360),
        turns_=sturns, gaps_=sgaps))
    for w in (wav, swav):
        w.unlink()
    _log(f"small set built in {time.monotonic() - t0:.1f} s")
    return SMALL_FILES


SMALL_FILES = [f"{stem}.{ext}" for stem in (
    "call", "call_vfr", "call_hevc", "call_noaudio", "call_short", "call_43_bt601", "call_rot90",
    "call_51", "hdr") for ext in ("mp4", "json")]


def bench_stem(duration_s, width, height):
    return f"call_{width}x{height}_{duration_s:g}s"


def build_bench(work, duration_s, width, height, threads, cascade_dir):
    """One long call at width x height, 30 fps; returns its file names."""
    t0 = time.monotonic()
    stem = bench_stem(duration_s, width, height)
    people = load_people(find_cascade(cascade_dir))
    pool, _ = synthesize_pool(work)
    shots = bench_shots(duration_s)
    turns, gaps = schedule_speech(shots, FPS, _speech(pool), strict=False)
    duration = shots[-1].end_s()
    mix = Mix(pool, turns, duration)
    wav = work / "mix.wav"
    mix.write_wav(wav)
    times = _cfr_times(shots)
    _log(f"{stem}: {len(shots)} shots, {len(turns)} turns, {len(times)} frames to render")
    enc = _enc(work, stem + ".mp4", width, height, VideoSpec(threads=threads), wav)
    ft = _stream(Renderer(width, height, shots, people, mix, FPS), times, duration, [(enc, None)])
    doc = truth.build(truth.TruthInput(
        file=stem + ".mp4", variant="bench", width=width, height=height, fps=FPS,
        frame_times_s=times, frame_truth=ft, duration_s=duration, turns=turns, gaps=gaps,
        video=truth.video_info("h264", "bt709", "yuv420p", width, height),
        audio=truth.audio_info()))
    _write_json(work, stem + ".json", doc)
    wav.unlink()
    elapsed = time.monotonic() - t0
    _log(f"{stem}: built in {elapsed:.1f} s ({len(times) / elapsed:.1f} frames/s)")
    return [stem + ".mp4", stem + ".json"]
