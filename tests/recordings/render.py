"""Draws the frames of a synthetic call and reports what it drew.

Inputs: frame size, shots (timeline.py), people (faces.py), the audio mix
(audio.py, for mouth openness). Output per frame time: a BGR image and the
ground truth of that frame (shot, and per face: speaker, box, mouth).

Layouts: gallery (two webcam tiles side by side), speaker (one large tile of
the speaker), screen (a slide with text and shapes, no face anywhere). Each
shot has its own background colour, so every cut is a clear one. Inside a
shot faces drift and zoom smoothly (~2 % of the frame width per second) and
stay inside their tile.

Example:
    r = Renderer(640, 360, shots, people, mix)
    image, truth = r.render(t_s=1.0, frame_dur_s=1 / 30)
"""
import math

import cv2
import numpy as np

from faces import draw_person
from timeline import PERSON_OF

# Per-shot window colours (BGR); neighbours always differ.
PALETTE = [(58, 46, 38), (112, 72, 28), (44, 96, 52), (92, 44, 104), (30, 84, 124),
           (120, 110, 40), (70, 70, 70), (40, 40, 120)]
DRIFT_X = 0.022  # amplitude, fraction of frame width
DRIFT_Y = 0.012
ZOOM = 0.04  # +-4 % face size
SLIDE_TITLES = ["Render farm: quarterly results", "Audio loudness per shot",
                "Segments and keyframes", "Next steps"]


def panes(shot, width, height):
    """Face tiles of a shot: (speaker, tile x, y, w, h in px, base face height px)."""
    people = shot.people()
    if shot.layout == "gallery":
        gap = int(round(0.02 * width))
        tw = (width - 3 * gap) // 2
        th = min(int(tw * (0.75 if width / height > 1.5 else 1.0)), int(0.82 * height))
        ty = (height - th) // 2
        return [(who, (gap + k * (tw + gap), ty, tw, th), 0.42 * th) for k, who in enumerate(people)]
    if shot.layout == "speaker":
        mx, my = int(round(0.03 * width)), int(round(0.05 * height))
        return [(people[0], (mx, my, width - 2 * mx, height - 2 * my), 0.48 * height)]
    return []


def face_motion(t_s, tile, base_h, phase, width):
    """Face centre (x, y) and height in px at t_s: smooth drift and zoom."""
    tx, ty, tw, th = tile
    cx = tx + tw / 2 + DRIFT_X * width * math.sin(2 * math.pi * t_s / 6.3 + 1.3 * phase)
    cy = ty + 0.47 * th + DRIFT_Y * width * math.sin(2 * math.pi * t_s / 5.2 + 0.7 * phase)
    fh = base_h * (1 + ZOOM * math.sin(2 * math.pi * t_s / 7.1 + phase))
    return cx, cy, fh


def _window(width, height, colour):
    """A call window: vertical gradient in the shot colour and a top bar."""
    ramp = np.linspace(0.75, 1.15, height, dtype=np.float32)[:, None, None]
    img = np.clip(np.array(colour, np.float32)[None, None, :] * ramp, 0, 255)
    img = np.repeat(img, width, axis=1).astype(np.uint8)
    bar = max(4, height // 30)
    img[:bar] = (24, 24, 24)
    return img


def _text(img, text, org, scale_px, colour, thick=1):
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale_px / 22.0, colour,
                max(1, thick), cv2.LINE_AA)


def _slide(width, height, shot_index):
    """A shared screen: title, bullets, a bar chart and a pie; no faces."""
    u = height / 360.0
    img = np.full((height, width, 3), (246, 244, 238), np.uint8)
    accent = PALETTE[shot_index % len(PALETTE)]
    cv2.rectangle(img, (0, 0), (width, int(52 * u)), accent, -1)
    title = SLIDE_TITLES[shot_index % len(SLIDE_TITLES)]
    _text(img, title, (int(16 * u), int(36 * u)), 20 * u, (255, 255, 255), int(2 * u))
    bullets = ["Throughput up 40 % on 3 nodes", "Every segment verified",
               "Loudness spread 0.8 LU", "Faces centred in 96 % of frames"]
    for k, line in enumerate(bullets):
        y = int((92 + 38 * k) * u)
        cv2.circle(img, (int(24 * u), y - int(5 * u)), max(2, int(4 * u)), (60, 60, 60), -1, cv2.LINE_AA)
        _text(img, line, (int(36 * u), y), 14 * u, (40, 40, 40), int(1.4 * u))
    x0, base = int(width * 0.60), int(300 * u)
    values = [0.35, 0.6, 0.45, 0.8, 0.7]
    bar_w = int(width * 0.05)
    for k, v in enumerate(values):
        x = x0 + k * int(bar_w * 1.4)
        colour = PALETTE[(shot_index + k + 1) % len(PALETTE)]
        cv2.rectangle(img, (x, base - int(v * 170 * u)), (x + bar_w, base), colour, -1)
    cv2.line(img, (x0 - 4, base), (width - int(10 * u), base), (30, 30, 30), max(1, int(u)))
    centre, radius = (int(width * 0.24), int(285 * u)), int(40 * u)
    cv2.ellipse(img, centre, (radius, radius), 0, 0, 250, (60, 140, 220), -1, cv2.LINE_AA)
    cv2.ellipse(img, centre, (radius, radius), 0, 250, 360, (90, 180, 90), -1, cv2.LINE_AA)
    return img


