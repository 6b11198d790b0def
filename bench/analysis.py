"""Benchmark of the analysis engine: the full SIPAS index table of a national-size wave.

A synthetic wave of --rows responses (default 1,000,000), 16 items in 5 elements and 2 parts,
60 agencies × 8 sectors as strata, base weights 1/π varying within strata, post-stratified to
the strata's dossier counts (fpc = those counts), about 5 % of answers missing and one
conditional item answered by 40 %.  The table: overall, by agency (60), by sector (8) and by
agency × sector (480), every item/element/part/overall index with a logit CI.

Prints the wall time and peak memory of the table, the time of one bare numpy pass over the
answers (the floor), and R survey's time for the same table on a --r-rows subset (default
100,000, run with Rscript through a temporary CSV) next to ours on that same subset; it also
checks that R's and our numbers agree.  Goals: < 3 s and < 2 GB for 1,000,000 rows, ≥ 50×
faster than R.

    .venv/bin/python bench/analysis.py [--rows N] [--r-rows N] [--no-r]
"""
from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import Design, index_table_answers  # noqa: E402

AGENCIES, SECTORS = 60, 8
ELEMENTS = {"access": [0, 1, 2], "procedure": [3, 4, 5, 6], "staff": [7, 8, 9],
            "result": [10, 11, 12], "feedback": [13, 14, 15]}
STRUCTURE = {"elements": ELEMENTS,
             "parts": {"policy": ["access", "procedure"], "service": ["staff", "result", "feedback"]}}


def make_wave(n: int, seed: int) -> dict:
    """Synthetic responses: strata, weights, population counts and answers (n × 16, NaN missing)."""
    rng = np.random.default_rng(seed)
    agency = rng.integers(0, AGENCIES, n).astype(np.int64)
    sector = rng.integers(0, SECTORS, n).astype(np.int64)
    stratum = agency * SECTORS + sector
    n_h = np.bincount(stratum, minlength=AGENCIES * SECTORS)
    pop = np.maximum(np.rint(n_h * rng.uniform(3, 12, n_h.shape[0])), n_h).astype(float)
    pi = np.clip(n_h[stratum] / pop[stratum] * rng.choice([0.7, 1.0, 1.4], n), 1e-3, 1.0)
    quality = rng.normal(0.0, 0.5, AGENCIES)[agency] + rng.normal(0.0, 0.3, SECTORS)[sector]
    p_sat = 1 / (1 + np.exp(-(1.4 + quality)))
    answers = np.where(rng.random((n, 16)) < p_sat[:, None],
                       rng.choice([4.0, 5.0], (n, 16)), rng.choice([1.0, 2.0, 3.0], (n, 16)))
    answers[rng.random((n, 16)) < 0.05] = np.nan
    answers[rng.random(n) > 0.4, 12] = np.nan  # a conditional item
    return {"agency": agency, "sector": sector, "stratum": stratum, "w": 1 / pi,
            "pop": pop, "answers": answers}


def index_table(wave: dict) -> tuple[dict, int]:
    """Design → post-stratification → the four groupings; returns the table and its cell count."""
    strata, pop = wave["stratum"], wave["pop"]
    d = Design(wave["w"], strata=strata, fpc=pop[strata])
    present = np.unique(strata)
    d = d.poststratify(strata, {int(h): float(pop[h]) for h in present})
    table = index_table_answers(d, wave["answers"], STRUCTURE, {
        "overall": None, "agency": wave["agency"], "sector": wave["sector"],
        "agency_sector": (wave["agency"], wave["sector"])})
    cells = 1 + sum(len(table[k]) for k in ("agency", "sector", "agency_sector"))
    return table, cells


def subset(wave: dict, m: int) -> dict:
    """The first m responses (population counts unchanged)."""
    return {k: (v if k == "pop" else v[:m]) for k, v in wave.items()}


