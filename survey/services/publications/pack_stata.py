"""reproduce.do: the Stata syntax of a pack (svyset with post-stratification; checked as text, not run here).

Stata's `svyset ... poststrata() postweight()` is the same linearisation as R's postStratify, and
`singleunit(centered)` is R's lonely.psu = "adjust". Stata's subpop() keeps the full design as R's
domains do, but reports the whole design's df; the script takes the domain's df as R's degf()
(positive-weight respondents − their strata) and builds the interval itself, so every number matches.
Every published grouping is covered: the index of the province, agencies, sectors, agency × sector and
service points (hl_domain: svy total, nlcom), and each judgement indicator and need of the province,
agencies and sectors (hl_shares: svy mean of the option's 0/1 in the subpopulation of the domain's
respondents to the question). Intervals are logit only (Clopper–Pearson at 0 and 100 %).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from survey.services.publications.pack_answers import indicator_columns

if TYPE_CHECKING:
    from survey.services.publications.pack import PackData

SINGLEUNIT = {"adjust": "centered", "certainty": "certainty", "remove": "certainty", "fail": "missing"}

HEADER = r"""* Reproduces every number (index and indicators) of publication %(wave)s, version %(version)s (Hài Lòng).
* Run in the unpacked folder: do reproduce.do   (Stata 15 or later; writes stata_results.csv)
* Design: the variance stratum AFTER the singleton collapse (%(collapsed)s strata merged), its fpc,
* the nonresponse-adjusted weight, post-stratified to the frozen cell totals (calibration_cells.csv).
version 15
clear all
set more off
import delimited using "calibration_cells.csv", encoding("utf-8") varnames(1) stringcols(1) clear
keep cell total
rename total cell_total
tempfile cells
save `cells'
use "microdata.dta", clear
merge m:1 cell using `cells', keep(master match) nogenerate
replace fpc = 1e300 if missing(fpc)   // no finite population correction in that stratum
encode stratum, generate(stratum_id)
encode cell, generate(cell_id)
svyset _n [pweight = w_nonresponse], strata(stratum_id) fpc(fpc) poststrata(cell_id) ///
    postweight(cell_total) singleunit(%(singleunit)s)
"""

PROGRAM_HEAD = r"""
capture program drop hl_domain
program define hl_domain
    args grouping key cond
    tempvar in
    quietly generate byte `in' = (`cond')
    quietly count if `in' & w_final > 0
    local units = r(N)
    quietly levelsof stratum_id if `in' & w_final > 0
    local df = `units' - r(r)
    quietly svy, subpop(`in'): total $HL_S $HL_V
    local ex ""
    local avail ""
    forvalues j = 1/$HL_J {
        quietly count if `in' & w_final > 0 & v`j' == 1
        local n_i`j' = r(N)
        if _b[v`j'] > 0 {
            local ex "`ex' (i`j': _b[s`j']/_b[v`j'])"
            local x_i`j' "_b[s`j']/_b[v`j']"
            local avail "`avail' i`j'"
        }
    }
