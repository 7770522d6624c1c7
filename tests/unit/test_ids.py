from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kore_tui.core.errors import InvalidIdError
from kore_tui.core.ids import TOOL_PREFIX, for_status, for_undeploy, parse_ids, path_segment
from kore_tui.core.resources import Action, ResourceKind, resource_kind

A = "cm-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
B = "cm-11111111-2222-4333-8444-555555555555"
C = "cm-aaaaaaaa-bbbb-4ccc-9ddd-eeeeeeeeeeee"
DS = "ds-d0a1b2c3-b4c9-5d60-8e75-5b0a1b2c3d41"
T1 = "a-5e6f7a8b-1c2d-4e3f-9a0b-1c2d3e4f5a6b"
T2 = "a-00000000-1111-4222-8333-444444444444"

MESSY = {
    "one per line": (f"{A}\n{B}\n{C}\n", [A, B, C]),
    "commas": (f"{A},{B}, {C}", [A, B, C]),
    "tabs": (f"{A}\t{B}\t{C}", [A, B, C]),
    "windows line endings": (f"{A}\r\n{B}\r\n{C}\r\n", [A, B, C]),
    "csv with header": (f"modelId,name,status\n{A},gpt,deployed\n{B},llama,deployed\n", [A, B]),
    "tsv with header and quotes": (f'"modelId"\t"name"\n"{A}"\t"x"\n"{C}"\t"y"\n', [A, C]),
    "json array": (json.dumps([A, B, C]), [A, B, C]),
    "json objects": (json.dumps([{"modelId": A, "name": "m1"}, {"modelId": B}]), [A, B]),
    "json object with nested ids": (json.dumps({"models": {"x": A, "y": [B]}}), [A, B]),
    "urls": (
        f"https://agent-platform.kore.ai/api/public/models/{A}/undeploy\n"
        f"https://gale.kore.ai/api/public/models/{B}/undeploy?x=1#frag",
        [A, B],
    ),
    "bullets and stray spaces": (f"  - {A}  \n  * {B}\n • {C}\n", [A, B, C]),
    "upper case and duplicates": (f"{A.upper()}\n{A}\n{B}\n{B.upper()}", [A, B]),
    "markdown table": (f"| id | name |\n|---|---|\n| {A} | a |\n| {B} | b |", [A, B]),
    "single quoted python list": (f"['{A}', '{B}']", [A, B]),
    "semicolons and blank lines": (f"{A};\n\n\n;{C};", [A, C]),
}


@pytest.mark.parametrize("name", sorted(MESSY))
def test_messy_pastes_give_exactly_the_expected_ids(name: str) -> None:
    text, expected = MESSY[name]
    parsed = parse_ids(text)
    assert parsed.model_ids == expected
    assert parsed.invalid == []


def test_duplicates_are_counted_and_order_is_first_seen() -> None:
    parsed = parse_ids(f"{B}\n{A}\n{B}\n{A.upper()}\n{C}")
    assert parsed.model_ids == [B, A, C]
    assert parsed.duplicates == 2