R_SCRIPT = r"""
suppressMessages(library(survey))
options(survey.lonely.psu = "adjust")  # our Design's default
args <- commandArgs(trailingOnly = TRUE)
df <- read.csv(args[1])
J <- 16
for (j in 1:J) { q <- df[[paste0("q", j)]]
  df[[paste0("s", j)]] <- as.numeric(!is.na(q) & q >= 4); df[[paste0("v", j)]] <- as.numeric(!is.na(q)) }
el <- list(access = 1:3, procedure = 4:7, staff = 8:10, result = 11:13, feedback = 14:16)
it <- function(j) sprintf("s%d/v%d", j, j)
e <- sapply(el, function(js) sprintf("(%s)/%d", paste(sapply(js, it), collapse = "+"), length(js)))
p <- c(policy = sprintf("((%s)+(%s))/2", e[["access"]], e[["procedure"]]),
       service = sprintf("((%s)+(%s)+(%s))/3", e[["staff"]], e[["result"]], e[["feedback"]]))
ex <- c(setNames(sapply(1:J, it), paste0("i", 1:J)), e, p,
        overall = sprintf("((%s)+(%s))/2", p[["policy"]], p[["service"]]))
vars <- c(paste0("s", 1:J), paste0("v", 1:J))
f <- as.formula(paste("~", paste(vars, collapse = "+")))
# The delta method of svycontrast, with the symbolic derivatives built once (not per domain).
grads <- lapply(ex, function(s) deriv(parse(text = s)[[1]], vars, function.arg = vars))
index <- function(tot) {
  V <- vcov(tot); x <- as.list(as.vector(coef(tot))); names(x) <- vars
  t(sapply(grads, function(fn) { r <- do.call(fn, x); g <- attr(r, "gradient")
    c(as.vector(r), sqrt(max(0, as.vector(g %*% V %*% t(g))))) }))
}
t0 <- proc.time()
d <- svydesign(ids = ~1, strata = ~stratum, weights = ~w, fpc = ~pop, data = df)
popt <- unique(df[, c("stratum", "pop")]); names(popt) <- c("stratum", "Freq")
d <- postStratify(d, ~stratum, popt)
res <- list(cbind(grouping = "overall", group = "", stat = names(ex), as.data.frame(index(svytotal(f, d)))))
for (g in list(c("agency", "agency"), c("sector", "sector"), c("agency_sector", "stratum"))) {
  for (level in sort(unique(df[[g[2]]]))) {
    tab <- index(svytotal(f, d[df[[g[2]]] == level, ]))  # a domain: the whole design, others zeroed
    res[[length(res) + 1]] <- cbind(grouping = g[1], group = level, stat = names(ex), as.data.frame(tab))
  }
}
elapsed <- proc.time()[["elapsed"]] - t0
out <- do.call(rbind, res); names(out)[4:5] <- c("value", "se")
write.csv(out, args[2], row.names = FALSE)
cat(elapsed, "\n")
"""


