"""The fixed text of reproduce.sps (pack_spss fills it in): the header, the domain keys, the MATRIX program
around the per-domain code, the variance block and the tail that builds the intervals and writes
spss_results.csv. Kept apart from the generator so each stays readable."""

# hl_g: the grouping, 1 overall, 2 agency, 3 sector, 4 agency × sector, 5 service point; hl_d: the domain in it

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
