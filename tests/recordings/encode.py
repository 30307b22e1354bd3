"""ffmpeg command lines for the recordings, and a pipe that streams raw
frames into an ffmpeg process (frames are never held all at once).

Every output is deterministic: one thread, bitexact muxer/encoder flags, no
metadata, keyframes forced every KEYINT_S of presentation time (x264/x265
scene-cut detection off, so cuts are NOT on keyframes unless they happen to
fall on the 2 s grid), closed GOPs (x264/x265 defaults).

Example:
    spec = VideoSpec(codec="h264", colour="bt709")
    enc = Encoder(video_cmd(out, 640, 360, 30, spec, wav), out, log)
    enc.write(bgr_image); ...; enc.close()
"""
from dataclasses import dataclass
import fcntl
import os
import subprocess

KEYINT_S = 2.0
PIPE_BYTES = 1 << 20  # Linux's default pipe-max-size
VFR_TICK_HZ = 600
# Frame durations of the VFR variant in 1/600 s, repeated: 1/30 .. 1/20 s.
VFR_PATTERN = [20, 20, 30, 20, 25, 30, 20, 30]

COLOURS = {  # swscale matrix for RGB -> YUV, and the container/VUI tags
    "bt709": ("bt709", {"primaries": "bt709", "transfer": "bt709", "matrix": "bt709"}),
    "bt601": ("bt601", {"primaries": "smpte170m", "transfer": "smpte170m", "matrix": "smpte170m"}),
    "pq2020": ("bt2020", {"primaries": "bt2020", "transfer": "smpte2084", "matrix": "bt2020nc"}),
}
DETERMINISM = ["-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
               "-flags:a", "+bitexact", "-filter_threads", "1"]
AUDIO_STEREO = ["-c:a", "aac", "-b:a", "96k", "-ar", "48000", "-ac", "2"]
# 5.1 from the dual-mono mix: dialogue in the centre, half level front, quarter back.
AUDIO_51 = ["-af", "pan=5.1|FL=0.5*c0|FR=0.5*c1|FC=0.5*c0+0.5*c1|LFE=0*c0|BL=0.25*c0|BR=0.25*c1,"
            "aresample=44100", "-c:a", "aac", "-b:a", "160k", "-ar", "44100", "-ac", "6"]
HDR10_X265 = ("hdr10=1:hdr10-opt=1:master-display=G(13250,34500)B(7500,3000)R(34000,16000)"
              "WP(15635,16450)L(10000000,50):max-cll=1000,400")


@dataclass
class VideoSpec:
    codec: str = "h264"  # h264 | hevc
    colour: str = "bt709"  # key of COLOURS
    pix_fmt: str = "yuv420p"
    transpose: str = ""  # "" or an ffmpeg transpose direction (clock, cclock)
    vfr: bool = False  # frame times from VFR_PATTERN
    threads: int = 1


def vfr_times(duration_s):
    """Presentation times (s) of the VFR variant's frames, all < duration_s."""
    times, tick, k = [], 0, 0
    while tick < duration_s * VFR_TICK_HZ - 1e-6:
        times.append(tick / VFR_TICK_HZ)
        tick += VFR_PATTERN[k % len(VFR_PATTERN)]
        k += 1
    return times


def _vfr_setpts():
    offsets, acc = [], 0
    for d in VFR_PATTERN:
        offsets.append(acc)
        acc += d
    n = len(VFR_PATTERN)
    expr = "0"
    for k in range(n - 1, 0, -1):
        expr = f"if(eq(mod(N\\,{n})\\,{k})\\,{offsets[k]}\\,{expr})"
    return f"settb=1/{VFR_TICK_HZ},setpts=floor(N/{n})*{acc}+{expr}"


def colour_tags(colour):
    tags = COLOURS[colour][1]
    return ["-color_primaries", tags["primaries"], "-color_trc", tags["transfer"],
            "-colorspace", tags["matrix"], "-color_range", "tv"]


