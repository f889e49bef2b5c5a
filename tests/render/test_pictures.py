"""Pictures render to the expected plain text (marks are characters, not only colours)."""

from __future__ import annotations

import io

from rich.console import Console

from tutor.render.pictures import BroadcastPicture, DiffPicture, GraphTree, picture_for


def text(renderable: object) -> str:
    """Render as the transcript would, into plain text, trailing spaces dropped."""
    console = Console(file=io.StringIO(), width=60, color_system=None)
    console.print(renderable)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    return "\n".join(line.rstrip() for line in out.splitlines())


DIFF = {
    "kind": "diff",
    "name": "x",
    "expected": [[1.0, 2.0], [3.0, 4.0]],
    "got": [[1.0, 2.0], [3.0, 5.5]],
    "mismatch": [[False, False], [False, True]],
}


def test_diff_side_by_side_marks_the_differing_cell() -> None:
    assert text(DiffPicture(DIFF)) == (
        "x: ✗ marks a value that differs\n"
        "expected   yours\n"
        "1.0 2.0    1.0   2.0\n"
        "3.0 4.0    3.0   5.5✗"
    )


def test_diff_stacks_when_too_narrow_for_side_by_side() -> None:
    console = Console(file=io.StringIO(), width=20, color_system=None)
    payload = {**DIFF, "expected": [[0.123456, -2.5], [3.0, 4.0]]}
    console.print(DiffPicture(payload))
    lines = [line.rstrip() for line in console.file.getvalue().splitlines()]  # type: ignore[attr-defined]
    assert lines[-6:] == [
        "expected",
        "0.1235 -2.5",
        "   3.0  4.0",
        "yours",
        "1.0   2.0",
        "3.0   5.5✗",
    ]


def test_diff_vector_in_chinese() -> None:
    payload = {
        "kind": "diff",
        "name": "v",
        "expected": [0, 2, 4],
        "got": [0, 2, 5],
        "mismatch": [False, False, True],
    }
    assert text(DiffPicture(payload, "zh")) == (
        "v: ✗ 表示数值不同\n期望    你的结果\n0 2 4   0   2   5✗"
    )


def test_diff_marks_touch_their_value_and_keep_a_gap_before_the_next() -> None:
    """K3 of the newcomer walk: `1 ✗ 2 ✗` read as if each ✗ belonged to the next value."""
    payload = {
        "kind": "diff",
        "name": "c",
        "expected": [[2.0, 0.0], [8.0, 15.0]],
        "got": [[8.0, 9.0], [14.0, 15.0]],
        "mismatch": [[True, True], [True, False]],
    }
    assert text(DiffPicture(payload)).splitlines()[-2:] == [
        "2.0  0.0    8.0✗   9.0✗",
        "8.0 15.0   14.0✗  15.0",
    ]


def test_diff_scalar() -> None:
    payload = {"kind": "diff", "name": "s", "expected": 7.0, "got": 14.0, "mismatch": True}
    assert text(DiffPicture(payload)).splitlines()[-1] == "7.0        14.0✗"


def test_summary_for_big_tensors() -> None:
    payload = {
        "kind": "summary",
        "name": "w",
        "count": 3,
        "total": 100,
        "max_diff": 0.5,
        "at": [2, 7],
        "expected_at": 1.0,
        "got_at": 1.5,
    }
    assert text(DiffPicture(payload)) == (
        "w: 3 of 100 elements differ (3.0%). Largest difference 0.5\n"
        "at index (2, 7): expected 1.0, yours 1.5."
    )
    assert "100 个元素中有 3 个不同" in text(DiffPicture(payload, "zh"))


GRAPH = {
    "kind": "graph",
    "name": "y",
    "shape": [],
    "dtype": "float32",
    "grad_fn": "SumBackward0",
    "root": {
        "op": "SumBackward0",
        "name": "y",
        "children": [
            {
                "op": "AddBackward0",
                "children": [
                    {
                        "op": "MulBackward0",
                        "name": "h",
                        "children": [
                            {
                                "leaf": True,
                                "name": "x",
                                "shape": [3],
                                "requires_grad": True,
                                "has_grad": True,
                            },
                            {
                                "leaf": True,
                                "name": None,
                                "shape": [3],
                                "requires_grad": True,
                                "has_grad": False,
                            },
                        ],
                    },
                    {"op": "MulBackward0", "seen": True},
                    {"truncated": True},
                ],
            },
        ],
    },
}


