"""Traffic signals: a head at each signalised approach, its lamps showing the plan's state."""

from __future__ import annotations

import dataclasses

import numpy as np

from simdrive.render.lamps import signal_heads
from simdrive.render.look import make_look
from simdrive.render.renderer import Renderer
from simdrive.render.semantic import SEMANTIC
from simdrive.scenario.cameras import PRESETS
from simdrive.scenario.render_options import RenderOptions
from simdrive.world.maps import build_map
from tests.render.helpers import make_scene

ROAD = build_map({"type": "intersection", "lanes": 1, "arm_length": 60})


def test_every_signalised_approach_has_one_head_right_of_its_stop_line():
    heads = signal_heads(ROAD)
    approaches = [k for k, g in enumerate(ROAD.signal_group) if g >= 0]
    assert len(heads) == len(approaches) == 4
    for (x, y, heading, group), k in zip(heads, approaches, strict=True):
        lane = ROAD.lanes[k]
        end_x, end_y, lane_heading = lane.to_world(lane.length, 0.0)
        assert group == ROAD.signal_group[k]
        # lamps face the traffic; the head stands to the right of the lane's end
        assert np.isclose(np.cos(heading - lane_heading), -1.0)
        right = np.array([np.sin(lane_heading), -np.cos(lane_heading)])
        assert np.dot([x - end_x, y - end_y], right) > lane.width / 2


def test_the_lit_lamp_follows_the_signal_plan():
    k = next(k for k, g in enumerate(ROAD.signal_group) if g == 0)
    lane = ROAD.lanes[k]
    x, y, heading = lane.to_world(lane.length - 14.0, 0.0)  # 14 m before the stop line
    scene = make_scene([], ego=(float(x), float(y), float(heading)))
    renderer = Renderer(ROAD, RenderOptions(sensor_noise=False, vignette=False), seed=1)
    plan = ROAD.signal_plan[0]
    lit = {}
    for name, t in (("green", 1.0), ("red", plan["green_s"] + plan["yellow_s"] + 2.0)):
        frame = renderer.render(dataclasses.replace(scene, signal_time_s=t), PRESETS["front"],
                                make_look("clear", "noon"))
        head = frame.image[frame.semantic == SEMANTIC["traffic_light"]].astype(int)
        assert len(head) > 20  # the head ahead is drawn, as traffic_light
        lit[name] = (int(((head[:, 1] >= 240) & (head[:, 0] <= 90)).sum()),  # green lamp
                     int(((head[:, 0] >= 240) & (head[:, 1] <= 60)).sum()))  # red lamp
        assert not (frame.instance == -2).all()  # scenery, no actor's label
        assert len(frame.labels) == 0  # the ego alone: signals get no labels
    # (a cross street's head, seen edge-on, can show a pixel or two of its own lamp)
    assert lit["green"][0] > 10 and lit["green"][0] > 5 * lit["green"][1]
    assert lit["red"][1] > 10 and lit["red"][1] > 5 * lit["red"][0]
