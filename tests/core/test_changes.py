"""Folding a run of watchlist versions into one change."""


def test_a_run_of_versions_folds_into_one_change() -> None:
    from esgscreen.core.changes import fold_version_changes

    folded = fold_version_changes([
        {"added": ["a", "b"], "changed": ["c"]},
        {"changed": ["a", "d"], "removed": ["b", "c"]},
        {"added": ["c"]},
    ])
    assert folded == {"added": ["a", "c"], "changed": ["d"], "removed": []}
