"""A JSON Schema of the scenario format, for editors with a YAML language server.

Generated from the same key tables the checker in simdrive.scenario.spec uses,
so the two cannot drift apart (a test validates every shipped scenario against
it). The checker remains the authority: the schema cannot express every rule
(ranges of distributions, an actor kind's own top speed, a lane's length, a trigger
time against the run's duration, references between actors). Plain numbers carry the
checker's fixed ranges (duration, dt, speeds, tuning values, action parameters,
triggers, delays, count, placement offsets and spacing), so an editor flags
``duration: 601`` too.
"""

from __future__ import annotations

from simdrive.scenario.actor_spec import (
    ACTIONS,
    ACTOR_KEYS,
    BEHAVIORS,
    COUNT_MAX,
    DELAY_MAX,
    MIN_GAP_MAX,
    PLACEMENT_ANCHORS,
    PLACEMENT_D_MAX,
    REQUIRED_ACTION_KEYS,
    SHORTHAND,
    SPEED_MAX,
    TARGET_ACTIONS,
    TRIGGERS,
    TUNING,
)
from simdrive.scenario.spec import DT_RANGE, DURATION_RANGE, TOP_KEYS
from simdrive.world.actors import actor_kind, actor_kinds, may_carry_lamps
from simdrive.world.conditions import LIGHTINGS, WEATHERS

NUMBER = {"$ref": "#/$defs/number"}


def _bounded(low: float, high: float) -> dict:
    """A number in [low, high], or a distribution (whose range the checker tests)."""
    return {"oneOf": [{"type": "number", "minimum": low, "maximum": high},
                      {"$ref": "#/$defs/distribution"}]}


def _choice_of(options) -> dict:
    return {"oneOf": [{"enum": list(options)}, {"$ref": "#/$defs/choice"}]}


def _object(properties: dict, required=()) -> dict:
    out = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        out["required"] = list(required)
    return out


def _trigger() -> dict:
    props = {name: _bounded(*rule[1:]) for name, rule in TRIGGERS.items() if rule is not None}
    props["reach_point"] = _object({"x": NUMBER, "y": NUMBER, "radius": NUMBER}, ("x", "y"))
    props["actor_distance_below"] = _object({"actor": {"type": "string"}, "distance": NUMBER},
                                            ("actor", "distance"))
    out = _object(props)
    out.update(minProperties=1, maxProperties=1)
    return out


def _action_body(name: str, params: dict) -> dict:
    props = {"trigger": {"$ref": "#/$defs/trigger"}, "delay": _bounded(0.0, DELAY_MAX)}
    if name in TARGET_ACTIONS:
        props["to"] = _object({"x": NUMBER, "y": NUMBER}, ("x", "y"))
    for key, rule in params.items():
        props[key] = {"type": ["integer", "string"]} if rule is None else _bounded(*rule[1:])
    return _object(props, ("trigger", *REQUIRED_ACTION_KEYS.get(name, ())))


def _actor(is_ego: bool) -> dict:
    lane = {"type": ["integer", "string"]}
    placement_props = {
        "lane": lane, "parking": {"enum": ["left", "right"]},
        "sidewalk": {"enum": ["left", "right"]}, "ahead_of": {"type": "string"},
        "position": _object({"x": NUMBER, "y": NUMBER, "heading": NUMBER}, ("x", "y")),
        "s": NUMBER, "d": _bounded(-PLACEMENT_D_MAX, PLACEMENT_D_MAX), "distance": NUMBER,
        "min_gap": {"type": "number", "minimum": 0.0, "maximum": MIN_GAP_MAX},
    }
    assert set(PLACEMENT_ANCHORS) <= set(placement_props)
    behavior = {"oneOf": [
        {"enum": list(BEHAVIORS)},
        _object({name: _action_body(name, p) for name, p in ACTIONS.items()}),
    ]}
    types = {
        "id": {"type": "string"}, "kind": {"enum": list(actor_kinds())},
        "count": {"type": "integer", "minimum": 1, "maximum": COUNT_MAX},
        "placement": _object(placement_props),
        "lane": lane, "s": NUMBER, "d": NUMBER, "speed": _bounded(0.0, SPEED_MAX),
        "desired_speed": _bounded(0.0, SPEED_MAX),
        **{key: _bounded(low, high) for key, (low, high, _) in TUNING.items()},
        "behavior": behavior, "actions": {"type": "array", "items": {"$ref": "#/$defs/action"}},
        "direction": {"enum": [1, -1]}, "turn": _choice_of(("straight", "left", "right")),
        **{key: {"oneOf": [{"type": "boolean"}, {"$ref": "#/$defs/choice"}]}
           for key in ("watches_road", "cautious", "obeys_signals", "lane_changes", "lamps")},
    }
    # the ego has no id or count; lane, s and d are its shorthand for a placement
    keys = [k for k in ACTOR_KEYS if k not in (("id", "count") if is_ego else SHORTHAND)]
    props = {key: dict(types.get(key, NUMBER), description=ACTOR_KEYS[key]) for key in keys}
    schema = _object(props, () if is_ego else ("kind", "placement"))
    if is_ego:  # either the shorthand or a placement
        schema["not"] = {"required": ["placement"], "anyOf": [{"required": [k]}
                                                              for k in SHORTHAND]}
    # only vehicles and cyclists carry lamps (lamps: false is fine on anything)
    unlit = [k for k in actor_kinds() if not may_carry_lamps(actor_kind(k))]
    schema["if"] = {"properties": {"kind": {"enum": unlit}}, "required": ["kind"]}
    schema["then"] = {"properties": {"lamps": {"const": False}}}
    return schema


