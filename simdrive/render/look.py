"""What weather and lighting do to pixels: light colours, sky, fog, precipitation.

The same presets (simdrive.world.conditions) set friction and sight distance
in the physics. Here they set:

- sun and ambient light (sun elevation from the lighting preset; overcast
  weather turns direct sun into diffuse light);
- the sky gradient and the fog colour (the horizon colour, so distant ground
  fades into the sky);
- fog by depth: the fraction of the background colour at depth z is
  1 - exp(-3 z / V), V the weather's visibility (the meteorological
  convention: 5% contrast left at V); clear weather keeps a faint haze;
- headlights and tail lights on when the lighting preset says so;
- rain streaks or snow flakes and the road surface paint (wet, snow).

Labels get a visibility factor: the air's transmission exp(-3 d / V) at the actor's
distance d, V the weather's visibility, times the light that shows the actor
(simdrive.render.lighting.actor_light: 1 by day; at night the glow of its own lamps
where the camera faces them, or what the headlights and street lights put on the side
the camera sees), so a pedestrian 60 m
into dense fog, or in the dark beside the beams, can be marked hard or ignored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from simdrive.world.conditions import lighting, weather

FOG_LUT_PER_M = 4.0
FOG_LUT_SIZE = 8192  # covers 2 km at 4 bins per m

_SKY = {  # (horizon, zenith) sRGB in clear weather
    "dawn": ((246, 182, 128), (96, 118, 176)),
    "noon": ((196, 214, 232), (88, 138, 208)),
    "dusk": ((176, 104, 92), (38, 44, 88)),
    "night": ((20, 24, 36), (4, 6, 14)),
}
_OVERCAST = ((172, 174, 178), (146, 148, 154))
_SUN_COLOUR = {"dawn": (1.0, 0.72, 0.48), "noon": (1.0, 0.97, 0.9), "dusk": (1.0, 0.6, 0.45),
               "night": (0.0, 0.0, 0.0)}
_AMBIENT = {"dawn": (0.46, 0.44, 0.5), "noon": (0.62, 0.63, 0.66), "dusk": (0.3, 0.27, 0.34),
            "night": (0.045, 0.05, 0.075)}


@dataclass(frozen=True)
class Look:
    """Rendering parameters of one weather x lighting combination (sRGB 0-255, multipliers)."""

    weather: str
    lighting: str
    ambient: tuple[float, float, float]
    sun_dir: tuple[float, float, float]
    sun_rgb: tuple[float, float, float]
    sky_horizon: tuple[float, float, float]
    sky_zenith: tuple[float, float, float]
    fog_rgb: tuple[float, float, float]
    fog_visibility_m: float
    lights_on: bool
    street_lights_on: bool
    surface: str  # dry, wet, snow: the ground paint
    rain: float  # 0-1
    snow: float  # 0-1

    def fog_lut(self, enabled: bool = True) -> np.ndarray:
        """(FOG_LUT_SIZE,) float64 background fraction by depth bin (FOG_LUT_PER_M per m)."""
        if not enabled:
            return np.zeros(FOG_LUT_SIZE)
        z = (np.arange(FOG_LUT_SIZE) + 0.5) / FOG_LUT_PER_M
        return 1.0 - np.exp(-3.0 * z / self.fog_visibility_m)

    def transmission(self, distance_m: float) -> float:
        """Share of an object's contrast the air leaves at distance_m in this weather (0-1);
        a label's visibility is this times the light on the actor (lighting.actor_light)."""
        return math.exp(-3.0 * distance_m / self.fog_visibility_m)

    def sky_lut(self, n: int) -> np.ndarray:
        """(n,) uint32 packed sky colour from the horizon (0) to the zenith, fog included."""
        k = (np.arange(n) + 0.5) / n
        horizon, zenith = np.array(self.sky_horizon), np.array(self.sky_zenith)
        rgb = horizon[None] + (zenith - horizon)[None] * np.sqrt(k)[:, None]
        far_fog = 1.0 - math.exp(-3.0 * 1000.0 / self.fog_visibility_m)
        rgb = rgb + (np.array(self.fog_rgb) - rgb) * far_fog * (1.0 - k[:, None])
        rgb = np.clip(np.round(rgb), 0, 255).astype(np.uint32)
        return (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]


@lru_cache(maxsize=64)
def make_look(weather_name: str, lighting_name: str, sun_azimuth_deg: float = 135.0) -> Look:
    """The Look of a weather preset under a lighting preset (kept: a Look is immutable and a
    dataset asks for the same few every frame)."""
    w = weather(weather_name)
    lit = lighting(lighting_name)
    overcast = w.fog_density > 0 or w.rain_intensity > 0 or w.snow_intensity > 0
    elev = math.radians(lit.sun_elevation_deg)
    az = math.radians(sun_azimuth_deg)
    sun_dir = (math.cos(elev) * math.cos(az), math.cos(elev) * math.sin(az), math.sin(elev))
    sun_strength = 0.0 if elev <= 0 else (0.12 if overcast else 0.5) * min(1.0, elev * 4 + 0.3)
    sun_rgb = tuple(c * sun_strength for c in _SUN_COLOUR[lighting_name])
    ambient = _AMBIENT[lighting_name]
    if overcast:
        ambient = tuple(a * 1.2 for a in ambient)  # diffuse skylight; auto-exposure
    horizon, zenith = _SKY[lighting_name]
    if overcast:
        brightness = sum(_SKY[lighting_name][0]) / sum(_SKY["noon"][0])
        horizon = tuple(c * brightness for c in _OVERCAST[0])
        zenith = tuple(c * brightness for c in _OVERCAST[1])
    if weather_name == "ice":  # black ice: a clear, cold day; the road itself looks dry
        ambient = (ambient[0] * 0.95, ambient[1] * 0.99, ambient[2] * 1.06)
        horizon = tuple(min(255.0, c * f) for c, f in zip(horizon, (0.95, 0.99, 1.05),
                                                           strict=True))
    fog_rgb = tuple(float(c) for c in horizon)
    return Look(
        weather=weather_name, lighting=lighting_name, ambient=ambient,
        sun_dir=sun_dir, sun_rgb=sun_rgb,
        sky_horizon=tuple(float(c) for c in horizon), sky_zenith=tuple(float(c) for c in zenith),
        fog_rgb=fog_rgb, fog_visibility_m=w.visibility_m,
        lights_on=lit.headlights, street_lights_on=lighting_name in ("dusk", "night"),
        surface="snow" if w.snow_intensity > 0 else ("wet" if w.wet_road else "dry"),
        rain=w.rain_intensity, snow=w.snow_intensity,
    )
