"""reproduce.sps: the SPSS syntax of a pack, which recomputes every published number (MATRIX ... END MATRIX).

SPSS Complex Samples cannot post-stratify (CSPLAN ANALYSIS takes fixed weights only), so the script
computes the numbers from the formulas of docs/methodology.md §3, §6, §7 and §14 in the MATRIX language,
as R's svydesign + postStratify does: per domain (the province, each agency, sector, agency × sector and
service point) the item totals on domain-zeroed indicators (domains keep the full design), the items,
elements, parts and overall index with their linearised values, each judgement indicator and need
(province, agencies, sectors) as the share of the domain's respondents to the question; then the
post-stratification residuals (z − w · Σ_cell z / Σ_cell w), the stratified with-replacement variance
with the fpc, df = positive-weight respondents − their strata, and the logit interval (Clopper–Pearson
at 0 and 100 %) with IDF.T and IDF.BETA. It writes spss_results.csv with published.csv's key columns.
Neither SPSS nor Stata runs here; GNU PSPP (≥ 1.6, which has MATRIX) runs this script unchanged, and
tests/publications/test_pack.py compares its output with published.csv when `pspp` is installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from survey.services.publications.pack_answers import indicator_columns

if TYPE_CHECKING:
    from survey.services.publications.pack import PackData

GROUPINGS = ("overall", "agency", "sector", "agency_sector", "service_point")  # hl_g = 1 … 5

HEADER = """* Encoding: UTF-8.
* Reproduces every number of publication %(wave)s, version %(version)s (Hài Lòng): the index of the
* province, each agency, sector, agency x sector and service point, and the judgement indicators and
* needs of the province, agencies and sectors. Writes spss_results.csv (compare with published.csv).
* Run in the unpacked folder (File > Open > Syntax, Run All); SPSS 25 or later, or GNU PSPP 1.6 or later.
* Design: stratum = variance stratum AFTER the singleton collapse (%(collapsed)s strata merged), its fpc,
* w_nonresponse post-stratified to calibration_cells.csv -> w_final (already in the file).
* Complex Samples cannot post-stratify: the variance is computed below from the formulas
* (methodology sections 3, 6, 7, 14), which is what R's svydesign + postStratify computes.
* The scratch files spss_*.sav are written to the folder.
SET DECIMAL = DOT.
* A loop runs at most MXLOOPS times (40 by default): domains and strata can be many more.
SET MXLOOPS = 1000000.
DATA LIST LIST (",") / hl_ci (F8.0) hl_level (A10) hl_comp (A120).
BEGIN DATA
%(components)s
END DATA.
SAVE OUTFILE = 'spss_components.sav'.
GET FILE = 'microdata.sav'.
COMPUTE fpc_n = fpc.
IF MISSING(fpc) fpc_n = 1E300.
STRING hl_k2 hl_k3 hl_k4 hl_k5 (A200).
COMPUTE hl_k2 = agency.
COMPUTE hl_k3 = sector.
COMPUTE hl_k4 = CONCAT(RTRIM(agency), "|", RTRIM(sector)).
COMPUTE hl_k5 = service_point.
IF (hl_k5 = "") hl_k5 = "~".
"""

KEYS = """AUTORECODE VARIABLES = stratum cell hl_k2 hl_k3 hl_k4 hl_k5 /INTO hl_h hl_c hl_d2 hl_d3 hl_d4 hl_d5.
SAVE OUTFILE = 'spss_work.sav'.
AGGREGATE /OUTFILE = 'spss_keys2.sav' /BREAK = hl_d2 /hl_key = FIRST(hl_k2).
AGGREGATE /OUTFILE = 'spss_keys3.sav' /BREAK = hl_d3 /hl_key = FIRST(hl_k3).
AGGREGATE /OUTFILE = 'spss_keys4.sav' /BREAK = hl_d4 /hl_key = FIRST(hl_k4).
AGGREGATE /OUTFILE = 'spss_keys5.sav' /BREAK = hl_d5 /hl_key = FIRST(hl_k5).
ADD FILES /FILE = 'spss_keys2.sav' /IN = hl_i2 /FILE = 'spss_keys3.sav' /IN = hl_i3
  /FILE = 'spss_keys4.sav' /IN = hl_i4 /FILE = 'spss_keys5.sav' /IN = hl_i5.