def _camera() -> dict:
    from simdrive.scenario.cameras import _KEYS, PRESETS

    props = {key: {"type": "number", "description": desc} for key, desc in _KEYS.items()}
    props["name"] = {"type": "string"}
    props["mount"] = {"type": "string"}
    props["preset"] = {"enum": list(PRESETS)}
    props["width"] = props["height"] = {"type": "integer", "minimum": 16}
    return _object(props)


def scenario_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a scenario file."""
    distribution = {"oneOf": [
        _object({"uniform": {"type": "array", "items": {"type": "number"},
                             "minItems": 2, "maxItems": 2}}, ("uniform",)),
        _object({"normal": {"oneOf": [
            {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
            _object({"mean": {"type": "number"}, "std": {"type": "number"},
                     "min": {"type": "number"}, "max": {"type": "number"}},
                    ("mean", "std"))]}}, ("normal",)),
        {"$ref": "#/$defs/choice"},
        _object({"range": {"type": "array", "items": {"type": "number"},
                           "minItems": 3, "maxItems": 3}}, ("range",)),
    ]}
    number = {"oneOf": [{"type": "number"}, {"$ref": "#/$defs/distribution"}]}
    choice = _object({"choice": {"oneOf": [
        {"type": "array", "minItems": 1},
        _object({"options": {"type": "array", "minItems": 1},
                 "weights": {"type": "array", "items": {"type": "number", "minimum": 0}}},
                ("options",))]}}, ("choice",))
    top_types = {
        "name": {"type": "string"}, "description": {"type": "string"},
        "extends": {"type": "string"},
        "duration": {"type": "number", "minimum": DURATION_RANGE[0],
                     "maximum": DURATION_RANGE[1]},
        "dt": {"type": "number", "minimum": DT_RANGE[0], "maximum": DT_RANGE[1]},
        "map": {"type": ["string", "object"]},
        "environment": _object({
            "weather": _choice_of(WEATHERS), "lighting": _choice_of(LIGHTINGS),
            "change": _object({"at": NUMBER, "weather": _choice_of(WEATHERS)}, ("at", "weather")),
        }),
        "ego": _actor(True), "actors": {"type": "array", "items": _actor(False)},
        "variants": _object({
            "grid": {"type": "array", "items": {"type": "string"}},
            "samples": {"type": "integer", "minimum": 1},
            "seed": {"type": "integer", "minimum": 0},
            "method": {"enum": ["random", "lhs", "halton"]},
            "require": {"oneOf": [{"type": "string"},
                                  {"type": "array", "items": {"type": "string"}}]},
        }),
        "camera": {"oneOf": [_camera(), {"type": "array", "items": _camera()}]},
        "render": _object({"every": {"type": "integer", "minimum": 1},
                           "sensor_noise": {"type": "boolean"}, "vignette": {"type": "boolean"},
                           "motion_blur": {"type": "boolean"}}),
    }
    props = {key: dict(top_types[key], description=desc) for key, desc in TOP_KEYS.items()}
    schema = _object(props)
    schema.update({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "simdrive scenario",
        "$defs": {"number": number, "distribution": distribution, "choice": choice,
                  "trigger": _trigger(),
                  "action": _object({name: _action_body(name, p) for name, p in ACTIONS.items()})},
    })
    schema["$defs"]["action"].update(minProperties=1, maxProperties=1)
    return schema