"""

PROGRAM_TAIL = r"""
    quietly nlcom `ex'
    matrix b = r(b)
    matrix V = r(V)
    local names : colnames b
    local k = 0
    foreach c of local names {
        local ++k
        local p = b[1, `k']
        local se = sqrt(V[`k', `k'])
        local nn = `n_`c''
        hl_ci `p' `se' `df' `nn'
        post hl_out ("`grouping'") ("`key'") ("${HL_LEVEL_`c'}") ("${HL_NAME_`c'}") (100*`p') (100*`se') ///
            (100*r(lo)) (100*r(hi)) (`df') (`nn')
    }
end

capture program drop hl_shares
program define hl_shares
    * The share of the domain's respondents to a question who chose each option (svy mean of 0/1 in the
    * subpopulation of respondents: R's svyciprop on subset(design, !is.na(q) & domain)); `vars': each
    * option's column, `codes': the code that counts as chosen there, `opts': the option codes.
    args grouping key cond question opts vars codes
    tempvar in
    local first : word 1 of `vars'
    quietly generate byte `in' = (`cond') & !missing(`first')
    quietly count if `in' & w_final > 0
    local nn = r(N)
    local df = 0
    if `nn' > 0 {
        quietly levelsof stratum_id if `in' & w_final > 0
        local df = `nn' - r(r)
    }
    local ys ""
    local k = 0
    foreach v of local vars {
        local ++k
        local c : word `k' of `codes'
        tempvar y`k'
        quietly generate double `y`k'' = `in' & (`v' == `c')
        local ys "`ys' `y`k''"
    }
    if `nn' > 0 {
        quietly svy, subpop(`in'): mean `ys'
    }
    local k = 0
    foreach o of local opts {
        local ++k
        if `nn' > 0 {
            local p = _b[`y`k'']
            local se = _se[`y`k'']
            hl_ci `p' `se' `df' `nn'
            post hl_out ("`grouping'") ("`key'") ("indicator") ("`question'=`o'") (100*`p') (100*`se') ///
                (100*r(lo)) (100*r(hi)) (`df') (`nn')
        }
        else {
            post hl_out ("`grouping'") ("`key'") ("indicator") ("`question'=`o'") (.) (.) (.) (.) (`df') (0)
        }
    }
end

capture program drop hl_ci
program define hl_ci, rclass
    args p se df n
    local a = 1 - $HL_LEVEL
    local c = cond(`df' >= 1, invttail(`df', `a'/2), .)
    if missing(`c') | missing(`se') {
        return scalar lo = .
        return scalar hi = .
    }
    else if `p' == 0 | `p' == 1 {
        local x = round(`p' * `n')
        return scalar lo = cond(`x' > 0, invibeta(`x', `n' - `x' + 1, `a'/2), 0)
        return scalar hi = cond(`x' < `n', invibeta(`x' + 1, `n' - `x', 1 - `a'/2), 1)
    }
    else {
        local h = `c' * `se' / (`p' * (1 - `p'))
        return scalar lo = invlogit(logit(`p') - `h')
        return scalar hi = invlogit(logit(`p') + `h')
    }
end
"""

MEAN = r"""    * %(name)s = mean of its available components (%(comps)s)
    local t ""
    local m = 0
    local nmax = 0
    foreach c in %(comps)s {
        if strpos(" `avail' ", " `c' ") {
            local t "`t' + `x_`c''"
            local ++m
            local nmax = max(`nmax', `n_`c'')
        }
    }
    if `m' > 0 {
        local x_%(name)s "((0`t')/`m')"
        local ex "`ex' (%(name)s: `x_%(name)s')"
        local n_%(name)s = `nmax'
        local avail "`avail' %(name)s"
    }
"""


def _mean(name: str, comps: list[str]) -> str:
    return MEAN % {"name": name, "comps": " ".join(comps)}


def render(data: PackData) -> str:
    """The Stata do-file of this pack."""
    s, t, var = data.settings, data.tree, data.item_vars
    items = list(t["items"])
    idx = {code: j + 1 for j, code in enumerate(items)}
    lines = [
        HEADER
        % {
            "wave": data.meta.get("wave"),
            "version": data.meta.get("version"),
            "collapsed": data.meta.get("collapsed_strata", 0),
            "singleunit": SINGLEUNIT.get(s.get("lonely_psu", "adjust"), "centered"),
        }
    ]
    if s.get("method", "logit") != "logit":
        lines.append('display as error "this do-file builds logit intervals; the version used %s"' % s.get("method"))
    for code in items:
        j = idx[code]
        lines.append("generate byte v%d = inlist(%s, %s)" % (j, var[code], ", ".join(map(str, t["valid"][code]))))
        lines.append(
            "generate byte s%d = v%d & inlist(%s, %s)" % (j, j, var[code], ", ".join(map(str, t["satisfied"][code])))
        )
    lines.append("global HL_J %d" % len(items))
    lines.append('global HL_S "%s"' % " ".join("s%d" % idx[c] for c in items))
    lines.append('global HL_V "%s"' % " ".join("v%d" % idx[c] for c in items))
    body = [PROGRAM_HEAD]
    names = list(t["elements"])
    for k, (e, members) in enumerate(t["elements"].items(), 1):
        body.append(_mean("e%d" % k, ["i%d" % idx[m] for m in members]))
        lines += ['global HL_LEVEL_e%d "element"' % k, 'global HL_NAME_e%d "%s"' % (k, e)]
    for k, (p, els) in enumerate(t["parts"].items(), 1):
        body.append(_mean("p%d" % k, ["e%d" % (names.index(e) + 1) for e in els]))
        lines += ['global HL_LEVEL_p%d "part"' % k, 'global HL_NAME_p%d "%s"' % (k, p)]
    top = ["p%d" % k for k in range(1, len(t["parts"]) + 1)] or ["e%d" % k for k in range(1, len(names) + 1)]
    body.append(
        _mean("o", top).replace(
            "local n_o = `nmax'",
            "local n_o = 0\n        foreach c of local avail {\n"
            "            if substr(\"`c'\", 1, 1) == \"i\" local n_o = max(`n_o', `n_`c'')"
            "\n        }",
        )
    )
    lines += [
        'global HL_LEVEL_o "overall"',
        'global HL_NAME_o "SIPAS"',
        "global HL_LEVEL = %r" % float(s.get("level", 0.95)),
    ]
    for code in items:
        lines += ['global HL_LEVEL_i%d "item"' % idx[code], 'global HL_NAME_i%d "%s"' % (idx[code], code)]
    lines.append("".join(body) + PROGRAM_TAIL)
    lines.append(
        "postfile hl_out str20 grouping str80 key str10 level str80 component double(value se ci_low "
        'ci_high df n) using "stata_results.dta", replace'
    )
    lines.append('hl_domain "overall" "" "1"')
    for grouping, expr in (
        ("agency", "agency"),
        ("sector", "sector"),
        ("agency_sector", 'agency + "|" + sector'),
        ("service_point", "service_point"),
    ):
        lines.append("generate str80 g_%s = %s" % (grouping, expr))
        lines.append('levelsof g_%s if g_%s != "", local(keys)' % (grouping, grouping))
        lines.append(
            'foreach k of local keys {\n    hl_domain "%s" "`k\'" `"g_%s == "`k\'""\'\n}' % (grouping, grouping)
        )
    specs = indicator_columns(data.variables, data.published)
    if specs:
        lines.append("* Judgement indicators and needs: the province, each agency, each sector (as published).")
    for grouping in ("overall", "agency", "sector") if specs else ():
        calls = [
            'hl_shares "%s" %s "%s" "%s" "%s" "%s"'
            % (
                grouping,
                '""  "1"' if grouping == "overall" else '"`k\'" `"g_%s == "`k\'""\'' % grouping,
                question,
                " ".join(o for o, _c, _v in cols),
                " ".join(c for _o, c, _v in cols),
                " ".join(str(v) for *_x, v in cols),
            )
            for question, cols in specs
        ]
        if grouping == "overall":
            lines += calls
        else:
            lines.append('levelsof g_%s if g_%s != "", local(keys)' % (grouping, grouping))
            lines.append("foreach k of local keys {\n    " + "\n    ".join(calls) + "\n}")
    lines.append("postclose hl_out")
    lines.append('use "stata_results.dta", clear')
    lines.append('export delimited using "stata_results.csv", replace')
    lines.append("* Compare stata_results.csv with published.csv (same columns; full precision).")
    return "\n".join(lines) + "\n"