COMPUTE hl_g = 2 * hl_i2 + 3 * hl_i3 + 4 * hl_i4 + 5 * hl_i5.
COMPUTE hl_d = SUM(hl_d2, hl_d3, hl_d4, hl_d5).
SORT CASES BY hl_g hl_d.
SAVE OUTFILE = 'spss_keys.sav' /KEEP = hl_g hl_d hl_key.
GET FILE = 'spss_work.sav'.
"""

# One variance for the n x c linearised values in hlZ: post-stratification residuals, then the
# stratified with-replacement variance with the fpc (a stratum of one unit: lonely.psu "adjust",
# centred at the grand mean, which is 0 after post-stratification).
VARIANCE = """    COMPUTE hlR = (T(CM) * hlZ) &/ (Wc * MAKE(1, NCOL(hlZ), 1)).
    COMPUTE hlE = hlZ - (w * MAKE(1, NCOL(hlZ), 1)) &* (CM * hlR).
    COMPUTE hlS1 = T(HM) * hlE.
    COMPUTE hlS2 = T(HM) * (hlE &* hlE).
    COMPUTE hlDev = hlS2 - (hlS1 &* hlS1) &/ (nh * MAKE(1, NCOL(hlZ), 1)) &* (multi * MAKE(1, NCOL(hlZ), 1)).
    COMPUTE hlVar = T(T(fh) * hlDev).
    COMPUTE hlSe = SQRT(hlVar &* (hlVar > 0)).
"""

MATRIX_HEAD = """MATRIX.
GET X /VARIABLES = w_final fpc_n hl_h hl_c hl_d2 hl_d3 hl_d4 hl_d5.
GET SV /VARIABLES = %(s_vars)s.
GET VV /VARIABLES = %(v_vars)s.
%(get_indicators)sCOMPUTE w = X(:, 1).
COMPUTE n = NROW(w).
COMPUTE one = MAKE(n, 1, 1).
COMPUTE pos = w > 0.
COMPUTE nstr = MMAX(X(:, 3)).
COMPUTE ncell = MMAX(X(:, 4)).
COMPUTE HM = (X(:, 3) * MAKE(1, nstr, 1)) = (one * {1:nstr}).
COMPUTE CM = (X(:, 4) * MAKE(1, ncell, 1)) = (one * {1:ncell}).
COMPUTE nh = T(CSUM(HM)).
COMPUTE popH = (T(HM) * X(:, 2)) &/ nh.
COMPUTE multi = nh > 1.
COMPUTE fh = (1 - nh &/ popH) &* nh &/ (nh - 1 + (nh = 1)).
COMPUTE Wc = T(CM) * w.
COMPUTE Wc = Wc + (Wc = 0).
COMPUTE J = %(J)d.
%(tree)sCOMPUTE RES = MAKE(1, 8, 0).
LOOP gg = 1 TO 5.
  COMPUTE ndom = 1.
  DO IF gg > 1.
    COMPUTE ndom = MMAX(X(:, gg + 3)).
  END IF.
  LOOP dd = 1 TO ndom.
    DO IF gg = 1.
      COMPUTE m = one.
    ELSE.
      COMPUTE m = X(:, gg + 3) = dd.
    END IF.
    COMPUTE mp = m &* pos.
    COMPUTE cnt = T(HM) * mp.
    COMPUTE df = MSUM(mp) - MSUM(cnt > 0).
    COMPUTE wm = w &* m.
    COMPUTE tv = T(VV) * wm.
    COMPUTE ts = T(SV) * wm.
    COMPUTE nv = T(VV) * mp.
    COMPUTE ok = tv > 0.
    COMPUTE tvs = tv + (tv = 0).
    COMPUTE p = ts &/ tvs.
    COMPUTE hlZ = ((wm * MAKE(1, J, 1)) &* (SV - VV &* (one * T(p)))) &/ (one * T(tvs)).
    COMPUTE AC = IDENT(J).
    COMPUTE OKC = ok.
    COMPUTE NCmp = nv.
