"""Real face photos for the synthetic call, and how one is drawn into a tile.

Inputs: skimage's astronaut.png (person "astronaut", speaker A) and
matplotlib's grace_hopper.jpg (person "grace_hopper", speaker B), found on
disk; the Haar cascade haarcascade_frontalface_default.xml finds each face
once. Output: `Person` records and `draw_person`, which warps the photo into a
tile like a webcam feed (the face moves and zooms inside it) and returns the
face box as drawn.

Example:
    people = load_people(cascade_dir)
    box_px = draw_person(frame, people["astronaut"], tile_px, cx, cy, fh, 0.7)
"""
from dataclasses import dataclass
import glob
import os

import cv2
import numpy as np

CASCADE_NAME = "haarcascade_frontalface_default.xml"
CASCADE_DIRS = ["/usr/share/opencv4/haarcascades", "/usr/share/opencv/haarcascades"]

# Where Debian's python3-skimage / python3-matplotlib / python3-imageio put the photos.
PHOTO_CANDIDATES = {
    "astronaut": [
        "/usr/lib/python3/dist-packages/skimage/data/astronaut.png",
        "/usr/lib/python3/dist-packages/imageio/resources/images/astronaut.png",
    ],
    "grace_hopper": [
        "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg",
        "/usr/lib/python3/dist-packages/matplotlib/mpl-data/sample_data/grace_hopper.jpg",
    ],
}
PHOTO_GLOBS = {
    "astronaut": "/usr/lib/python3*/**/astronaut.png",
    "grace_hopper": "/usr/**/grace_hopper.jpg",
}

# Mouth centre relative to the detected face box (x, y in 0..1), read off the
# two photos once by eye; the mouth overlay is drawn there.
MOUTH_REL = {"astronaut": (0.49, 0.82), "grace_hopper": (0.48, 0.80)}

MOUTH_COLOUR_BGR = (38, 24, 62)
MOUTH_ALPHA = 0.9
MOUTH_MIN_OPEN = 0.04  # below this the mouth is drawn closed (no change at all)


@dataclass
class Person:
    name: str
    image: np.ndarray  # BGR photo
    box_px: tuple  # face box in the photo: x, y, w, h (Haar cascade, once)
    mouth_rel: tuple  # mouth centre relative to the face box


def find_cascade(cascade_dir=None):
    dirs = ([cascade_dir] if cascade_dir else []) + CASCADE_DIRS
    for d in dirs:
        path = os.path.join(d, CASCADE_NAME)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(
        f"{CASCADE_NAME}: not found in {', '.join(dirs)}; install Debian package opencv-data "
        "or pass --cascade-dir")


def find_photo(name):
    for path in PHOTO_CANDIDATES[name]:
        if os.path.isfile(path):
            return path
    hits = sorted(glob.glob(PHOTO_GLOBS[name], recursive=True))
    if hits:
        return hits[0]
    raise FileNotFoundError(
        f"face photo for '{name}': none of {PHOTO_CANDIDATES[name]} exists; install Debian "
        "packages python3-skimage and python3-matplotlib")


def detect_faces(cascade, bgr, min_size_px=24):
    """All frontal faces in a BGR image as (x, y, w, h) rows, the detector settings
    the self-check also uses."""
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    found = cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5,
                                     minSize=(min_size_px, min_size_px))
    return [tuple(int(v) for v in row) for row in found] if len(found) else []


def load_people(cascade_path):
    cascade = cv2.CascadeClassifier(cascade_path)
    if cascade.empty():
        raise RuntimeError(f"{cascade_path}: OpenCV could not load the cascade; the file is damaged")
    people = {}
    for name in ("astronaut", "grace_hopper"):
        path = find_photo(name)
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        if image is None:
            raise RuntimeError(f"{path}: OpenCV could not read the photo")
        faces = detect_faces(cascade, image, min_size_px=60)
        if not faces:
            raise RuntimeError(f"{path}: the Haar cascade found no face; the photo is not the expected one")
        box = max(faces, key=lambda f: f[2] * f[3])
        people[name] = Person(name, blur_background(image, box), box, MOUTH_REL[name])
    return people


def blur_background(image, box):
    """Webcam-style background blur: sharp head and shoulders, blurred rest.
    Without it the flag in the photos (stars next to a dark tile gap) fools
    the Haar cascade into seeing extra faces."""
    x, y, w, h = box
    mask = np.zeros(image.shape[:2], np.float32)
    cx, cy = x + w / 2, y + h / 2
    cv2.ellipse(mask, (int(cx), int(cy - 0.1 * h)), (int(0.75 * w), int(0.85 * h)), 0, 0, 360, 1.0, -1)
    cv2.ellipse(mask, (int(cx), int(cy + 1.75 * h)), (int(1.7 * w), int(1.3 * h)), 0, 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), 0.08 * w)[:, :, None]
    blurred = cv2.GaussianBlur(image, (0, 0), 0.12 * w)
    out = image.astype(np.float32) * mask + blurred.astype(np.float32) * (1.0 - mask)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def draw_person(frame, person, tile_px, cx, cy, face_h_px, mouth_open):
    """Fills tile_px (x, y, w, h in frame pixels) with the photo scaled so that
    the face box is face_h_px tall and centred at (cx, cy) in frame pixels, then
    draws the mouth opening (0..1). Returns the face box as drawn, in float
    frame pixels (x, y, w, h)."""
    tx, ty, tw, th = tile_px
    bx, by, bw, bh = person.box_px
    scale = face_h_px / bh
    src_cx, src_cy = bx + bw / 2.0, by + bh / 2.0
    m = np.array([[scale, 0.0, cx - tx - scale * src_cx],
                  [0.0, scale, cy - ty - scale * src_cy]], dtype=np.float64)
    tile = cv2.warpAffine(person.image, m, (tw, th), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REFLECT_101)
    frame[ty:ty + th, tx:tx + tw] = tile
    fw, fh = bw * scale, bh * scale
    box = (cx - fw / 2.0, cy - fh / 2.0, fw, fh)
    if mouth_open >= MOUTH_MIN_OPEN:
        draw_mouth(frame, box, person.mouth_rel, mouth_open)
    return box


def draw_mouth(frame, box, mouth_rel, mouth_open):
    """A dark ellipse over the mouth whose height follows the speech envelope."""
    x, y, w, h = box
    mx, my = x + mouth_rel[0] * w, y + mouth_rel[1] * h
    ax, ay = 0.17 * w, max(1.0, mouth_open * 0.095 * h)
    x0, y0 = int(mx - ax - 2), int(my - ay - 2)
    x1, y1 = int(mx + ax + 3), int(my + ay + 3)
    roi = frame[y0:y1, x0:x1]
    overlay = roi.copy()
    shift = 4  # sub-pixel precision for smooth motion
    cv2.ellipse(overlay, (int(round((mx - x0) * 16)), int(round((my - y0) * 16))),
                (int(round(ax * 16)), int(round(ay * 16))), 0, 0, 360, MOUTH_COLOUR_BGR,
                -1, cv2.LINE_AA, shift)
    roi[:] = cv2.addWeighted(overlay, MOUTH_ALPHA, roi, 1.0 - MOUTH_ALPHA, 0.0)
