"""The call's soundtrack: two espeak-ng voices at levels 6 dB apart over a
-60 dBFS pink-noise floor, and each speaker's speech envelope for the mouths.

Inputs: espeak-ng, sox and ffmpeg on PATH; the turns from timeline.py.
Outputs: a 48 kHz stereo 16-bit WAV written in chunks (never the whole track
in memory for long calls) and `Mix.mouth(who, t)`, 0..1.

Example:
    pool = synthesize_pool(tmp)                       # per speaker, 48 kHz mono
    mix = Mix(pool, turns, duration_s=24.0)
    mix.write_wav(tmp / "mix.wav")
    mix.mouth("A", 3.0)                              # 0.0 when A is silent
"""
import math
import re
import subprocess
import wave

import numpy as np

SR = 48000
ENV_RATE_HZ = 100  # speech envelope samples per second
ENV_WINDOW = 1600  # 33 ms RMS window at 48 kHz
MOUTH_MIN_OPEN = 0.04  # openness below this is drawn (and recorded) as closed
NOISE_DBFS = -60.0  # RMS of the pink noise floor, full scale sine = 0 dBFS
NOISE_SEED = 1234
CHUNK_S = 10

VOICES = {  # espeak-ng voice, pitch 0..99, speed words/min
    "A": {"voice": "en-us+f2", "pitch": 42, "speed": 165},
    "B": {"voice": "en-gb+f4", "pitch": 72, "speed": 158},
}
TARGET_LUFS = {"A": -20.0, "B": -26.0}  # integrated, each speaker's speech alone
TEXTS = {
    "A": ["Hello everyone, thanks for joining.", "Let me walk you through the results.",
          "Next slide, please.", "The new cluster finished overnight.", "Here are the numbers.",
          "Every segment passed the checks.", "Okay, moving on.",
          "The long recordings took about an hour."],
    "B": ["Thanks, that sounds great.", "How long did it take?", "Sure, go ahead.",
          "I have a question about the audio.", "Could you share the numbers?",
          "That is much faster than last year.", "Right.", "Were the faces centred?"],
}


def _run(cmd, what, **kw):
    proc = subprocess.run(cmd, capture_output=True, **kw)
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"{what}: {cmd[0]} exited with {proc.returncode}: {' | '.join(tail)}")
    return proc