def video_cmd(out_path, width, height, fps, spec, wav=None, audio=AUDIO_STEREO, wav_limit_s=None):
    """ffmpeg reading bgr24 frames of width x height on stdin (+ a WAV)."""
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostats", "-y",
           "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{width}x{height}",
           "-framerate", str(fps), "-i", "-"]
    if wav:
        cmd += (["-t", f"{wav_limit_s:.6f}"] if wav_limit_s else []) + ["-i", str(wav)]
    vf = [_vfr_setpts()] if spec.vfr else []
    if spec.transpose:
        vf.append(f"transpose={spec.transpose}")
    vf.append(f"scale=out_color_matrix={COLOURS[spec.colour][0]}:out_range=tv"
              ":flags=bicubic+accurate_rnd+full_chroma_int+bitexact")
    vf.append(f"format={spec.pix_fmt}")
    cmd += ["-map", "0:v"] + (["-map", "1:a"] if wav else []) + ["-vf", ",".join(vf)]
    cmd += ["-force_key_frames", f"expr:gte(t,n_forced*{KEYINT_S})", "-forced-idr", "1",
            "-threads", str(spec.threads)]
    if spec.codec == "h264":
        cmd += ["-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-crf", "26",
                "-g", "300", "-sc_threshold", "0"]
    else:
        params = f"pools={spec.threads}:frame-threads=1:scenecut=0:keyint=300:log-level=error"
        if spec.colour == "pq2020":
            params += ":" + HDR10_X265
        cmd += ["-c:v", "libx265", "-preset", "ultrafast", "-crf", "30", "-tag:v", "hvc1",
                "-x265-params", params]
    cmd += colour_tags(spec.colour)
    if spec.vfr:
        cmd += ["-fps_mode", "passthrough", "-enc_time_base:v", f"1/{VFR_TICK_HZ}",
                "-video_track_timescale", str(VFR_TICK_HZ)]
    if wav:
        cmd += audio
    return cmd + DETERMINISM + ["-f", "mp4", str(out_path)]


def remux_cmd(src, out_path, wav=None, audio=None, extra=()):
    """Copy the video of src; drop its audio, or take new audio from wav."""
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostats", "-y", "-i", str(src)]
    if wav:
        cmd += ["-i", str(wav), "-map", "0:v", "-map", "1:a", "-c:v", "copy"] + list(audio)
    else:
        cmd += ["-map", "0:v", "-c", "copy"]
    return cmd + list(extra) + DETERMINISM + ["-f", "mp4", str(out_path)]


def run(cmd, what):
    proc = subprocess.run(cmd, capture_output=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"{what}: ffmpeg exited with {proc.returncode}: {' | '.join(tail)}")
    return proc.stdout.decode(errors="replace")


def probe(path, entries, select="v:0"):
    """ffprobe's default-format output for `entries` of one stream, as a dict."""
    out = run(["ffprobe", "-v", "error", "-select_streams", select, "-show_entries", entries,
               "-of", "default=noprint_wrappers=1", str(path)], f"ffprobe {path}")
    result = {}
    for line in out.splitlines():
        key, _, value = line.partition("=")
        result.setdefault(key, value)
    return result


class Encoder:
    """One ffmpeg process fed raw frames through its stdin."""

    def __init__(self, cmd, out_path, log_path):
        self.out_path, self.log_path = out_path, log_path
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     stderr=self.log)
        try:  # room for a whole small frame, so several encoders run side by side
            fcntl.fcntl(self.proc.stdin.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        except OSError:
            pass  # the default 64 KiB pipe works too, only slower
        self.frames = 0

    def write(self, image):
        try:
            self.proc.stdin.write(memoryview(image).cast("B"))
        except BrokenPipeError:
            self.proc.wait()
            self._fail()
        self.frames += 1

    def close(self):
        self.proc.stdin.close()
        rc = self.proc.wait()
        self.log.close()
        if rc != 0:
            self._fail()
        os.unlink(self.log_path)

    def _fail(self):
        self.log.close()
        with open(self.log_path, "rb") as f:
            tail = f.read().decode(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"{self.out_path}: ffmpeg exited with {self.proc.returncode} after "
                           f"{self.frames} frames: {' | '.join(tail)}")
