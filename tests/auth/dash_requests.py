"""Requests built as Dash's renderer builds them, from an app's callback map (shared by the access and
concurrency tests)."""
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
