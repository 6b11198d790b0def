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
from survey.services.publications.pack_spss_text import HEADER, KEYS, MATRIX_HEAD, TAIL, VARIANCE

if TYPE_CHECKING:
    from survey.services.publications.pack import PackData


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