%(components_code)s    COMPUTE hlZ = hlZ * AC.
%(variance)s    COMPUTE ncomp = NCOL(AC).
    COMPUTE RES = {RES; MAKE(ncomp, 1, gg), MAKE(ncomp, 1, dd), T({1:ncomp}), OKC, T(AC) * p, hlSe,
      MAKE(ncomp, 1, df), NCmp}.
%(indicators)s  END LOOP.
END LOOP.
SAVE RES /OUTFILE = 'spss_matrix.sav' /VARIABLES = hl_g hl_d hl_ci hl_ok hl_p hl_se hl_df hl_n.
END MATRIX.
"""

TAIL = """GET FILE = 'spss_matrix.sav'.
SELECT IF hl_g > 0.
SORT CASES BY hl_g hl_d.
MATCH FILES /FILE = * /TABLE = 'spss_keys.sav' /BY hl_g hl_d.
SORT CASES BY hl_ci.
MATCH FILES /FILE = * /TABLE = 'spss_components.sav' /BY hl_ci.
IF (hl_g = 1) hl_key = "".
SELECT IF NOT (hl_g = 5 AND hl_key = "~").  /* no service point: no published cell */
STRING grouping (A20).
RECODE hl_g (1 = 'overall') (2 = 'agency') (3 = 'sector') (4 = 'agency_sector') (5 = 'service_point') INTO grouping.
IF (hl_ok = 0) hl_p = $SYSMIS.
IF (hl_ok = 0) hl_se = $SYSMIS.
* The interval (methodology section 4): logit, df = the domain's; a share of 0 or 1: Clopper-Pearson on n.
COMPUTE hl_a = 1 - %(level)r.
COMPUTE hl_t = $SYSMIS.
IF (hl_df >= 1) hl_t = IDF.T(1 - hl_a / 2, hl_df).
COMPUTE ci_low = $SYSMIS.
COMPUTE ci_high = $SYSMIS.
DO IF NOT MISSING(hl_t) AND NOT MISSING(hl_p) AND NOT MISSING(hl_se).
  DO IF hl_p = 0 OR hl_p = 1.
    COMPUTE hl_x = RND(hl_p * hl_n).
    COMPUTE ci_low = 0.
    COMPUTE ci_high = 1.
    IF (hl_x > 0) ci_low = IDF.BETA(hl_a / 2, hl_x, hl_n - hl_x + 1).
    IF (hl_x < hl_n) ci_high = IDF.BETA(1 - hl_a / 2, hl_x + 1, hl_n - hl_x).
  ELSE.
    COMPUTE hl_hw = hl_t * hl_se / (hl_p * (1 - hl_p)).
    COMPUTE ci_low = 1 / (1 + EXP(-(LN(hl_p / (1 - hl_p)) - hl_hw))).
    COMPUTE ci_high = 1 / (1 + EXP(-(LN(hl_p / (1 - hl_p)) + hl_hw))).
  END IF.
END IF.
COMPUTE value = 100 * hl_p.
COMPUTE se = 100 * hl_se.
COMPUTE ci_low = 100 * ci_low.
COMPUTE ci_high = 100 * ci_high.
COMPUTE df = hl_df.
COMPUTE n = hl_n.
FORMATS value se ci_low ci_high (F25.16) df n (F12.0).
RENAME VARIABLES (hl_key hl_level hl_comp = key level component).
SAVE TRANSLATE /OUTFILE = 'spss_results.csv' /TYPE = CSV /FIELDNAMES /REPLACE
  /KEEP = grouping key level component value se ci_low ci_high df n.