def run_r(wave: dict, workdir: Path) -> tuple[float, float, list] | None:
    """R survey's wall and CPU time for the same table (and its numbers); None without Rscript."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    data, result, script = workdir / "wave.csv", workdir / "r_table.csv", workdir / "table.R"
    script.write_text(R_SCRIPT)
    with open(data, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["agency", "sector", "stratum", "w", "pop"] + ["q%d" % j for j in range(1, 17)])
        for i in range(wave["w"].shape[0]):
            row = wave["answers"][i]
            w.writerow([wave["agency"][i], wave["sector"][i], wave["stratum"][i], repr(float(wave["w"][i])),
                        int(wave["pop"][wave["stratum"][i]])] + ["" if np.isnan(v) else int(v) for v in row])
    proc = subprocess.run([rscript, str(script), str(data), str(result)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError("Rscript failed:\n" + proc.stderr[-2000:])
    with open(result, newline="") as f:
        rows = list(csv.DictReader(f))
    wall, cpu = (float(x) for x in proc.stdout.split()[-2:])
    return wall, cpu, rows


def compare_with_r(table: dict, r_rows: list) -> tuple[float, float]:
    """Largest absolute differences (percentage points) of values and SEs between R and us."""
    names = {**{"i%d" % (j + 1): ("items", j) for j in range(16)},
             **{e: ("elements", e) for e in ELEMENTS}, "policy": ("parts", "policy"),
             "service": ("parts", "service"), "overall": ("overall", None)}
    dv = ds = 0.0
    for r in r_rows:
        res = table["overall"] if r["grouping"] == "overall" else _group(table, r)
        kind, key = names[r["stat"]]
        est = res.overall if kind == "overall" else getattr(res, kind)[key]
        if r["value"] in ("NA", "NaN"):  # an item nobody answered in the domain: NaN for us too
            if est.value == est.value and kind == "items":
                raise AssertionError("R has no value for %r but we do" % (r,))
            continue
        dv = max(dv, abs(est.value - 100 * float(r["value"])))
        ds = max(ds, abs(est.se - 100 * float(r["se"])))
    return dv, ds


def _group(table: dict, r: dict):
    """Our IndexResult for an R row (agency_sector is R's stratum code a·8 + s)."""
    g = int(r["group"])
    if r["grouping"] == "agency_sector":
        return table["agency_sector"][(g // SECTORS, g % SECTORS)]
    return table[r["grouping"]][g]


def main() -> None:
    """Build the wave, time the table (ours, then R's on the subset) and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="responses in the wave (1,000,000)")
    parser.add_argument("--r-rows", type=int, default=100_000, help="rows of the subset R runs on (100,000)")
    parser.add_argument("--no-r", action="store_true", help="skip the R comparison")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of the table; the first (cold) and the best are printed (3)")
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()

    wave = make_wave(args.rows, args.seed)
    print("Synthetic wave: %d responses × 16 items (5 elements, 2 parts), %d × %d strata, %.1f %% answers missing"
          % (args.rows, AGENCIES, SECTORS, 100 * np.isnan(wave["answers"]).mean()))

    t = time.perf_counter()
    satisfied = np.count_nonzero(wave["answers"] >= 4, axis=0)
    floor = time.perf_counter() - t
    assert satisfied.shape == (16,)

    runs = []
    for _ in range(max(1, args.repeat)):
        t, c = time.perf_counter(), time.process_time()
        table, cells = index_table(wave)
        runs.append((time.perf_counter() - t, time.process_time() - c))
    wall, cpu = min(runs)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    index_table(wave)
    peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
    tracemalloc.stop()
    print("Full index table (overall + 60 agencies + 8 sectors + %d agency × sector cells = %d domains × 24 "
          "indices with CIs)" % (len(table["agency_sector"]), cells))
    print("  wall time            %.2f s first (cold) run, %.2f s best of %d (goal < 3 s); CPU %.2f s first, "
          "%.2f s best; machine load average %.1f on %d cores (shared)" % (runs[0][0], wall, len(runs), runs[0][1],
                                                                       min(r[1] for r in runs),
                                                                       os.getloadavg()[0], os.cpu_count() or 0))
    print("  peak memory          %.0f MiB allocated during the table (tracemalloc); process max RSS %.0f MiB "
          "including the data (goal < 2 GiB)" % (peak, rss))
    print("  floor                %.3f s   one bare numpy pass over the answers (count codes ≥ 4 per item)"
          % floor)
    o = table["overall"].overall
    print("  overall SIPAS index  %.2f %% [%.2f, %.2f], se %.3f, df %d, n %d" % (o.value, o.ci_low, o.ci_high,
                                                                            o.se, o.df, o.n))
    if args.no_r:
        return
    small = subset(wave, min(args.r_rows, args.rows))
    m = small["w"].shape[0]
    t, c = time.perf_counter(), time.process_time()
    small_table, _ = index_table(small)
    ours_small, ours_small_cpu = time.perf_counter() - t, time.process_time() - c
    if shutil.which("Rscript") is None:
        print("R comparison skipped: Rscript is not installed")
        return
    print("R survey on a %d-row SUBSET of the same wave (same table: postStratify, svytotal per domain, "
          "delta method); this takes minutes …" % m, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        r_time, r_cpu, r_rows = run_r(small, Path(tmp))
    dv, ds = compare_with_r(small_table, r_rows)
    print("  R survey             %.1f s wall, %.1f s CPU" % (r_time, r_cpu))
    print("  ours, same %d rows   %.2f s wall, %.2f s CPU → %.0f× faster than R on the same rows (CPU: %.0f×)"
          % (m, ours_small, ours_small_cpu, r_time / ours_small, r_cpu / ours_small_cpu))
    print("  per row              R %.0f µs/row, ours %.2f µs/row on %d rows → %.0f× (CPU: %.0f×) (goal ≥ 50×)"
          % (1e6 * r_time / m, 1e6 * wall / args.rows, args.rows, (r_time / m) / (wall / args.rows),
             (r_cpu / m) / (cpu / args.rows)))
    print("  agreement with R     max |Δ value| %.2g points, max |Δ se| %.2g points over %d numbers"
          % (dv, ds, len(r_rows)))


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    main()