def test_graph_tree() -> None:
    assert text(GraphTree(GRAPH)) == (
        "y () float32\n"
        "└── SumBackward0 → y\n"
        "    └── AddBackward0\n"
        "        ├── MulBackward0 → h\n"
        "        │   ├── leaf x (3,) requires_grad  .grad set\n"
        "        │   └── leaf ? (3,) requires_grad  .grad None\n"
        "        ├── MulBackward0 (again, see above)\n"
        "        └── … (graph cut here)"
    )


def test_graph_tree_chinese_and_errors() -> None:
    assert "叶子 x (3,) requires_grad  .grad 已有值" in text(GraphTree(GRAPH, "zh"))
    error = {
        "kind": "graph",
        "name": "n",
        "error": "not-tensor",
        "message": {"en": "`n` is not a tensor.", "zh": "`n` 不是张量。"},
    }
    assert text(GraphTree(error)) == "n is not a tensor."  # `code` shows as code
    assert text(GraphTree(error, "zh")) == "n 不是张量。"


def test_broadcast_clash_is_marked_right_aligned() -> None:
    assert text(BroadcastPicture([[3, 2], [3]])) == (
        "a 3 2\nb   3\n    ^\n^ these sizes clash: they must be equal or one of them 1"
    )


def test_broadcast_compatible_shows_the_result() -> None:
    assert text(BroadcastPicture([[3], [3, 1]], lang="zh")) == (
        "a      3\nb    3 1\n结果 3 3\n从右往左对齐：每一列大小相等或为 1"
    )
    assert text(BroadcastPicture([[4, 1, 2], [5, 1]])).splitlines()[2] == "result 4 5 2"


def test_broadcast_from_an_error_message_payload() -> None:
    payload = {"kind": "broadcast", "shapes": None, "sizes": [2, 3], "dim": 1, "clash": None}
    assert text(picture_for(payload)) == (
        "a … 2\n"
        "b … 3\n"
        "    ^\n"
        "^ these sizes clash: they must be equal or one of them 1\n"
        "(dim 1 of the result)"
    )


def test_the_clashing_dim_is_a_full_width_aside_in_chinese() -> None:
    """The 07b walk: "…或其中一个为 1 (结果的第 1 维)", a half-width aside in Chinese."""
    payload = {"kind": "broadcast", "shapes": None, "sizes": [2, 3], "dim": 1, "clash": None}
    assert text(picture_for(payload, "zh")).splitlines()[-1] == (
        "^ 这两个大小冲突：必须相等，或其中一个为 1（结果的第 1 维）"
    )


def test_broadcast_inplace_payload() -> None:
    payload = {"kind": "broadcast", "shapes": [[3], [3, 3]], "clash": None, "inplace": True}
    assert text(picture_for(payload)) == (
        "target   3\nresult 3 3\nan in-place result must keep the first shape"
    )


def test_picture_for_dispatches_on_kind() -> None:
    assert isinstance(picture_for(DIFF), DiffPicture)
    assert isinstance(picture_for(GRAPH), GraphTree)
    assert picture_for({"kind": "something else"}) is None


def test_broadcast_rows_are_labelled_with_the_operand_names() -> None:
    payload = {
        "kind": "broadcast",
        "shapes": [[4, 3, 2], [3]],
        "names": ["x", "w"],
        "clash": -1,
        "sizes": [2, 3],
        "dim": 2,
    }
    assert text(picture_for(payload)).splitlines()[:3] == ["x 4 3 2", "w     3", "      ^"]


def test_broadcast_tolerates_odd_payloads() -> None:
    assert "result" in text(BroadcastPicture([[], [2]]))
    assert text(BroadcastPicture([[3], [4]], clash=-5)).splitlines()[:3] == ["a 3", "b 4", "  ^"]