def _cursor(img, t_s, width, height):
    """A small mouse pointer wandering over the chart (over the text, pointer
    and letters together can look like a face to the Haar cascade)."""
    x = width * (0.75 + 0.15 * math.sin(t_s * 0.9))
    y = height * (0.62 + 0.18 * math.sin(t_s * 0.6 + 1.0))
    s = max(6, height // 40)
    pts = np.array([[x, y], [x, y + 1.6 * s], [x + 0.45 * s, y + 1.15 * s],
                    [x + 1.1 * s, y + 1.1 * s]]) * 16
    cv2.fillPoly(img, [pts.astype(np.int32)], (10, 10, 10), cv2.LINE_AA, 4)


class Renderer:
    def __init__(self, width, height, shots, people, mix, fps):
        self.width, self.height, self.fps = width, height, fps
        self.shots, self.people, self.mix = shots, people, mix
        self._base = {}

    def shot_at(self, t_s):
        """The shot shown at t_s (a frame belongs to the shot its time falls in)."""
        for shot in self.shots:
            if t_s < shot.end_s(self.fps) - 1e-9:
                return shot
        return self.shots[-1]

    def _background(self, shot):
        if shot.index not in self._base:
            self._base.clear()  # one shot at a time is enough
            colour = PALETTE[shot.index % len(PALETTE)]
            self._base[shot.index] = (_slide(self.width, self.height, shot.index)
                                      if shot.layout == "screen"
                                      else _window(self.width, self.height, colour))
        return self._base[shot.index]

    def render(self, t_s, frame_dur_s):
        """(BGR image, truth) of the frame shown at t_s for frame_dur_s.
        truth = (shot, [(speaker, (x, y, w, h) normalised, mouth 0..1), ...])."""
        shot = self.shot_at(t_s)
        img = self._background(shot).copy()
        faces = []
        for k, (who, tile, base_h) in enumerate(panes(shot, self.width, self.height)):
            cx, cy, fh = face_motion(t_s, tile, base_h, 1.7 * shot.index + 2.3 * k, self.width)
            mouth = self.mix.mouth(who, t_s, frame_dur_s) if self.mix else 0.0
            box = draw_person(img, self.people[PERSON_OF[who]], tile, cx, cy, fh, mouth)
            self._check_inside(box, tile, shot)
            tx, ty, tw, th = tile
            u = self.height / 360.0
            label = f"{who} {PERSON_OF[who]}"
            cv2.rectangle(img, (tx, ty + th - int(20 * u)), (tx + int(len(label) * 8 * u) + 8, ty + th),
                          (20, 20, 20), -1)
            _text(img, label, (tx + 4, ty + th - int(6 * u)), 11 * u, (235, 235, 235))
            faces.append((who, (box[0] / self.width, box[1] / self.height,
                                box[2] / self.width, box[3] / self.height), mouth))
        if shot.layout == "screen":
            _cursor(img, t_s, self.width, self.height)
        return img, (shot, faces)

    def _check_inside(self, box, tile, shot):
        x, y, w, h = box
        tx, ty, tw, th = tile
        if x < tx + 1 or y < ty + 1 or x + w > tx + tw - 1 or y + h + 0.25 * h > ty + th:
            raise RuntimeError(f"render: face box {box} leaves its tile {tile} in shot {shot.index} "
                               f"({self.width}x{self.height}); reduce DRIFT_X/ZOOM in render.py")
