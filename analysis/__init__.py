"""Statistics of the Hài Lòng platform: pure numpy/scipy, no Flask or SQLAlchemy.

Public API (DESIGN.md §6):

    from analysis import Design, Estimate, cronbach_alpha, satisfaction_index
"""
from analysis.calibration import adjust_nonresponse, effective_n, kish_deff, nonresponse_factors, trim_weights
from analysis.design import Design
from analysis.estimate import Estimate
from analysis.index import IndexResult, IndexSums, index_sums, satisfaction_index, satisfaction_index_from_sums

__all__ = [
    "Design", "Estimate", "IndexResult", "IndexSums", "adjust_nonresponse", "effective_n",
    "index_sums", "kish_deff", "nonresponse_factors", "satisfaction_index",
    "satisfaction_index_from_sums", "trim_weights",
]