def test_dock_status_ids_are_separated_and_reported_for_undeploy() -> None:
    parsed = parse_ids(f"{A}\n{DS}")
    assert parsed.dock_status_ids == [DS]
    undeploy = for_undeploy(parsed)
    assert undeploy.model_ids == [A]
    assert [i.reason for i in undeploy.invalid] == [
        "this is a dock status ID, not a model or tool ID (watch it with `status`)"
    ]
    status = for_status(parsed)
    assert status.dock_status_ids == [DS]
    assert status.invalid[0].reason == "this is a model ID, not a dock status ID"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("cm-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c", "too short"),
        ("cm-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d00", "too long"),
        ("cm-20xxxxxf-0xx9-5xx0-8xx1-81xxxxxxxx80", "not hex: contains 'x'"),
        # The character as pasted: "contains 'x'" for a stray X sent the eye hunting.
        ("cm-f3f49249-dc28-4f90-a5ae-c7978306d03X", "not hex: contains 'X'"),
        ("cm-0a1b2c3d4e5f-4a6b-8c7d-9e0f-1a2b3c4d", "not in 8-4-4-4-12"),
        ("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "missing the cm- (model), a- (tool) or ds-"),
        ("0a1b2c3d4e5f4a6b-8c7d", "looks like an ID but has no cm-, a- or ds- prefix"),
        ("tl-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "unsupported prefix 'tl'-"),
        ("cm-", "too short"),
        # An operator's run: these two were dropped as plain words, counted nowhere.
        ("cm_0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "'cm_' before the UUID is not a prefix"),
        ("cm0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "'cm' before the UUID is not a prefix"),
        ("DS_0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D", "'DS_' before the UUID is not a prefix"),
        ("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d_x", "text after the UUID: '_x'"),
    ],
)
def test_invalid_tokens_have_specific_reasons(token: str, reason: str) -> None:
    parsed = parse_ids(f"modelId\n{token}\n{A}")
    assert parsed.model_ids == [A]
    assert len(parsed.invalid) == 1
    assert parsed.invalid[0].reason.startswith(reason), parsed.invalid[0].reason


def test_plain_words_are_ignored_not_reported() -> None:
    parsed = parse_ids("modelId name status deployed https api public models undeploy 2026-11-29")
    assert parsed.model_ids == [] and parsed.invalid == []


def test_path_segment_rejects_anything_but_a_clean_id() -> None:
    assert path_segment(A.upper(), "cm-") == A
    for bad in [f"{A}/../x", f"{A}?x=1", f"{A}#f", f"{A} ", "cm-../../etc", f"{A}\n", DS, ""]:
        if bad.strip().lower() == A:
            continue
        with pytest.raises(InvalidIdError):
            path_segment(bad, "cm-")


_ACCEPTED = re.compile(r"(cm|ds|a)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@given(st.text(max_size=400))
def test_parse_never_crashes_and_accepts_only_well_formed(text: str) -> None:
    parsed = parse_ids(text)
    for value in parsed.model_ids + parsed.tool_ids + parsed.dock_status_ids:
        assert _ACCEPTED.fullmatch(value)
    assert len(set(parsed.model_ids)) == len(parsed.model_ids)
    assert len(set(parsed.tool_ids)) == len(parsed.tool_ids)
    assert parsed.resource_ids == [
        v for v in parsed.paste_order if v in set(parsed.model_ids + parsed.tool_ids)
    ]


_HEXISH = st.text(alphabet="0123456789abcdefABCDEFxg-", min_size=0, max_size=45)


@given(st.sampled_from(["cm-", "ds-", "CM-", "a-", "A-", ""]), _HEXISH)
def test_near_miss_ids_are_accepted_only_if_valid(prefix: str, body: str) -> None:
    parsed = parse_ids(prefix + body)
    for value in parsed.model_ids + parsed.tool_ids + parsed.dock_status_ids:
        assert _ACCEPTED.fullmatch(value)
    token_ok = _ACCEPTED.fullmatch((prefix + body).lstrip("-_").lower())
    if not token_ok:
        assert parsed.model_ids == parsed.tool_ids == parsed.dock_status_ids == []


@given(
    st.lists(st.uuids(), min_size=1, max_size=20), st.sampled_from(["\n", ",", "\t", " ; ", "\r\n"])
)
def test_valid_ids_roundtrip_through_any_separator(uuids: list[object], sep: str) -> None:
    ids = [f"cm-{u}" for u in uuids]
    parsed = parse_ids(sep.join(ids))
    assert parsed.model_ids == list(dict.fromkeys(ids))


@given(
    st.lists(st.tuples(st.sampled_from(["cm-", "a-", "A-"]), st.uuids()), min_size=1, max_size=20),
    st.sampled_from(["\n", ",", "\t", " ; ", "\r\n", " "]),
)
def test_mixed_models_and_tools_roundtrip_in_paste_order(
    pairs: list[tuple[str, object]], sep: str
) -> None:
    ids = [f"{prefix}{u}" for prefix, u in pairs]
    parsed = parse_ids(sep.join(ids))
    expected = list(dict.fromkeys(i.lower() for i in ids))
    assert parsed.resource_ids == expected
    assert parsed.model_ids == [i for i in expected if i.startswith("cm-")]
    assert parsed.tool_ids == [i for i in expected if i.startswith("a-")]
    assert parsed.invalid == [] and parsed.duplicates == len(ids) - len(expected)


def test_wrong_kind_tokens_are_typed_not_worded() -> None:
    model = "cm-f38b2ffc-80a4-4f5a-91c9-bc701e7ea419"
    dock = "ds-90624fe3-6b82-46c9-982f-b0f1423674a6"
    parsed = parse_ids(f"{model} {dock} cm-7c1e")
    assert [i.kind for i in for_undeploy(parsed).invalid] == ["malformed", "dock_status_id"]
    assert [i.kind for i in for_status(parsed).invalid] == ["malformed", "model_id"]


TOOL_MESSY = {
    "tool urls": (
        f"https://gale.kore.ai/api/public/tools/{T1}/deploy\n"
        f"https://gale.kore.ai/api/public/tools/{T2}/undeploy",
        [T1, T2],
    ),
    "json objects with toolId": (json.dumps([{"toolId": T1}, {"toolId": T2.upper()}]), [T1, T2]),
    "csv with header": (f"toolId,name\n{T2},search\n{T1},crm\n", [T2, T1]),
}


@pytest.mark.parametrize("name", sorted(TOOL_MESSY))
def test_messy_tool_pastes_give_exactly_the_expected_ids(name: str) -> None:
    text, expected = TOOL_MESSY[name]
    parsed = parse_ids(text)
    assert parsed.tool_ids == expected and parsed.model_ids == []
    assert parsed.invalid == []


def test_a_mixed_paste_keeps_models_and_tools_in_paste_order() -> None:
    text = f"modelId,kind\n{A},model\n{T1},tool\n{DS},job\n{B},model\n{T1.upper()},dup\n{T2}"
    parsed = parse_ids(text)
    assert parsed.model_ids == [A, B] and parsed.tool_ids == [T1, T2]
    assert parsed.resource_ids == [A, T1, B, T2]
    assert parsed.dock_status_ids == [DS] and parsed.duplicates == 1
    assert parsed.total_valid == 5
    undeploy = for_undeploy(parsed)
    assert undeploy.resource_ids == [A, T1, B, T2] and undeploy.dock_status_ids == []
    assert [i.kind for i in undeploy.invalid] == ["dock_status_id"]
    status = for_status(parsed)
    assert status.dock_status_ids == [DS] and status.resource_ids == []
    assert [(i.token, i.kind) for i in status.invalid] == [
        (A, "model_id"),
        (T1, "tool_id"),
        (B, "model_id"),
        (T2, "tool_id"),
    ]
    assert status.invalid[1].reason == "this is a tool ID, not a dock status ID"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("a-5e6f7a8b-1c2d-4e3f-9a0b-1c2d3e4f5a", "too short: 34 of 36"),
        ("a-5e6f7a8b-1c2d-4e3f-9a0b-1c2d3e4f5a6b7c", "too long: 38 of 36"),
        ("a-20xxxxxf-0xx9-5xx0-8xx1-81xxxxxxxx80", "not hex: contains 'x'"),
        ("a-5e6f7a8b1c2d-4e3f-9a0b-1c2d-3e4f5a6b", "not in 8-4-4-4-12"),
        ("a-5e6f", "too short: 4 of 36"),
        ("a-deadbeefcafe", "too short: 12 of 36"),
    ],
)
def test_invalid_tool_ids_have_the_same_specific_reasons(token: str, reason: str) -> None:
    parsed = parse_ids(f"toolId\n{token}\n{T1}")
    assert parsed.tool_ids == [T1]
    assert len(parsed.invalid) == 1
    assert parsed.invalid[0].reason.startswith(reason), parsed.invalid[0].reason


def test_words_that_start_with_a_dash_are_plain_words() -> None:
    parsed = parse_ids("a-team a-la-carte a-b-c data-plane a-")
    assert parsed.tool_ids == [] and parsed.invalid == []


def test_tool_path_segment_and_resource_kind() -> None:
    assert path_segment(T1.upper(), TOOL_PREFIX) == T1
    for bad in [f"{T1}/../x", A, DS, "a-../../etc", ""]:
        with pytest.raises(InvalidIdError):
            path_segment(bad, TOOL_PREFIX)
    assert resource_kind(A) is ResourceKind.MODEL and resource_kind(T1.upper()) == "tool"
    with pytest.raises(InvalidIdError, match="not a model \\(cm-\\) or tool \\(a-\\) ID"):
        resource_kind(DS)
    assert [str(a) for a in Action] == ["UNDEPLOY", "DEPLOY"]


def test_a_coloured_paste_keeps_its_ids() -> None:
    """grep --color output: "\\x1b[31mcm-…\\x1b[0m" lost the ID, silently (the token read
    "31mcm-…", a plain word). Terminal escapes are dropped before tokens are read."""
    parsed = parse_ids(f"\x1b[01;31m\x1b[K{A}\x1b[m\x1b[K,name\n\x1b]0;title\x07{B}\n")
    assert parsed.model_ids == [A, B] and parsed.invalid == []


def test_an_id_behind_other_text_is_reported_not_ignored() -> None:
    """ "31mcm-<uuid>" (a colour code whose escape character was lost) was a plain word."""
    parsed = parse_ids(f"31m{A}")
    assert parsed.model_ids == []
    assert [i.reason for i in parsed.invalid] == ["text before its cm- prefix: '31m'"]
