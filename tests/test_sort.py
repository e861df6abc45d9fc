import numpy as np
import pytest

from twoface.cli import main
from twoface.extract.faceset import FaceSet
from twoface.extract.sort import RANKERS, parse_drop, sort_by


@pytest.fixture()
def small_set(grid_s1_faceset, tmp_path):
    """The first 40 GRID faces copied into a fresh set (sorting works in place)."""
    from twoface.extract.sort import write_subset

    faceset, _ = grid_s1_faceset
    return write_subset(faceset, faceset.records()[:40], tmp_path / "small").root


def test_blur_sort_drops_the_blurriest_into_dropped(small_set, capsys):
    before = FaceSet.open(small_set).records()
    assert main(["sort", str(small_set), "--by", "blur", "--drop-worst", "10"]) == 0
    after = FaceSet.open(small_set).records()
    assert len(after) == 30
    blur = [r.blur for r in after]
    assert blur == sorted(blur, reverse=True)
    dropped_files = sorted((small_set / "dropped").iterdir())
    assert len(dropped_files) == 10
    assert max(r.blur for r in before if r.file in {p.name for p in dropped_files}) <= min(blur)
    assert "10 moved to dropped/" in capsys.readouterr().out


def test_pose_sort_orders_by_yaw_into_a_new_set(small_set, tmp_path):
    kept, dropped = sort_by(small_set, "pose", "10%", tmp_path / "posed")
    assert (kept, dropped) == (36, 4)
    assert len(FaceSet.open(small_set).records()) == 40  # original untouched


def test_similarity_drops_near_duplicates_first(small_set, tmp_path):
    faceset = FaceSet.open(small_set)
    # a second copy of one face: the most redundant face of all
    records = faceset.records()
    dup = records[5]
    import shutil
    from dataclasses import replace

    shutil.copy(faceset.faces_dir / dup.file, faceset.faces_dir / ("dup_" + dup.file))
    faceset.rewrite_records([*records, replace(dup, file="dup_" + dup.file)])
    sort_by(small_set, "similarity", "1", None)
    gone = {p.name for p in (small_set / "dropped").iterdir()}
    assert gone & {dup.file, "dup_" + dup.file}


def test_parse_drop():
    assert parse_drop("10", 50) == 10 and parse_drop("10%", 50) == 5 and parse_drop(None, 5) == 0
    assert parse_drop("99", 5) == 5


def test_identity_sort_needs_an_output(small_set, capsys):
    before = (small_set / "faces.jsonl").read_bytes()
    files = sorted(p.name for p in small_set.rglob("*"))
    assert main(["sort", str(small_set), "--by", "identity"]) == 1
    assert "needs -o" in capsys.readouterr().err
    assert (small_set / "faces.jsonl").read_bytes() == before  # refused: nothing moved or rewritten
    assert sorted(p.name for p in small_set.rglob("*")) == files


@pytest.mark.parametrize("name", sorted(RANKERS))
def test_every_ranker_gives_a_full_order_and_a_score_per_face(small_set, name):
    """The contract of a RANKERS entry: every face once in the order, one score each (lower
    is worse, finite except a chain's first face), and the same answer twice."""
    faceset = FaceSet.open(small_set)
    records = faceset.records()
    order, score = RANKERS[name](faceset, records)
    assert sorted(int(i) for i in order) == list(range(len(records)))
    assert len(score) == len(records) and np.isfinite(np.asarray(score)[1:]).all()
    again, score2 = RANKERS[name](faceset, records)
    assert [int(i) for i in again] == [int(i) for i in order] and np.array_equal(score, score2)


def test_the_cli_offers_every_ranker():
    from twoface.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command").choices["sort"]
    by = next(a for a in sub._actions if a.dest == "by")
    assert list(by.choices) == ["identity", *RANKERS]
