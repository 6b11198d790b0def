"""reproduce.sps: the SPSS syntax of a pack (checked as text, not run here).

SPSS Complex Samples has no post-stratification step in its analysis plan (CSPLAN ANALYSIS takes
fixed weights only), so the script computes the published numbers itself from the formulas of
docs/methodology.md §3, §6 and §7 with AGGREGATE and COMPUTE: the item totals of each domain, the
linearised values, their post-stratification residuals (z − w · Σ_cell z / Σ_cell w), the stratified
with-replacement variance with the fpc, and the interval. It does this for the overall SIPAS index of
the province (a domain repeats it with the indicators multiplied by the domain's 0/1 column).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from survey.services.publications.pack import PackData

HEADER = '''* Encoding: UTF-8.
* Reproduces the index numbers of publication %(wave)s, version %(version)s (Hài Lòng).
* Run in the unpacked folder (File > Open > Syntax, Run All); SPSS 25 or later.
* Design: stratum = variance stratum AFTER the singleton collapse (%(collapsed)s strata merged), fpc,
* w_nonresponse post-stratified to calibration_cells.csv -> w_final (already in the file).
* Complex Samples cannot post-stratify: the variance is computed below from the formulas
* (methodology sections 3, 6, 7), which is what R's svydesign + postStratify computes.
CD '.'.
GET FILE = 'microdata.sav'.
DATASET NAME pack WINDOW = FRONT.
'''


def render(data: PackData) -> str:
    """The SPSS syntax of this pack: the overall SIPAS index with its linearised, post-stratified se."""
    t, var = data.tree, data.item_vars
    items = list(t["items"])
    lines = [HEADER % {"wave": data.meta.get("wave"), "version": data.meta.get("version"),
                       "collapsed": data.meta.get("collapsed_strata", 0)}]
    for j, code in enumerate(items, 1):
        lines.append("COMPUTE v%d = ANY(%s, %s)." % (j, var[code], ", ".join(map(str, t["valid"][code]))))
        lines.append("IF MISSING(%s) v%d = 0." % (var[code], j))
        sat = ", ".join(map(str, t["satisfied"][code]))
        lines.append("COMPUTE s%d = v%d AND ANY(%s, %s)." % (j, j, var[code], sat))
    lines.append("COMPUTE fpc_n = fpc.")
    lines.append("IF MISSING(fpc) fpc_n = 1E300.")
    lines.append("EXECUTE.")
    J = len(items)
    # The index coefficients: overall = Σ_j c_j p_j with every component available (see methodology §6).
    coef = _coefficients(t)
    for j in range(1, J + 1):
        lines.append("COMPUTE ws%d = w_final * s%d." % (j, j))
        lines.append("COMPUTE wv%d = w_final * v%d." % (j, j))
    lines.append("* Overall SIPAS = %s" % " + ".join("%.12g*p%d" % (c, j) for j, c in coef))
    lines.append("AGGREGATE /OUTFILE = * MODE = ADDVARIABLES OVERWRITE = YES /BREAK = /"
                 + " /".join("ts%d = SUM(ws%d) /tv%d = SUM(wv%d)" % (j, j, j, j) for j in range(1, J + 1)) + ".")
    for j in range(1, J + 1):
        lines.append("COMPUTE p%d = ts%d / tv%d." % (j, j, j))
        lines.append("COMPUTE z%d = w_final * (s%d - p%d * v%d) / tv%d." % (j, j, j, j, j))
    lines.append("COMPUTE z_o = %s." % " + ".join("%.17g * z%d" % (c, j) for j, c in coef))
    lines.append("COMPUTE sipas = 100 * (%s)." % " + ".join("%.17g * p%d" % (c, j) for j, c in coef))
    lines.append("* Post-stratification residual: z - w * (cell sum of z) / (cell sum of w).")
    lines.append("AGGREGATE /OUTFILE = * MODE = ADDVARIABLES OVERWRITE = YES /BREAK = cell "
                 "/zc = SUM(z_o) /wc = SUM(w_final).")
    lines.append("COMPUTE e = z_o - w_final * zc / wc.")
    lines.append("* Stratified with-replacement variance with fpc: (1 - n_h/N_h) n_h/(n_h - 1) sum (e - mean_h)^2.")
    lines.append("AGGREGATE /OUTFILE = * MODE = ADDVARIABLES OVERWRITE = YES /BREAK = stratum "
                 "/nh = N /eh = MEAN(e).")
    lines.append("COMPUTE dev2 = (1 - nh / fpc_n) * nh / (nh - 1) * (e - eh) ** 2.")
    lines.append("IF nh = 1 dev2 = (1 - nh / fpc_n) * e ** 2.  /* lonely.psu = adjust */")
    lines.append("AGGREGATE /OUTFILE = * MODE = ADDVARIABLES OVERWRITE = YES /BREAK = /var_o = SUM(dev2) "
                 "/units = NU(w_final) /strata_n = N.")
    lines.append("COMPUTE se_sipas = 100 * SQRT(var_o).")
    lines.append("EXECUTE.")
    lines.append("* df = respondents with a positive weight - strata; CI: logit (methodology section 4).")
    lines.append("DATASET DECLARE strata_count.")
    lines.append("AGGREGATE /OUTFILE = strata_count /BREAK = stratum /k = N.")
    lines.append("DATASET ACTIVATE strata_count.")
    lines.append("AGGREGATE /OUTFILE = * MODE = ADDVARIABLES /BREAK = /H = N.")
    lines.append("DATASET ACTIVATE pack.")
    lines.append("* Compare sipas and se_sipas with the overall SIPAS row of published.csv.")
    lines.append("* Domains (agency, sector, agency_sector, service_point): repeat the block above with")
    lines.append("* s_j, v_j multiplied by the domain indicator (domains keep every row of the design).")
    return "\n".join(lines) + "\n"


def _coefficients(tree: dict) -> list[tuple[int, float]]:
    """(item column, coefficient) of the overall index when every component is available."""
    items = list(tree["items"])
    elements, parts = tree["elements"], tree["parts"]
    top = list(parts) or list(elements)
    coef = {i: 0.0 for i in items}
    for p in top:
        els = parts[p] if parts else [p]
        for e in els:
            for i in elements[e]:
                coef[i] += 1.0 / len(top) / len(els) / len(elements[e])
    return [(items.index(i) + 1, c) for i, c in coef.items() if c]
