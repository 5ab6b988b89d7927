"""The preview window: a thin loop around ``Viewer.handle(event)`` and ``Viewer.tick(dt)``.

``Viewer`` owns the window and the viewer-only state (playing, playback speed,
boxes, help, selection, the bird's-eye transform); the simulation is the
:class:`~simdrive.preview.playback.Playback`'s, which only steps and renders
through the public API. Time comes from outside: ``tick(dt_s)`` advances the
simulation by wall time x playback speed in whole steps of the scenario's dt
(at most ``MAX_STEPS_PER_TICK``: a slow frame drops time instead of piling
it up), re-renders only when something changed, and draws. Tests drive a
Viewer with posted events and a virtual clock; ``run_viewer`` is the real loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pygame

from simdrive.core import layout as L
from simdrive.errors import SimdriveError
from simdrive.preview import hud
from simdrive.preview.keys import command_for, held_control
from simdrive.preview.playback import Playback
from simdrive.preview.reload import Reloader
from simdrive.preview.views import BirdsEyeView, actor_at, dashcam_surface, fit_size
from simdrive.render.scene import scene_from_simulation

SPEEDS = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
MAX_STEPS_PER_TICK = 8
DEFAULT_SIZE = (1280, 720)
FPS_CAP = 60
MESSAGE_S = 4.0  # wall seconds a status message stays
DRAG_THRESHOLD_PX = 4
PANEL = (16, 18, 22)
OVERLAY = (0, 0, 0, 225)  # panels over the map: the map's lines barely show through


@dataclass(frozen=True)
class Layout:
    """Where each part goes in a window of the given size (px)."""

    dashcam: pygame.Rect
    hud: pygame.Rect
    birds_eye: pygame.Rect

    @classmethod
    def of(cls, size: tuple[int, int], image_size: tuple[int, int]) -> Layout:
        w, h = size
        left = max(200, w // 2)
        dash_w, dash_h = fit_size(image_size, (left, int(h * 0.62)))
        return cls(pygame.Rect((left - dash_w) // 2, 0, dash_w, dash_h),
                   pygame.Rect(0, dash_h, left, h - dash_h),
                   pygame.Rect(left, 0, max(1, w - left), h))


def _font(size: int) -> pygame.font.Font:
    path = pygame.font.match_font("dejavusansmono,liberationmono,couriernew,monospace")
    return pygame.font.Font(path, size)


class Viewer:
    """The preview window around one Playback. Drive it with ``handle`` and ``tick``."""

    def __init__(self, playback: Playback, *, size: tuple[int, int] = DEFAULT_SIZE,
                 save_dir: str | Path = ".", reload_interval_s: float = 0.5) -> None:
        pygame.display.init()
        pygame.font.init()
        pygame.display.set_caption(f"simdrive preview - {playback.spec.name}")
        self.screen = pygame.display.set_mode(size, pygame.RESIZABLE)
        self.playback = playback
        self.reloader = Reloader(playback, reload_interval_s)
        self.save_dir = Path(save_dir)
        self.font, self.small = _font(14), _font(12)
        self.playing = True
        self.speed_index = SPEEDS.index(1.0)
        self.boxes = True
        self.show_help = False
        self.selected: str | None = None
        self.running = True
        self.now_s = 0.0  # wall time seen through tick(), s
        self.fps = 0.0
        self.message: tuple[str, tuple[int, int, int], float] | None = None
        self.saved: list[Path] = []
        self._carry_s = 0.0
        self._drag: list | None = None  # [last position, moved]
        self._road = playback.run.road
        self.birds_eye = BirdsEyeView(self._road, self.layout().birds_eye)
        self._dash_cache: tuple[tuple, pygame.Surface] | None = None

    # ---- input ------------------------------------------------------------------
    @property
    def speed(self) -> float:
        return SPEEDS[self.speed_index]

    def process_events(self) -> None:
        for event in pygame.event.get():
            self.handle(event)

    def handle(self, event: pygame.event.Event) -> None:
        """React to one pygame event."""
        if event.type == pygame.QUIT:
            self.running = False
        elif event.type in (pygame.KEYDOWN, pygame.KEYUP):
            self._key(event)
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            if self.layout().birds_eye.collidepoint(event.pos):
                self._drag = [event.pos, False]
        elif event.type == pygame.MOUSEMOTION and self._drag is not None:
            last, moved = self._drag
            dx, dy = event.pos[0] - last[0], event.pos[1] - last[1]
            if moved or abs(dx) + abs(dy) >= DRAG_THRESHOLD_PX:
                self.birds_eye.transform.pan(dx, dy)
                self.birds_eye.following = False
                self._drag = [event.pos, True]
        elif event.type == pygame.MOUSEBUTTONUP and event.button == 1:
            if self._drag is not None and not self._drag[1]:
                self.click(event.pos)
            self._drag = None
        elif event.type == pygame.MOUSEWHEEL:
            at = pygame.mouse.get_pos()
            rect = self.layout().birds_eye
            self.birds_eye.transform.zoom(1.25 ** event.y, at if rect.collidepoint(at) else None)

    def _key(self, event: pygame.event.Event) -> None:
        pb = self.playback
        # arrows drive while a manual run plays; paused, they step (stepping back into a
        # stretch driven by hand turns manual driving back on, as it was then)
        driving = pb.manual and self.playing
        control = held_control(event.key) if pb.manual else None
        if control is not None and (driving or event.type == pygame.KEYUP):
            setattr(pb.driver.controls, control, event.type == pygame.KEYDOWN)
            return
        if event.type != pygame.KEYDOWN:
            return
        command = command_for(event.key, getattr(event, "unicode", ""), driving)
        if command is not None:
            self.do(command)

    def do(self, command: str) -> None:
        """Carry out a command of simdrive.preview.keys.BINDINGS."""
        try:
            getattr(self, "_cmd_" + command)()
        except SimdriveError as error:  # e.g. the file on disk no longer has that variant
            self.say(error.render(), hud.BAD)

    def click(self, pos: tuple[int, int]) -> None:
        """Select the actor under a bird's-eye pixel (or clear the selection)."""
        t = self.birds_eye.transform
        scene = scene_from_simulation(self.playback.sim, 0)
        hit = actor_at(scene, t.to_world(pos), margin_m=max(0.3, 5.0 / t.pixels_per_m))
        self.selected = None if hit == self.selected else hit

    def say(self, text: str, colour: tuple[int, int, int] = hud.GOOD) -> None:
        self.message = (text, colour, self.now_s + MESSAGE_S)

    # ---- commands -------------------------------------------------------------------
    def _cmd_toggle_play(self) -> None:
        if self.playback.at_end and not self.playing:
            self.playback.restart()
        self.playing = not self.playing

    def _cmd_step_forward(self) -> None:
        self.playing = False
        self.playback.step_forward(1)

    def _cmd_step_back(self) -> None:
        self.playing = False
        if not self.playback.step_back():
            self.say("at the oldest remembered step", hud.WARN)

    def _cmd_faster(self) -> None:
        self.speed_index = min(self.speed_index + 1, len(SPEEDS) - 1)

    def _cmd_slower(self) -> None:
        self.speed_index = max(self.speed_index - 1, 0)

    def _cmd_next_variant(self) -> None:
        self.playback.set_variant(self.playback.position + 1)
        self._after_switch()

    def _cmd_previous_variant(self) -> None:
        self.playback.set_variant(self.playback.position - 1)
        self._after_switch()

    def _after_switch(self) -> None:
        self._carry_s = 0.0
        self.playing = True
        if self.selected not in self.playback.sim.actor_names[0]:
            self.selected = None
        self.say(f"variant {self.playback.variant.index}")

    def _cmd_cycle_weather(self) -> None:
        self.say(f"weather {self.playback.cycle_weather()} (picture only)")

    def _cmd_cycle_lighting(self) -> None:
        self.say(f"lighting {self.playback.cycle_lighting()} (picture only)")

    def _cmd_toggle_boxes(self) -> None:
        self.boxes = not self.boxes

    def _cmd_cycle_camera(self) -> None:
        self.say(f"camera {self.playback.cycle_camera()}")

    def _cmd_toggle_manual(self) -> None:
        self.playback.set_manual(not self.playback.manual)
        if self.playback.manual:
            self.playing = True
        self.say("manual driving: arrows throttle, brake, steer" if self.playback.manual
                 else "the ego drives itself again")

    def _cmd_restart(self) -> None:
        self.playback.restart()
        self._carry_s = 0.0
        self.playing = True

    def _cmd_save(self) -> None:
        try:
            path = self.playback.save(self.save_dir)
        except OSError as error:
            self.say(f"could not save: {error}", hud.BAD)
            return
        self.saved.append(path)
        self.say(f"saved {path} and {path.with_suffix('.json').name}")

    def _cmd_follow(self) -> None:
        self.birds_eye.follow()

    def _cmd_toggle_help(self) -> None:
        self.show_help = not self.show_help

    def _cmd_quit(self) -> None:
        self.running = False

    # ---- time ---------------------------------------------------------------------
    def tick(self, dt_s: float) -> None:
        """Let ``dt_s`` seconds of wall time pass: reload, simulate, draw."""
        self.now_s += dt_s
        if dt_s > 0:
            self.fps = 1.0 / dt_s if self.fps == 0 else 0.9 * self.fps + 0.1 / dt_s
        if self.reloader.poll(self.now_s):
            self.say(f"reloaded {self.playback.path.name} at t = {self.playback.time_s:.2f} s")
        if self.playback.run.road is not self._road:
            self._road = self.playback.run.road
            self.birds_eye.set_road(self._road)
        if self.playing:
            pb = self.playback
            self._carry_s += dt_s * self.speed
            steps = int(self._carry_s / pb.dt_s + 1e-9)
            self._carry_s -= steps * pb.dt_s
            if steps > MAX_STEPS_PER_TICK:
                steps, self._carry_s = MAX_STEPS_PER_TICK, 0.0
            pb.step_forward(steps)
            if pb.at_end:
                self.playing = False
        self.draw()

    # ---- drawing --------------------------------------------------------------------
    def layout(self) -> Layout:
        cam = self.playback.camera
        return Layout.of(pygame.display.get_surface().get_size(), (cam.width, cam.height))

    def draw(self) -> None:
        screen = pygame.display.get_surface()
        pb = self.playback
        layout = self.layout()
        screen.fill(PANEL)
        frame = pb.render()  # cached: a new render only after the state or the look changed
        key = (id(frame), layout.dashcam.size, self.boxes, self.selected)
        if self._dash_cache is None or self._dash_cache[0] != key:
            self._dash_cache = (key, dashcam_surface(frame, layout.dashcam.size, self.boxes,
                                                     self.selected))
        screen.blit(self._dash_cache[1], layout.dashcam.topleft)

        scene = scene_from_simulation(pb.sim, 0)
        names = pb.sim.actor_names[0]
        ego_index = int(pb.sim.blocks.wint[0, L.WI_EGO])
        ego = names[ego_index] if ego_index >= 0 else None
        crashed = frozenset(n for n, c in zip(names, pb.sim.state.crashed[0], strict=False) if c)
        self.birds_eye.transform.rect = layout.birds_eye
        self.birds_eye.draw(screen, scene, ego, self.selected, pb.camera, self.small, crashed)

        lines = hud.status_lines(pb, playing=self.playing, speed=self.speed, boxes=self.boxes,
                                 fps=self.fps or None)
        lines += hud.event_lines(pb.events(), pb.time_s)
        hud.draw_lines(screen, layout.hud, lines, self.font)
        r = layout.birds_eye
        bottom = r.bottom
        if self.message is not None:
            text, colour, until = self.message
            if self.now_s > until:
                self.message = None
            else:  # as many lines as the message wraps to (a saved file's path is long)
                height = self.font.get_linesize() * len(hud.wrap(
                    [(text, colour)], self.font, r.width - 12)) + 12
                bottom -= height
                hud.draw_lines(screen, pygame.Rect(r.x, bottom, r.width, height),
                               [(text, colour)], self.font, background=OVERLAY)
        if self.selected is not None:
            lines = hud.actor_lines(pb, self.selected, frame)
            height = self.font.get_linesize() * (len(hud.wrap(
                lines, self.font, r.width - 12)) + 1) + 12
            hud.draw_lines(screen, pygame.Rect(r.x, bottom - height, r.width, height), lines,
                           self.font, background=OVERLAY)
        if self.reloader.error is not None:
            r = layout.birds_eye
            hud.draw_lines(screen, pygame.Rect(r.x, r.y, r.width, r.height // 2),
                           hud.error_lines(self.reloader.error), self.font,
                           background=(90, 10, 10, 225))
        if self.show_help:
            w, h = screen.get_size()
            rect = pygame.Rect(w // 2 - 260, 40, 520, h - 80)
            hud.draw_lines(screen, rect, hud.help_panel_lines(), self.font,
                           background=(0, 0, 0, 215), padding=14)

    def screenshot(self, path: str | Path) -> Path:
        """Save the window as it is now to a PNG (written atomically: all or nothing)."""
        import cv2

        from simdrive.files import write_atomic

        rgb = pygame.surfarray.array3d(pygame.display.get_surface()).swapaxes(0, 1)
        ok, data = cv2.imencode(".png", np.ascontiguousarray(rgb[..., ::-1]),
                                [cv2.IMWRITE_PNG_COMPRESSION, 6])
        write_atomic(path, data.tobytes())
        return Path(path)

    def still(self, start_s: float, select: str | None) -> None:
        """Pause at ``start_s`` (s, a whole step) with ``select`` selected, and draw."""
        self.playing = False
        self.playback.step_forward(round(start_s / self.playback.dt_s) - self.playback.step)
        self.selected = select
        self.tick(1 / 30)
        self.fps = 0.0  # a still picture: no frame rate in the HUD
        self.tick(0.0)


def run_viewer(playback: Playback, *, save_dir: str | Path = ".",
               size: tuple[int, int] = DEFAULT_SIZE, start_s: float | None = None,
               select: str | None = None, screenshot: str | Path | None = None) -> int:
    """Open the window and run until it is closed (Esc, q or the close button); from
    ``start_s`` paused, if given. With ``screenshot``: draw once, save it there, return."""
    viewer = Viewer(playback, size=size, save_dir=save_dir)
    clock = pygame.time.Clock()
    try:
        if start_s is not None or select is not None or screenshot is not None:
            viewer.still(start_s or 0.0, select)
        if screenshot is not None:
            out = viewer.screenshot(screenshot)
            print(f"wrote {out}: {playback.spec.name} variant {playback.variant.index} at "
                  f"t={playback.step * playback.dt_s:.2f} s")
            return 0
        while viewer.running:
            viewer.process_events()
            viewer.tick(clock.tick(FPS_CAP) / 1000.0)
            pygame.display.flip()
    finally:
        pygame.quit()
    return 0
