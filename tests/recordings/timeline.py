"""What happens when in a synthetic call: shots (layouts, hard cuts) and
speech turns (who speaks, when, and the silent gaps).

Shots live on the nominal frame grid (frame n at n / fps); speech is in
seconds. Speaker A is the astronaut, speaker B is Grace Hopper.

Inputs: the set (small, short, bench duration) and the length of every
utterance in the speech pool. Output: `Shot` and `Turn` lists.

Example:
    shots = small_shots()
    turns, gaps = schedule_speech(shots, FPS, {"A": [2.1, 1.2], "B": [2.4, 0.9]})
"""
from dataclasses import dataclass, field
import random

FPS = 30
SPEAKERS = ("A", "B")
PERSON_OF = {"A": "astronaut", "B": "grace_hopper"}
LAYOUTS = ("gallery", "speaker", "screen")

UTTERANCE_PAUSE_S = 0.3  # between utterances inside one turn
GAP_S = 1.5  # the silent gap in a screen-share shot: only the noise floor


@dataclass
class Shot:
    index: int
    start_frame: int  # first frame on the nominal grid
    end_frame: int  # one past the last frame
    layout: str  # gallery | speaker | screen
    speaker: str = ""  # the one face in a speaker shot

    def start_s(self, fps=FPS):
        return self.start_frame / fps

    def end_s(self, fps=FPS):
        return self.end_frame / fps

    def people(self):
        """Speaker ids of the faces shown, left to right."""
        if self.layout == "gallery":
            return ["A", "B"]
        if self.layout == "speaker":
            return [self.speaker]
        return []


@dataclass
class Turn:
    who: str
    start_s: float
    end_s: float
    utterances: list = field(default_factory=list)  # (pool index, start_s)


def _shots_from_cuts(cut_frames, end_frame, layouts):
    bounds = [0] + list(cut_frames) + [end_frame]
    shots = []
    for i, spec in enumerate(layouts):
        layout, _, speaker = spec.partition(":")
        shots.append(Shot(i, bounds[i], bounds[i + 1], layout, speaker))
    return shots


def small_shots():
    """The 24 s main call: cuts deliberately off the 2 s keyframe grid."""
    return _shots_from_cuts([197, 306, 481, 579], 720,
                            ["gallery", "speaker:A", "screen", "speaker:B", "gallery"])


def short_shots():
    """A 2 s clip: one gallery shot."""
    return _shots_from_cuts([], 60, ["gallery"])


def bench_shots(duration_s, fps=FPS, seed=20240611):
    """A long call: a seeded, repeating mix of layouts. Neighbouring shots never
    share a layout and speaker, so every cut is a clear one."""
    rng = random.Random(seed)
    end_frame = int(round(duration_s * fps))
    ranges = {"gallery": (8.0, 45.0), "speaker": (4.0, 25.0), "screen": (12.0, 90.0)}
    cycle = ["gallery", "speaker:A", "speaker:B", "gallery", "screen", "speaker:B",
             "speaker:A", "screen"]
    cuts, layouts, frame, k = [], [], 0, 0
    while True:
        spec = cycle[k % len(cycle)]
        lo, hi = ranges[spec.partition(":")[0]]
        length = int(round(rng.uniform(lo, hi) * fps))
        layouts.append(spec)
        if frame + length >= end_frame - int(3 * fps):
            break
        frame += length
        cuts.append(frame)
        k += 1
    return _shots_from_cuts(cuts, end_frame, layouts)


class _Pool:
    """Cycles through one speaker's utterances, taking the next that fits."""

    def __init__(self, durations_s):
        self.durations_s = durations_s
        self.next = 0

    def take(self, room_s):
        n = len(self.durations_s)
        for k in range(n):
            i = (self.next + k) % n
            if self.durations_s[i] <= room_s:
                self.next = i + 1
                return i
        return None


def _fill(pool, who, start_s, end_s, align_end=False):
    """Utterances from `pool` back to back in [start_s, end_s]; None when not
    even the shortest one fits."""
    t, placed = start_s, []
    while True:
        i = pool.take(end_s - t)
        if i is None:
            break
        placed.append((i, t))
        t += pool.durations_s[i] + UTTERANCE_PAUSE_S
    if not placed:
        return None
    last_end = placed[-1][1] + pool.durations_s[placed[-1][0]]
    shift = end_s - last_end if align_end else 0.0
    placed = [(i, s + shift) for i, s in placed]
    return Turn(who, placed[0][1], last_end + shift, placed)


def schedule_speech(shots, fps, durations_s, strict=True):
    """Turns and silent gaps for the shots.

    speaker shot: only that speaker talks, from just after the cut to just
    before the next; gallery: A and B alternate in ~3.5 s slots; screen share:
    one presenter (alternating per screen shot) talks, pauses GAP_S with only
    the noise floor, then talks again. With strict, a slot that no utterance
    fits is an error (the small set must have exactly the turns it promises).
    Returns (turns, gaps) with gaps as (start_s, end_s)."""
    pools = {w: _Pool(durations_s[w]) for w in SPEAKERS}
    turns, gaps, last, screens = [], [], "B", 0

    def add(who, a, b, align_end=False):
        turn = _fill(pools[who], who, a, b, align_end)
        if turn is None:
            if strict:
                raise RuntimeError(f"timeline: no utterance of speaker {who} fits the slot "
                                   f"{a:.2f}-{b:.2f} s; add a shorter sentence to audio.TEXTS")
            return None
        turns.append(turn)
        return turn

    for shot in shots:
        s0, s1 = shot.start_s(fps), shot.end_s(fps)
        length = s1 - s0
        if shot.layout == "speaker":
            add(shot.speaker, s0 + 0.25, s1 - 0.25)
            last = shot.speaker
        elif shot.layout == "gallery":
            n = max(2 if length >= 4.0 else 1, int(round(length / 3.5)))
            slot = length / n
            for k in range(n):
                who = "A" if last == "B" else "B"
                if add(who, s0 + k * slot + 0.2, s0 + (k + 1) * slot - 0.15):
                    last = who
        else:
            who = SPEAKERS[screens % 2]
            screens += 1
            if length >= 5.0:
                mid = s0 + 0.45 * length
                first = add(who, s0 + 0.2, mid - GAP_S / 2, align_end=True)
                second = add(who, mid + GAP_S / 2, s1 - 0.2)
                if first and second:
                    gaps.append((first.end_s, second.start_s))
            else:
                add(who, s0 + 0.2, s1 - 0.2)
            last = who
    return turns, gaps
