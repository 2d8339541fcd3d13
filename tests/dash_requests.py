"""Requests built as Dash's renderer builds them (shared by the page, access and concurrency tests):
from an app's callback map, or from the outputs and inputs a test names; and the components of a
rendered layout."""
from __future__ import annotations

import json
from typing import Any

from dash.dependencies import Output


def outputs_of(entry: dict) -> list[Output]:
    output = entry["output"]
    return list(output) if isinstance(output, (list, tuple)) else [output]


def parse_id(raw: str) -> Any:
    return json.loads(raw) if raw.startswith("{") else raw


def is_pattern(raw: str) -> bool:
    return raw.startswith("{") and any(isinstance(v, list) for v in json.loads(raw).values())


def callback_body(app, output_key: str, filters: dict[str, str], clicks: bool = True) -> dict:
    """The body Dash's renderer posts for this callback, with these filter values (and a click on any
    button input, as a download needs)."""
    entry = app.callback_map[output_key]

    def item(spec: dict) -> dict:
        component_id = parse_id(spec["id"])
        if isinstance(component_id, dict) and component_id.get("type") == "filter":
            value = filters.get(component_id["name"])
        elif spec["property"] == "n_clicks" and clicks:
            value = 1
        else:
            value = None
        return {"id": component_id, "property": spec["property"], "value": value}

    outputs = [{"id": parse_id(str(o.component_id) if isinstance(o.component_id, str) else json.dumps(o.component_id)),
                "property": o.component_property} for o in outputs_of(entry)]
    inputs = [item(spec) for spec in entry["inputs"]]
    first = entry["inputs"][0]
    return {
        "output": output_key,
        "outputs": outputs if isinstance(entry["output"], (list, tuple)) else outputs[0],
        "inputs": inputs,
        "state": [item(spec) for spec in entry["state"]],
        "changedPropIds": [f"{first['id']}.{first['property']}"],
    }


def output_key(outputs: list[tuple[str, str]]) -> str:
    """Dash's key for a callback's outputs: ``id.prop``, or ``..a.p...b.q..`` for several."""
    if len(outputs) == 1:
        return f"{outputs[0][0]}.{outputs[0][1]}"
    return ".." + "...".join(f"{i}.{p}" for i, p in outputs) + ".."


def post_callback(client, user: str, outputs: list[tuple[str, str]], inputs: list[dict],
                  state: list[dict] | None = None):
    """POST a callback as Dash's renderer would, signed in as ``user`` through the proxy header, the
    first input marked as the one that changed."""
    first = inputs[0]["id"]
    changed = json.dumps(first, separators=(",", ":")) if isinstance(first, dict) else first
    body = {
        "output": output_key(outputs),
        "outputs": ([{"id": i, "property": p} for i, p in outputs] if len(outputs) > 1
                    else {"id": outputs[0][0], "property": outputs[0][1]}),
        "inputs": inputs,
        "state": state or [],
        "changedPropIds": [f"{changed}.{inputs[0]['property']}"],
    }
    return client.post("/_dash-update-component", json=body, headers={"X-Forwarded-User": user})


def open_route(client, user: str, path: str, search: str = ""):
    """Ask Dash Pages' router for a page's layout, as the browser does on navigation."""
    return post_callback(client, user, [("_pages_content", "children"), ("_pages_store", "data")],
                         [{"id": "_pages_location", "property": "pathname", "value": path},
                          {"id": "_pages_location", "property": "search", "value": search}])


def components(tree):
    """Every component in a rendered layout (depth first)."""
    if isinstance(tree, dict):
        if "props" in tree:
            yield tree
        for value in tree.values():
            yield from components(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from components(item)


def grid_rows(tree, grid: str | None = None) -> list[dict]:
    """The rows of the grid named ``grid`` in a rendered layout or callback answer (an AssertionError when it
    is not there); without a name, the rows of every grid in it."""
    grids = [c["props"] for c in components(tree) if isinstance(c["props"].get("rowData"), list)]
    if grid is None:
        return [row for props in grids for row in props["rowData"]]
    named = [props["rowData"] for props in grids if props.get("id") == {"type": "grid", "grid": grid}]
    assert named, f"no grid {grid!r} in the answer"
    return named[0]
