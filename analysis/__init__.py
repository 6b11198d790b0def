"""Statistics of the Hài Lòng platform: pure numpy/scipy, no Flask or SQLAlchemy.

Public API (DESIGN.md §6):

    from analysis import Design, Estimate, cronbach_alpha, satisfaction_index

Also: index tables for several groupings at once (index_table_answers, index_table from per-unit
sums), weighting helpers, and comparisons (target status, change, small cells, importance).
"""
from analysis.calibration import (
    adjust_nonresponse,
    effective_n,
    kish_deff,
    nonresponse_factors,
    trim_weights,
)
from analysis.compare import (
    CellFlags,
    change,
    correlation,
    element_importance,
    priority_quadrant,
    rank,
    small_cell,
    target_status,
)
from analysis.design import Design
from analysis.estimate import Estimate
from analysis.index import (
    IndexResult,
    IndexSums,
    index_sums,
    index_table,
    index_table_answers,
    satisfaction_index,
    satisfaction_index_from_sums,
)
from analysis.reliability import cronbach_alpha
from analysis.table import Cell, TargetRef, empty_result, judge, targets_in_force

__all__ = [
    "Cell", "CellFlags", "Design", "TargetRef", "empty_result", "judge", "targets_in_force", "Estimate",
    "IndexResult", "IndexSums", "adjust_nonresponse", "change",
    "correlation", "cronbach_alpha", "effective_n", "element_importance", "index_sums",
    "index_table", "index_table_answers", "kish_deff", "nonresponse_factors", "priority_quadrant",
    "rank", "satisfaction_index", "satisfaction_index_from_sums", "small_cell", "target_status",
    "trim_weights",
]
