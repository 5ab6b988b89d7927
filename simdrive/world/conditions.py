"""Weather and lighting presets: what each does to physics (and, later, to pixels).

A scenario names a weather and a lighting; together they set the road
condition (friction, see simdrive.world.environment), how far simulated drivers
and pedestrians can see, and the parameters the renderer will use.

Visibility figures are meteorological conventions and driving practice, chosen
conservatively: fog is visibility below 1 km, "dense fog" in road-safety
statistics typically under 50-100 m; heavy rain with spray cuts sight to about
100-200 m; low-beam headlights light the road about 50-60 m ahead (UNECE
Regulation 112 beam pattern) so at night unlit actors are seen at that range, by those
who have headlights of their own: without them (a walker, a car driving with its lamps
off) the night's ambient light shows an unlit actor at about 25 m (a convention: a dark
figure against a dark road, no moon or street lamp counted).
"""

from __future__ import annotations

from dataclasses import dataclass

from simdrive.errors import WorldError


@dataclass(frozen=True)
class Weather:
    """A weather preset. Visibility in m; intensities 0-1 for the renderer."""

    name: str
    road_condition: str  # dry, wet, snow, ice
    visibility_m: float
    fog_density: float = 0.0
    rain_intensity: float = 0.0
    snow_intensity: float = 0.0
    wet_road: bool = False


@dataclass(frozen=True)
class Lighting:
    """A lighting preset: sun elevation in degrees, ambient light 0-1, sight cap in m."""

    name: str
    sun_elevation_deg: float
    ambient: float
    visibility_m: float
    headlights: bool
    unlit_visibility_m: float | None = None  # how far one without lamps of its own sees
    # what shows none (None: as far as visibility_m; the ambient light suffices)
    glare_background_cd_m2: float | None = None  # the luminance eyes adapt to with
    # headlights on, against which oncoming headlights dazzle (None: no dazzle, by day)


WEATHERS = {
    w.name: w
    for w in (
        Weather("clear", "dry", 1000.0),
        Weather("rain", "wet", 400.0, rain_intensity=0.4, wet_road=True),
        Weather("heavy_rain", "wet", 150.0, fog_density=0.2, rain_intensity=1.0, wet_road=True),
        Weather("fog", "wet", 50.0, fog_density=1.0, wet_road=True),
        Weather("snow", "snow", 200.0, fog_density=0.2, snow_intensity=0.7),
        # black ice: a clear, cold day that looks dry
        Weather("ice", "ice", 1000.0),
    )
}

LIGHTINGS = {
    lit.name: lit
    for lit in (
        # glare backgrounds: a road under dipped beams at night (1 cd/m^2), rising with the
        # ambient light above a tenth (the renderer's exposure, lamps.glare_gain)
        Lighting("dawn", 5.0, 0.55, 400.0, headlights=True, glare_background_cd_m2=5.5),
        Lighting("noon", 60.0, 1.0, 1000.0, headlights=False),
        Lighting("dusk", -2.0, 0.3, 200.0, headlights=True, glare_background_cd_m2=3.0),
        Lighting("night", -30.0, 0.05, 60.0, headlights=True, unlit_visibility_m=25.0,
                 glare_background_cd_m2=1.0),
    )
}


def _preset(table: dict, name: str, what: str):
    try:
        return table[name]
    except KeyError:
        raise WorldError(f"unknown {what}", expected=f"one of {', '.join(table)}",
                         found=name) from None


def weather(name: str) -> Weather:
    """The weather preset called ``name``."""
    return _preset(WEATHERS, name, "weather")


def lighting(name: str) -> Lighting:
    """The lighting preset called ``name``."""
    return _preset(LIGHTINGS, name, "lighting")


def visibility_m(weather_name: str, lighting_name: str) -> float:
    """How far a road user can see in this weather and light, m."""
    return min(weather(weather_name).visibility_m, lighting(lighting_name).visibility_m)