* Compare spss_results.csv with published.csv: same key columns (grouping, key, level, component).
"""


def _matrix(rows: list[list[int]]) -> str:
    """A MATRIX literal, one row a line."""
    return "{" + ";\n  ".join(", ".join(str(v) for v in r) for r in rows) + "}"


def _run(stem: str, count: int) -> str:
    """The variables stem1 … stemK as a MATRIX GET list (created one after the other)."""
    return "%s1" % stem if count == 1 else "%s1 TO %s%d" % (stem, stem, count)


def _tree(t: dict, items: list[str]) -> tuple[str, str, list[tuple[str, str]]]:
    """(MATRIX literals of the tree, the per-domain code of elements, parts and overall, components)."""
    elements, parts = list(t["elements"]), list(t["parts"])
    comps = [("item", i) for i in items] + [("element", e) for e in elements] + [("part", p) for p in parts]
    comps.append(("overall", "SIPAS"))
    lit, code = "", ""
    if elements:
        em = [[int(i in t["elements"][e]) for e in elements] for i in items]
        lit += "COMPUTE EM = %s.\n" % _matrix(em)
        code += """    COMPUTE EMa = EM &* (ok * MAKE(1, %(nE)d, 1)).
    COMPUTE ce = T(CSUM(EMa)).
    COMPUTE okE = ce > 0.
    COMPUTE aE = EMa &/ (MAKE(J, 1, 1) * T(ce + (ce = 0))).
    COMPUTE nEl = MAKE(%(nE)d, 1, 0).
    LOOP k = 1 TO %(nE)d.
      COMPUTE nEl(k) = MMAX(nv &* EM(:, k)).
    END LOOP.
    COMPUTE AC = {AC, aE}.
    COMPUTE OKC = {OKC; okE}.
    COMPUTE NCmp = {NCmp; nEl}.
""" % {"nE": len(elements)}
    if parts:
        pm = [[int(e in t["parts"][p]) for p in parts] for e in elements]
        lit += "COMPUTE PM = %s.\n" % _matrix(pm)
        code += """    COMPUTE PMa = PM &* (okE * MAKE(1, %(nP)d, 1)).
    COMPUTE cp = T(CSUM(PMa)).
    COMPUTE okP = cp > 0.
    COMPUTE aP = aE * (PMa &/ (MAKE(%(nE)d, 1, 1) * T(cp + (cp = 0)))).
    COMPUTE nPa = MAKE(%(nP)d, 1, 0).
    LOOP k = 1 TO %(nP)d.
      COMPUTE nPa(k) = MMAX(nEl &* PM(:, k)).
    END LOOP.
    COMPUTE AC = {AC, aP}.
    COMPUTE OKC = {OKC; okP}.
    COMPUTE NCmp = {NCmp; nPa}.
""" % {"nE": len(elements), "nP": len(parts)}
    top = "P" if parts else ("E" if elements else "")
    if top:  # the overall index: mean of the available parts (else elements)
        code += """    COMPUTE ntop = MSUM(ok%(t)s).
    COMPUTE aO = a%(t)s * (ok%(t)s / (ntop + (ntop = 0))).
    COMPUTE AC = {AC, aO}.
    COMPUTE OKC = {OKC; ntop > 0}.
    COMPUTE NCmp = {NCmp; MMAX(nv)}.
""" % {"t": top}
    else:
        comps.pop()
    return lit, code, comps


def _indicators(specs: list, first: int) -> tuple[str, list[tuple[str, str]]]:
    """The per-domain code of the indicator shares (province, agencies, sectors) and their components."""
    code, comps, col = "", [], 1
    for qi, (question, columns) in enumerate(specs, 1):
        k = len(columns)
        code += """      * %(q)s: the share of the domain's respondents to the question who chose each option.
      COMPUTE ins = m &* HA(:, %(qi)d).
      COMPUTE wi = w &* ins.
      COMPUTE td = MSUM(wi).
      COMPUTE nq = MSUM(ins &* pos).
      COMPUTE cq = T(HM) * (ins &* pos).
      COMPUTE dq = nq - MSUM(cq > 0).
      DO IF td > 0.
        COMPUTE Yq = HY(:, %(a)d:%(b)d).
        COMPUTE pq = (T(Yq) * wi) / td.
        COMPUTE hlZ = ((wi * MAKE(1, %(k)d, 1)) &* (Yq - one * T(pq))) / td.
