"""The face: blush, eyes, nose, mouth and whiskers, set by the cat's expression."""

from vending_service.catalogue.palette import INK, PINK, WHITE, Colour, luma, mix
from vending_service.catalogue.sketch import Sketch


def draw_face(sketch: Sketch) -> None:
    """The face on the finished head; closed or open eyes and the mouth follow the expression."""
    t, h, pen = sketch.traits, sketch.head, sketch.pen
    dark_muzzle = luma(sketch.muzzle) < 110
    line = (236, 228, 230) if dark_muzzle else mix(sketch.outline, INK, 0.5)
    whisker = (240, 236, 236) if dark_muzzle else (70, 58, 60)

    # blush
    if t.blush:
        blush = mix(sketch.muzzle, (255, 120, 150), 0.45)
        for s in (-1, 1):
            pen.ellipse(*h.at(s * 0.6, 0.28), 0.13 * h.rx, 0.08 * h.ry, fill=blush)

    # eyes
    ey = h.cy - 0.02 * h.ry
    lid = (236, 228, 230) if luma(t.coat.base) < 110 else INK
    for i, s in enumerate((-1, 1)):
        ex = h.cx + s * 0.38 * h.rx
        closed = t.expression in ("happy", "sleepy") or (t.expression == "wink" and s == 1)
        if closed:
            _closed_eye(sketch, ex, ey, lid)
        else:
            _open_eye(sketch, ex, ey, t.eyes[i])

    # nose
    nose_y = h.cy + 0.22 * h.ry
    nw, nh = 0.075 * h.rx, 0.055 * h.ry
    nose_colour = (84, 56, 50) if t.coat.kind == "pointed" else PINK
    nose = ((h.cx - nw, nose_y - nh), (h.cx + nw, nose_y - nh), (h.cx, nose_y + nh))
    pen.polygon(nose, fill=nose_colour)
    pen.stroke(nose, nose_colour, 0.04 * h.rx, closed=True)
    pen.circle((h.cx - nw * 0.35, nose_y - nh * 0.55), 0.018 * h.rx, mix(nose_colour, WHITE, 0.5))

    # mouth
    mw = 0.075 * h.rx
    my = nose_y + nh + 0.06 * h.ry
    lw = 0.026 * h.rx
    if t.expression == "happy":
        pen.chord(h.cx, my, 1.5 * mw, 1.6 * mw, 0, 180, (150, 52, 70), line, lw)
        pen.chord(h.cx, my + 0.7 * mw, 0.9 * mw, 0.8 * mw, 180, 360, PINK)
        pen.stroke(((h.cx, nose_y + nh), (h.cx, my)), line, lw)
    elif t.expression == "surprised":
        pen.stroke(((h.cx, nose_y + nh), (h.cx, my)), line, lw)
        pen.ellipse(
            h.cx,
            my + 0.7 * mw,
            0.55 * mw,
            0.75 * mw,
            fill=(120, 44, 60),
            outline=line,
            width=lw,
        )
    else:
        if t.expression == "blep":
            tongue = (h.cx + 0.25 * mw, my + 1.35 * mw)
            pen.ellipse(
                *tongue,
                0.75 * mw,
                1.05 * mw,
                fill=PINK,
                outline=mix(PINK, INK, 0.5),
                width=lw * 0.8,
            )
            pen.stroke(
                ((tongue[0], tongue[1] - 0.2 * mw), (tongue[0], tongue[1] + 0.5 * mw)),
                mix(PINK, INK, 0.3),
                lw * 0.6,
            )
        pen.stroke(((h.cx, nose_y + nh), (h.cx, my)), line, lw)
        pen.arc(h.cx - mw, my - 0.2 * mw, mw, mw, 10, 170, line, lw)
        pen.arc(h.cx + mw, my - 0.2 * mw, mw, mw, 10, 170, line, lw)

    # whiskers
    for s in (-1, 1):
        for j, fy in enumerate((-0.06, 0.06, 0.18)):
            start = h.at(s * 0.34, 0.26 + fy * 0.5)
            end = h.at(s * (1.2 - 0.05 * j), 0.16 + fy * 1.6)
            pen.stroke((start, end), whisker, 0.018 * h.rx + 0.6)

    if t.expression == "sleepy":
        zx, zy = h.at(sketch.side * 1.0, -1.05)
        for scale, (ox, oy) in ((1.0, (0.0, 0.0)), (0.65, (sketch.side * 16.0, -16.0))):
            z = 7 * scale
            pts = (
                (zx + ox - z, zy + oy - z),
                (zx + ox + z, zy + oy - z),
                (zx + ox - z, zy + oy + z),
                (zx + ox + z, zy + oy + z),
            )
            pen.stroke(pts, (90, 90, 140), 2.6 * scale)


def _open_eye(sketch: Sketch, ex: float, ey: float, iris: Colour) -> None:
    h, pen, expr = sketch.head, sketch.pen, sketch.traits.expression
    w, hh = 0.155 * h.rx, 0.2 * h.ry
    pupil_w, pupil_h = 0.5, 0.78
    if expr == "curious":
        w, hh, pupil_w, pupil_h = 0.19 * h.rx, 0.2 * h.rx, 0.7, 0.72
    elif expr == "surprised":
        w, hh, pupil_w, pupil_h = 0.17 * h.rx, 0.17 * h.rx, 0.28, 0.3
    ring = 0.03 * h.rx
    pen.ellipse(ex, ey, w, hh, fill=iris, outline=INK, width=ring)
    pen.ellipse(ex, ey + 0.06 * hh, w * 0.62, hh * 0.62, fill=mix(iris, WHITE, 0.3))
    pen.ellipse(ex, ey + 0.04 * hh, w * pupil_w, hh * pupil_h, fill=(24, 20, 26))
    pen.circle((ex + 0.22 * w, ey - 0.3 * hh), 0.24 * w, WHITE)
    pen.circle((ex - 0.3 * w, ey + 0.4 * hh), 0.1 * w, WHITE)


def _closed_eye(sketch: Sketch, ex: float, ey: float, ink: Colour) -> None:
    h, pen = sketch.head, sketch.pen
    w = 0.15 * h.rx
    width = 0.035 * h.rx
    if sketch.traits.expression == "sleepy":
        pen.arc(ex, ey - 0.35 * w, w, 0.8 * w, 20, 160, ink, width)
    else:
        pen.arc(ex, ey + 0.35 * w, w, 0.9 * w, 200, 340, ink, width)
