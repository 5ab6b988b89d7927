"""The preview's input map: keys to command names, and the on-screen help made from it.

One table, ``BINDINGS``, is the single source: the viewer looks commands up in
it and the help overlay (``h``) lists it, so the two cannot disagree. In manual
driving the arrow keys are held controls (``HELD``) instead of commands; ``,``
and ``.`` step back and forward in every mode.
"""

from __future__ import annotations

from dataclasses import dataclass

import pygame


@dataclass(frozen=True)
class Binding:
    """Keys (pygame key codes, or typed characters) that issue one command."""

    command: str
    keys: tuple[int, ...]
    label: str  # how the help names the keys
    help: str
    chars: tuple[str, ...] = ()  # typed characters, for keys that differ between layouts
    playback_only: bool = False  # the arrow keys drive instead while in manual mode


BINDINGS: tuple[Binding, ...] = (
    Binding("toggle_play", (pygame.K_SPACE,), "space", "play / pause"),
    Binding("step_forward", (pygame.K_RIGHT, pygame.K_PERIOD), "right  .",
            "one step forward (pauses)", playback_only=True),
    Binding("step_back", (pygame.K_LEFT, pygame.K_COMMA), "left  ,",
            "one step back, exactly (pauses)", playback_only=True),
    Binding("faster", (pygame.K_KP_PLUS,), "+", "faster playback", chars=("+", "=")),
    Binding("slower", (pygame.K_KP_MINUS,), "-", "slower playback", chars=("-", "_")),
    Binding("next_variant", (pygame.K_n,), "n", "next variant"),
    Binding("previous_variant", (pygame.K_p,), "p", "previous variant"),
    Binding("cycle_weather", (pygame.K_w,), "w", "cycle weather (picture only)"),
    Binding("cycle_lighting", (pygame.K_l,), "l", "cycle lighting (picture only)"),
    Binding("toggle_boxes", (pygame.K_b,), "b", "label boxes on / off"),
    Binding("cycle_camera", (pygame.K_c,), "c", "next camera"),
    Binding("toggle_manual", (pygame.K_m,), "m", "manual driving on / off"),
    Binding("restart", (pygame.K_r,), "r", "restart the variant"),
    Binding("save", (pygame.K_s,), "s", "save frame + labels (as simdrive frame)"),
    Binding("follow", (pygame.K_f,), "f", "bird's-eye: follow the ego again"),
    Binding("toggle_help", (pygame.K_h,), "h", "this help"),
    Binding("quit", (pygame.K_ESCAPE, pygame.K_q), "Esc  q", "quit"),
)

HELD: dict[int, str] = {
    pygame.K_UP: "throttle", pygame.K_DOWN: "brake",
    pygame.K_LEFT: "left", pygame.K_RIGHT: "right",
}
"""Manual driving: keys held down, by the control they work (simdrive.preview.manual)."""

MOUSE_HELP = (
    ("click", "bird's-eye: select an actor (again: none)"),
    ("wheel", "bird's-eye: zoom"),
    ("drag", "bird's-eye: pan"),
    ("arrows", "manual driving, while playing: throttle, brake, steer"),
)


def _check_unique() -> None:
    seen: dict[tuple[int, bool], str] = {}
    for b in BINDINGS:
        for key in b.keys:
            for manual in (False, True):
                if manual and b.playback_only and key in HELD:
                    continue
                if (key, manual) in seen:
                    raise ValueError(f"key {key} bound to {seen[key, manual]} and {b.command}")
                seen[key, manual] = b.command


_check_unique()


def command_for(key: int, char: str = "", manual: bool = False) -> str | None:
    """The command a key press issues (None: not bound); in manual mode arrows drive."""
    if manual and key in HELD:
        return None
    for b in BINDINGS:
        if key in b.keys or (char and char in b.chars):
            return b.command
    return None


def held_control(key: int) -> str | None:
    """The manual-driving control a held key works (None: not a driving key)."""
    return HELD.get(key)


def help_lines() -> list[tuple[str, str]]:
    """(keys, what they do) for the help overlay, in table order."""
    return [(b.label, b.help) for b in BINDINGS] + list(MOUSE_HELP)
