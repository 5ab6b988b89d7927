"""Text panels of the preview: status HUD, events, selected actor, help, reload errors.

The ``*_lines`` functions build (text, colour) lines from the playback's state
and are plain (tested without a window); ``draw_lines`` puts lines on a surface.
"""

from __future__ import annotations

import math

import pygame

from simdrive.core import layout as L
from simdrive.errors import ScenarioError, SimdriveError
from simdrive.preview.keys import help_lines
from simdrive.preview.playback import LookOverride, Playback
from simdrive.render.renderer import Frame
from simdrive.sim import Event

Line = tuple[str, tuple[int, int, int]]
WHITE = (235, 235, 235)
GREY = (160, 164, 170)
TITLE = (255, 214, 90)
GOOD = (110, 230, 130)
WARN = (255, 170, 60)
BAD = (255, 90, 90)
RECENT_EVENT_S = 2.0  # events this recent (simulated s) are highlighted
_MODES = {L.MODE_STATIC: "static", L.MODE_LANE: "lane", L.MODE_LANE_FREE: "lane (free)",
          L.MODE_GOTO: "go to point"}


def _num(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _seconds(value: float) -> str:
    return f"{value:.2f} s" if math.isfinite(value) else "none"


def _metres(value: float) -> str:
    return f"{value:.2f} m" if math.isfinite(value) else "none"


def status_lines(pb: Playback, *, playing: bool, speed: float, boxes: bool,
                 fps: float | None = None) -> list[Line]:
    """Scenario, variant and parameters, time, look, ego speed, min TTC, modes."""
    v = pb.variant
    lines: list[Line] = [(f"{pb.spec.name}   variant {v.index} ({pb.position + 1} of {pb.count})"
                          f"   seed {v.seed}", TITLE)]
    hidden = pb.spec.per_instance  # each of a count's actors draws its own placement
    lines.append(("  " + "   ".join(f"{k}={_num(val)}" for k, val in v.values.items()
                                    if k not in hidden), GREY))
    state = "END" if pb.at_end else ("playing" if playing else "paused")
    lines.append((f"t = {pb.time_s:5.2f} / {pb.spec.duration:g} s   step {pb.step}/{pb.n_steps}"
                  f"   {state}  x{speed:g}" + (f"   {fps:4.0f} fps" if fps else ""), WHITE))
    look = pb.look()
    overridden = pb.override != LookOverride()
    text = f"weather {look.weather}   lighting {look.lighting}"
    lines.append((text + ("   (picture only; physics: the variant's)" if overridden else ""),
                  WARN if overridden else WHITE))
    o = pb.outcome()
    ego = pb.sim.blocks.wint[0, L.WI_EGO]
    ego_speed = float(pb.sim.blocks.fstate[0, L.F_SPEED, ego]) if ego >= 0 else math.nan
    ttc_colour = BAD if o.min_ttc_s < 1.0 else (WARN if o.min_ttc_s < 2.0 else WHITE)
    lines.append((f"ego {ego_speed:5.2f} m/s ({ego_speed * 3.6:5.1f} km/h)   min TTC "
                  f"{_seconds(o.min_ttc_s)}   min distance {_metres(o.min_distance_m)}",
                  ttc_colour))
    if o.collision:
        lines.append((f"COLLISION with {o.collision_with} at {o.collision_time_s:.2f} s, "
                      f"{o.ego_speed_at_impact_mps:.1f} m/s", BAD))
    manual = "MANUAL (arrows drive)" if pb.manual else ("manual-driven" if pb.driven else "auto")
    lines.append((f"camera {pb.camera_name}   boxes {'on' if boxes else 'off'}   ego: {manual}"
                  "   h: help", GOOD if pb.manual else GREY))
    return lines


def event_lines(events: list[Event], now_s: float, limit: int = 8) -> list[Line]:
    """The latest ``limit`` events up to now; the newest highlighted."""
    lines: list[Line] = [("events:", TITLE)]
    shown = [e for e in events if e.time_s <= now_s + 1e-9][-limit:]
    if not shown:
        lines.append(("  none yet", GREY))
    for e in shown:
        recent = now_s - e.time_s < RECENT_EVENT_S
        if e.kind == "collision":
            text = (f"  {e.time_s:5.2f} s  COLLISION {e.actor} x {e.other}, relative speed "
                    f"{e.relative_speed_mps:.1f} m/s")
            colour = BAD
        else:
            text = f"  {e.time_s:5.2f} s  {e.actor}: {e.other}"
            colour = WARN if recent else WHITE
        lines.append((text, colour if recent or e.kind == "collision" else GREY))
    return lines


def actor_lines(pb: Playback, name: str, frame: Frame | None) -> list[Line]:
    """State of the selected actor and its labels in the shown camera frame."""
    names = pb.sim.actor_names[0]
    if name not in names:
        return []
    i = names.index(name)
    b = pb.sim.blocks
    f, st = b.fstate[0], b.istate[0]
    lane = int(st[L.I_LANE, i])
    lane_name = pb.sim.road_map.lanes[lane].name if lane >= 0 else "-"
    crashed = bool(st[L.I_FLAGS, i] & L.FLAG_CRASHED)
    lines: list[Line] = [(f"selected: {name} (#{i})", TITLE),
                         (f"  x {f[L.F_X, i]:.2f} m  y {f[L.F_Y, i]:.2f} m  heading "
                          f"{math.degrees(f[L.F_HEADING, i]):.1f} deg", WHITE),
                         (f"  speed {f[L.F_SPEED, i]:.2f} m/s  accel {f[L.F_ACCEL, i]:.2f} m/s^2"
                          f"  steer {math.degrees(f[L.F_STEER, i]):.1f} deg", WHITE),
                         (f"  {_MODES.get(int(st[L.I_MODE, i]), '?')} on lane {lane_name}"
                          + ("  CRASHED" if crashed else ""), BAD if crashed else WHITE)]
    o = pb.outcome()
    if name in o.min_ttc_by_actor:
        lines.append((f"  vs ego: min TTC {_seconds(o.min_ttc_by_actor[name])}, min distance "
                      f"{_metres(o.min_distance_by_actor[name])}", WHITE))
    label = next((lab for lab in frame.labels if lab.name == name), None) if frame else None
    if label is None:
        lines.append(("  no label in this camera (its own vehicle)", GREY))
    elif not label.in_view:
        lines.append((f"  not in view of {frame.camera.name}", GREY))
    else:
        box = label.visible_box
        lines += [(f"  label: {label.kind} / {label.category}, track id {label.track_id}", WHITE),
                  ("  amodal " + " ".join(f"{v:.0f}" for v in label.amodal_box)
                   + "   visible " + (" ".join(str(v) for v in box) if box else "none"), WHITE),
                  (f"  occlusion {label.occlusion:.2f}  truncation {label.truncation:.2f}  "
                   f"{label.visible_pixels} px  {label.distance_m:.1f} m", WHITE)]
    return lines


def error_lines(error: BaseException) -> list[Line]:
    """A reload that failed: file, line and message (the last good version keeps playing)."""
    lines: list[Line] = [("scenario reload failed, still playing the last good version:", BAD)]
    if isinstance(error, ScenarioError):
        where = f"{error.file}" + (f", line {error.line}" if error.line is not None else "") + (
            f", column {error.column}" if error.column is not None else "")
        lines.append((where, WHITE))
        lines.append((error.render().split(": ", 1)[-1] if error.where else error.render(),
                      WHITE))
    elif isinstance(error, SimdriveError):
        lines.append((error.render(), WHITE))
    else:
        lines.append((f"{type(error).__name__}: {error}", WHITE))
    return lines


def help_panel_lines() -> list[Line]:
    return [("keys", TITLE)] + [(f"{keys:<8} {what}", WHITE) for keys, what in help_lines()]


def wrap(lines: list[Line], font: pygame.font.Font, width_px: int) -> list[Line]:
    """Lines broken at spaces so that each fits ``width_px``; a word too long for a line
    of its own (a file's path) is broken after its last '/' that fits, else anywhere."""
    out: list[Line] = []
    for text, colour in lines:
        indent = " " * (len(text) - len(text.lstrip(" ")) + 2)
        while font.size(text)[0] > width_px and len(text.strip()) > 1:
            cut = len(text)
            while cut > 0 and font.size(text[:cut])[0] > width_px:
                cut = text.rfind(" ", 0, cut - 1)
            if cut <= len(indent):  # no space to break at: break the word
                fits = len(text) - 1
                while fits > len(indent) + 1 and font.size(text[:fits])[0] > width_px:
                    fits -= 1
                slash = text.rfind("/", len(indent) + 1, fits)
                cut = slash + 1 if slash > len(indent) else fits
                if cut <= len(indent) + 1:
                    break
            out.append((text[:cut], colour))
            text = indent + text[cut:].lstrip(" ")
        out.append((text, colour))
    return out


def draw_lines(surface: pygame.Surface, rect: pygame.Rect, lines: list[Line],
               font: pygame.font.Font, background: tuple[int, ...] | None = None,
               padding: int = 6) -> int:
    """Draw wrapped lines into ``rect`` (clipped); returns the height used, px."""
    lines = wrap(lines, font, rect.width - 2 * padding)
    height = font.get_linesize() * len(lines) + 2 * padding
    if background is not None:
        panel = pygame.Surface((rect.width, min(height, rect.height)), pygame.SRCALPHA)
        panel.fill(background)
        surface.blit(panel, rect.topleft)
    surface.set_clip(rect)
    y = rect.y + padding
    for text, colour in lines:
        if y > rect.bottom:
            break
        surface.blit(font.render(text, True, colour), (rect.x + padding, y))
        y += font.get_linesize()
    surface.set_clip(None)
    return height
