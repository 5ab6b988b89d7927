"""Errors of building a scenario's map and worlds, located in the scenario file.

The map and world layers (simdrive.world, simdrive.packing) know nothing of files: their
MapError and WorldError name an actor or the map. Raised while building a scenario's
map or worlds, they become ScenarioErrors at the line of the entry that caused them.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

from simdrive.errors import MapError, ScenarioError, SimdriveError
from simdrive.scenario.sourcepos import node_at
from simdrive.scenario.spec import ScenarioSpec
from simdrive.scenario.yamlpos import Node


@contextlib.contextmanager
def located_errors(spec: ScenarioSpec) -> Iterator[None]:
    """Turn an error of the map or world layer (MapError, WorldError: no file, no line)
    raised while building ``spec``'s map or worlds into a ScenarioError at the line of the
    scenario file that caused it: the actor's entry for an actor's error (its placement for
    one about where it is placed), ``map:`` for
    the map's."""
    try:
        yield
    except ScenarioError:
        raise
    except SimdriveError as error:
        raise located(spec, error) from None


def located(spec: ScenarioSpec, error: SimdriveError, prefix: str = "") -> ScenarioError:
    """``error`` as a ScenarioError at the line of the entry that caused it (see
    located_errors), its text after ``prefix``."""
    text = error.render()
    if error.where == spec.file:  # an inline map: the file is named once, by the node
        text = text[len(spec.file) + 1:].lstrip()
    text = prefix + text
    found = re.search(r"actor '([^']+)'", text)
    node = None
    if found:
        node = _entry(spec, found.group(1))
        action = re.search(r"action \d+ \((\w+)\)", text)
        template = _template(spec, found.group(1))
        for a in (template.actions if action and template else ()):
            if a.action == action.group(1) and a.node is not None:  # the action's own entry,
                # at its lane when the lane is what is wrong
                node = a.node.get("lane") if "lane" in text and a.node.get("lane") else a.node
                break
        else:  # where it is placed is what is wrong: at its placement, when written
            if template is not None and template.node is not None and \
                    template.node.is_mapping and template.node.get("placement") is not None \
                    and _PLACEMENT.search(text):
                node = template.node.get("placement")
    elif isinstance(error, MapError) or (error.path or "").startswith("map"):
        node = spec.map_node
    if node is None:
        return ScenarioError(text, file=spec.file)
    if node is spec.map_node and error.where in (spec.file, "map") and error.path:
        # an inline map's own key path (map.lanes) replaces the node's (map), and the key's
        # line the map's
        if node.is_mapping and error.path.startswith("map."):
            node = node_at(node, error.path[len("map."):])
        return ScenarioError(prefix + error.message, file=node.file, line=node.line,
                             column=node.column, path=error.path, expected=error.expected,
                             found=error.found)
    return node.error(text)


_PLACEMENT = re.compile(r"placement|could not place|is placed at|off the (road|map)|cannot "
                        r"drive on sidewalk")
"""World errors about where an actor is placed (located at its ``placement``)."""


def _entry(spec: ScenarioSpec, name: str) -> Node | None:
    """The node of the actor entry an instance name comes from (see _template)."""
    template = _template(spec, name)
    return template.node if template is not None else None


def _template(spec: ScenarioSpec, name: str):
    """The actor entry (ActorT) an instance name comes from: the entry of that id, or the
    entry ``id`` with ``count`` > k for ``id_k`` (an entry's own id comes first)."""
    templates = (spec.ego, *spec.actors)
    for t in templates:
        if t.name == name:
            return t
    for t in templates:
        match = re.fullmatch(re.escape(t.name) + r"_(\d+)", name)
        if match and t.count > 1 and int(match.group(1)) < t.count:
            return t
    return None