def _trim(x, rel_db=-45.0):
    """Cut leading/trailing silence (below rel_db of the peak), 5 ms fades."""
    thr = np.max(np.abs(x)) * 10 ** (rel_db / 20)
    idx = np.nonzero(np.abs(x) > thr)[0]
    a, b = max(0, idx[0] - SR // 200), min(len(x), idx[-1] + SR // 50)
    y = x[a:b].copy()
    ramp = np.linspace(0.0, 1.0, SR // 200, dtype=np.float32)
    y[:len(ramp)] *= ramp
    y[-len(ramp):] *= ramp[::-1]
    return y


def ebur128_lufs(stereo_f32_bytes, what):
    """Integrated loudness (LUFS) of interleaved 48 kHz stereo float32 samples."""
    proc = _run(["ffmpeg", "-hide_banner", "-nostats", "-f", "f32le", "-ar", str(SR), "-ac", "2",
                 "-i", "-", "-af", "ebur128", "-f", "null", "-"], what, input=stereo_f32_bytes)
    return parse_ebur128(proc.stderr.decode(errors="replace"), what)


def parse_ebur128(stderr_text, what):
    found = re.findall(r"I:\s+(-?[0-9.]+|-inf) LUFS", stderr_text)
    if not found:
        raise RuntimeError(f"{what}: ffmpeg ebur128 printed no integrated loudness")
    return float(found[-1])


def synthesize_pool(tmpdir):
    """Every sentence of TEXTS, spoken, trimmed, at 48 kHz mono float32, each
    speaker scaled to its TARGET_LUFS. Returns (pool, gain_db) dicts by speaker."""
    pool, gain_db = {}, {}
    for who, texts in TEXTS.items():
        v = VOICES[who]
        clips = []
        for k, text in enumerate(texts):
            wav = tmpdir / f"speech_{who}{k}.wav"
            _run(["espeak-ng", "-v", v["voice"], "-p", str(v["pitch"]), "-s", str(v["speed"]),
                  "-w", str(wav), text], f"espeak-ng for speaker {who}")
            raw = _run(["sox", str(wav), "-t", "raw", "-e", "floating-point", "-b", "32", "-c", "1",
                        "-r", str(SR), "-", "rate", "-h"], f"sox resample of {wav}").stdout
            clips.append(_trim(np.frombuffer(raw, dtype="<f4")))
        cat = np.concatenate(clips)
        lufs = ebur128_lufs(np.repeat(cat, 2).astype("<f4").tobytes(), f"loudness of speaker {who}")
        gain_db[who] = TARGET_LUFS[who] - lufs
        g = np.float32(10 ** (gain_db[who] / 20))
        pool[who] = [c * g for c in clips]
        peak = max(float(np.max(np.abs(c))) for c in pool[who])
        if peak >= 0.98:
            raise RuntimeError(f"speaker {who}: peak {peak:.2f} after gain would clip; lower "
                               "TARGET_LUFS in audio.py")
    return pool, gain_db


def pink_noise(n, rng):
    """n samples of pink (1/f power) noise at NOISE_DBFS RMS."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.maximum(np.fft.rfftfreq(n, 1.0 / SR), 20.0)
    y = np.fft.irfft(spec / np.sqrt(f), n)
    rms_target = 10 ** (NOISE_DBFS / 20) / math.sqrt(2)  # 0 dBFS = full-scale sine
    return (y * (rms_target / np.sqrt(np.mean(y * y)))).astype(np.float32)


def _hop_rms(x, start_sample):
    """RMS of x around each 100 Hz grid point it covers: (first grid index, values)."""
    hop = SR // ENV_RATE_HZ
    k0 = -(-start_sample // hop)
    k1 = (start_sample + len(x)) // hop
    c = np.concatenate([[0.0], np.cumsum(x.astype(np.float64) ** 2)])
    centre = np.arange(k0, k1 + 1) * hop - start_sample
    lo = np.clip(centre - ENV_WINDOW // 2, 0, len(x))
    hi = np.clip(centre + ENV_WINDOW // 2, 0, len(x))
    return k0, np.sqrt((c[hi] - c[lo]) / ENV_WINDOW)


class Mix:
    """The placed utterances of all turns, over the noise floor."""

    def __init__(self, pool, turns, duration_s):
        self.samples = int(round(duration_s * SR))
        self.placed = []  # (start sample, speaker, clip)
        for turn in turns:
            for i, start_s in turn.utterances:
                self.placed.append((int(round(start_s * SR)), turn.who, pool[turn.who][i]))
        self.placed.sort(key=lambda p: p[0])
        n_env = self.samples // (SR // ENV_RATE_HZ) + 2
        self.env = {w: np.zeros(n_env) for w in pool}
        for start, who, clip in self.placed:
            k0, rms = _hop_rms(clip, start)
            k1 = min(n_env, k0 + len(rms))
            np.maximum(self.env[who][k0:k1], rms[:k1 - k0], out=self.env[who][k0:k1])
        self.ref = {}  # the level that opens the mouth fully
        for who, clips in pool.items():
            levels = np.concatenate([_hop_rms(c, 0)[1] for c in clips])
            self.ref[who] = float(np.percentile(levels[levels > 0], 90))

    def mouth(self, who, t_s, frame_dur_s):
        """Mouth openness 0..1 of `who` for the frame shown at t_s."""
        k = (t_s + frame_dur_s / 2) * ENV_RATE_HZ
        v = float(np.interp(k, np.arange(len(self.env[who])), self.env[who])) / self.ref[who]
        v = min(1.0, v)
        return round(v, 4) if v >= MOUTH_MIN_OPEN else 0.0

    def write_wav(self, path):
        """16-bit stereo (dual mono) at 48 kHz, CHUNK_S at a time."""
        chunk = CHUNK_S * SR
        with wave.open(str(path), "wb") as w:
            w.setnchannels(2)
            w.setsampwidth(2)
            w.setframerate(SR)
            for c0 in range(0, self.samples, chunk):
                c1 = min(self.samples, c0 + chunk)
                buf = pink_noise(c1 - c0, np.random.default_rng([NOISE_SEED, c0 // chunk]))
                for start, _, clip in self.placed:
                    if start >= c1:
                        break
                    a, b = max(c0, start), min(c1, start + len(clip))
                    if a < b:
                        buf[a - c0:b - c0] += clip[a - start:b - start]
                pcm = np.clip(np.round(buf * 32767.0), -32768, 32767).astype("<i2")
                w.writeframes(np.repeat(pcm, 2).tobytes())