%(variance)s        COMPUTE RES = {RES; MAKE(%(k)d, 1, gg), MAKE(%(k)d, 1, dd), T({%(c1)d:%(c2)d}), MAKE(%(k)d, 1, 1),
          pq, hlSe, MAKE(%(k)d, 1, dq), MAKE(%(k)d, 1, nq)}.
      ELSE.
        COMPUTE RES = {RES; MAKE(%(k)d, 1, gg), MAKE(%(k)d, 1, dd), T({%(c1)d:%(c2)d}), MAKE(%(k)d, 3, 0),
          MAKE(%(k)d, 1, dq), MAKE(%(k)d, 1, 0)}.
      END IF.
""" % {
            "q": question,
            "qi": qi,
            "a": col,
            "b": col + k - 1,
            "k": k,
            "c1": first + col - 1,
            "c2": first + col + k - 2,
            "variance": VARIANCE.replace("    COMPUTE", "        COMPUTE"),
        }
        comps += [("indicator", "%s=%s" % (question, option)) for option, _c, _v in columns]
        col += k
    if not code:
        return "", comps
    return "    DO IF gg <= 3.\n" + code + "    END IF.\n", comps


def render(data: PackData) -> str:
    """The SPSS syntax of this pack: every published number, by MATRIX (see the module docstring)."""
    t, var = data.tree, data.item_vars
    items = list(t["items"])
    J = len(items)
    # Each family of columns is created in one run, so that MATRIX reads it as `hl_x1 TO hl_xK` (PSPP runs out
    # of parser memory on long explicit variable lists).
    lines = []
    for j, code in enumerate(items, 1):
        lines.append("COMPUTE hl_v%d = ANY(%s, %s)." % (j, var[code], ", ".join(map(str, t["valid"][code]))))
        lines.append("IF MISSING(%s) hl_v%d = 0." % (var[code], j))
    for j, code in enumerate(items, 1):
        sat = ", ".join(map(str, t["satisfied"][code]))
        lines.append("COMPUTE hl_s%d = hl_v%d AND ANY(%s, %s)." % (j, j, var[code], sat))
    specs = indicator_columns(data.variables, data.published)
    for qi, (_question, columns) in enumerate(specs, 1):
        lines.append("COMPUTE hl_a%d = NOT MISSING(%s)." % (qi, columns[0][1]))
    col = 0
    for qi, (_question, columns) in enumerate(specs, 1):
        for _option, column, chosen in columns:
            col += 1
            lines.append("COMPUTE hl_y%d = 0." % col)
            lines.append("IF (hl_a%d = 1) hl_y%d = (%s = %d)." % (qi, col, column, chosen))
    lit, code, comps = _tree(t, items)
    ind_code, ind_comps = _indicators(specs, len(comps) + 1)
    comps += ind_comps
    get_ind = ""
    if specs:
        get_ind = "GET HA /VARIABLES = %s.\nGET HY /VARIABLES = %s.\n" % (_run("hl_a", len(specs)), _run("hl_y", col))
    s = data.settings
    out = [
        HEADER
        % {
            "wave": data.meta.get("wave"),
            "version": data.meta.get("version"),
            "collapsed": data.meta.get("collapsed_strata", 0),
            "components": "\n".join("%d,%s,%s" % (i, lv, c) for i, (lv, c) in enumerate(comps, 1)),
        }
    ]
    if s.get("method", "logit") != "logit":
        out.append("* WARNING: this syntax builds logit intervals; the version used %s.\n" % s.get("method"))
    out.append("\n".join(lines) + "\nEXECUTE.\n")
    out.append(KEYS)
    out.append(
        MATRIX_HEAD
        % {
            "s_vars": _run("hl_s", J),
            "v_vars": _run("hl_v", J),
            "get_indicators": get_ind,
            "J": J,
            "tree": lit,
            "components_code": code,
            "variance": VARIANCE,
            "indicators": ind_code,
        }
    )
    out.append(TAIL % {"level": float(s.get("level", 0.95))})
    return "".join(out)
