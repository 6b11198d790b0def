"""reproduce.R: the R (`survey`) syntax of a pack, which recomputes every published number.

The script is the same for every pack except its header (wave, version, method, level, lonely-PSU
option): it reads the pack's CSV files, rebuilds the design exactly as published (svydesign on the
nonresponse-adjusted weights with the collapsed strata and their fpc, postStratify to the frozen cell
totals), estimates each grouping's item totals with svytotal on domain-zeroed indicators (domains keep
the full design), derives items, elements, parts and the overall index with svycontrast, takes df from
degf() of the domain's subset, builds the interval as analysis.ci does; each judgement indicator and need
(overall, agencies, sectors) as svyciprop's estimator on the subset of the domain's respondents to the
question (svymean, degf of that subset, the same interval); and compares every number with
published.csv (r_results.csv, r_comparison.csv; exit status 1 when a number disagrees).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from survey.services.publications.pack import PackData

TOLERANCE = 1e-6  # percentage points (published.csv is at full precision; pages show 1-2 decimals)

TEMPLATE = r"""# Reproduces every number (index and indicators) of publication %(wave)s, version %(version)s (Hài Lòng).
# Run in the unpacked folder:  Rscript reproduce.R        (needs the R package survey >= 4.1)
# Method (docs/methodology.md sections 3-7; docs/reproducibility.md in the platform):
#   design : svydesign(ids = ~1, strata = ~stratum, fpc = ~fpc, weights = ~w_nonresponse)
#            stratum = the variance stratum AFTER the singleton collapse (%(collapsed)s strata merged)
#   weights: postStratify(design, ~cell, calibration_cells.csv totals, partial = TRUE) -> w_final
#   lonely : options(survey.lonely.psu = "%(lonely)s")
#   index  : item = share of valid answers that are satisfied; element = mean of items;
#            part = mean of elements; SIPAS = mean of parts (svycontrast of svytotal)
#   CI     : method "%(method)s", level %(level)s, df = degf(subset(design, domain))
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "%(lonely)s")
METHOD <- "%(method)s"; LEVEL <- %(level)s; TOL <- %(tol)s
chr <- c(stratum = "character", cell = "character", agency = "character", sector = "character",
         service_point = "character")
resp  <- read.csv("microdata.csv", colClasses = chr, na.strings = "", encoding = "UTF-8")
cells <- read.csv("calibration_cells.csv", colClasses = c(cell = "character"), encoding = "UTF-8")
tree  <- read.csv("index_tree.csv", colClasses = "character", na.strings = NULL, encoding = "UTF-8")
pub   <- read.csv("published.csv", colClasses = c(key = "character", component = "character"),
                  na.strings = "", encoding = "UTF-8")

pub$key[is.na(pub$key)] <- ""  # the overall row's empty key

des <- svydesign(ids = ~1, strata = ~stratum, fpc = ~fpc, weights = ~w_nonresponse, data = resp)
des <- postStratify(des, ~cell, data.frame(cell = cells$cell, Freq = cells$total), partial = TRUE)
stopifnot(isTRUE(all.equal(unname(weights(des)), resp$w_final, tolerance = 1e-12)))

codes <- function(x) as.numeric(strsplit(x, " ", fixed = TRUE)[[1]])
items <- tree[tree$level == "item", ]
J <- nrow(items)
S <- V <- matrix(0, nrow(resp), J)
for (j in seq_len(J)) {
  a <- resp[[items$variable[j]]]
  V[, j] <- as.numeric(!is.na(a) & a %%in%% codes(items$valid_codes[j]))
  S[, j] <- as.numeric(V[, j] == 1 & a %%in%% codes(items$satisfied_codes[j]))
}
colnames(S) <- paste0("s", seq_len(J)); colnames(V) <- paste0("v", seq_len(J))
elements <- tree$code[tree$level == "element"]
parts <- tree$code[tree$level == "part"]
members <- function(parent) which(items$parent == parent)
w <- weights(des)

interval <- function(p, se, df, n) {
  cc <- if (is.finite(df) && df >= 1) qt(1 - (1 - LEVEL) / 2, df) else NA
  if (is.na(cc) || !is.finite(p) || !is.finite(se)) return(c(NA, NA))
  a <- 1 - LEVEL
  if (p == 0 || p == 1) {
    if (METHOD == "wilson") { k <- cc^2 / n } else {
      x <- round(p * n)
      return(c(if (x > 0) qbeta(a / 2, x, n - x + 1) else 0, if (x < n) qbeta(1 - a / 2, x + 1, n - x) else 1))
    }
  }
  if (METHOD == "logit") { h <- cc * se / (p * (1 - p)); return(plogis(qlogis(p) + c(-h, h))) }
  if (METHOD == "mean") return(p + c(-1, 1) * cc * se)
  if (METHOD == "wilson") {
    if (p > 0 && p < 1) k <- if (se > 0) cc^2 / (p * (1 - p) / se^2) else 0
    ne <- cc^2 / k
    centre <- (p + k / 2) / (1 + k)
    half <- if (k > 0) cc / (1 + k) * sqrt(p * (1 - p) / ne + k / (4 * ne)) else 0
    return(c(max(centre - half, 0), min(centre + half, 1)))
  }
  if (se == 0) return(c(p, p))  # beta (Korn-Graubard), m = every row of the calibrated design
  ne <- p * (1 - p) / se^2 * (qt(a / 2, nrow(resp) - 1) / qt(a / 2, df))^2
  c(qbeta(a / 2, ne * p, ne * (1 - p) + 1), qbeta(1 - a / 2, ne * p + 1, ne * (1 - p)))
}

domain <- function(grouping, key, m) {
  m[is.na(m)] <- FALSE
  tot <- svytotal(cbind(S * m, V * m), des)
  tv <- coef(tot)[paste0("v", seq_len(J))]
  nv <- colSums(V * m * (w > 0))
  ok <- tv > 0
  expr <- list()
  for (j in seq_len(J)) if (ok[j]) {
    expr[[items$code[j]]] <- sprintf("(s%%d/v%%d)", j, j)
  }
  avail <- function(parts_) parts_[parts_ %%in%% names(expr)]
  mean_of <- function(xs) sprintf("((%%s)/%%d)", paste(unlist(expr[xs]), collapse = " + "), length(xs))
  for (e in elements) { xs <- avail(items$code[members(e)])
    if (length(xs)) expr[[e]] <- mean_of(xs) }
  for (p in parts) { xs <- avail(tree$code[tree$level == "element" & tree$parent == p])
    if (length(xs)) expr[[p]] <- mean_of(xs) }
  top <- avail(if (length(parts)) parts else elements)
  if (length(top)) expr[["SIPAS"]] <- mean_of(top)
  df <- degf(subset(des, m))
  all_ <- c(items$code, elements, parts, "SIPAS")
  levels_ <- c(rep("item", J), rep("element", length(elements)), rep("part", length(parts)), "overall")
  est <- se <- setNames(rep(NA_real_, length(all_)), all_)
  n_all <- setNames(rep(0, length(all_)), all_)
  n_all[items$code] <- nv
  for (e in elements) n_all[e] <- max(nv[members(e)])
  for (p in parts) n_all[p] <- max(n_all[tree$code[tree$level == "element" & tree$parent == p]])
  n_all["SIPAS"] <- max(nv)
  if (length(expr)) {
    con <- svycontrast(tot, lapply(expr, function(x) parse(text = x)[[1]]))
    est[names(expr)] <- coef(con)
    se[names(expr)] <- sqrt(pmax(diag(as.matrix(vcov(con))), 0))  # rounding can give -1e-20 for 0
  }
  ci <- t(mapply(interval, est, se, MoreArgs = list(df = df), n = n_all))
  data.frame(grouping = grouping, key = key, level = levels_, component = all_,
             value = 100 * est, se = 100 * se, ci_low = 100 * ci[, 1], ci_high = 100 * ci[, 2], df = df,
             n = unname(n_all), stringsAsFactors = FALSE)
}

groupings <- list(agency = resp$agency, sector = resp$sector,
                  agency_sector = paste(resp$agency, resp$sector, sep = "|"), service_point = resp$service_point)
out <- list(domain("overall", "", rep(TRUE, nrow(resp))))
for (g in names(groupings)) {
  keys <- unique(pub$key[pub$grouping == g])
  for (k in keys) out[[length(out) + 1]] <- domain(g, k, groupings[[g]] == k)
}

# Judgement indicators and needs (level "indicator", component "<question>=<option>"): the share of the
# domain's respondents to the question who chose the option, as analysis/indicators.py and
# svyciprop(~I(q == k), subset(des, !is.na(q) & domain), method = "logit"): the value and SE are svymean's
# on that subset (svyciprop's own), df = degf() of that subset, and the interval is built as above (for
# "logit" that is svyciprop's plogis(qlogis(p) +/- t * se / (p * (1 - p))); 0 %%/100 %%: Clopper-Pearson).
# codebook.csv says how each question is in the microdata: one column of codes, or (multiple choice)
# one 0/1 column per option (its `option`); a question nobody answered is empty in all of them.
cb <- read.csv("codebook.csv", colClasses = "character", na.strings = NULL, encoding = "UTF-8")
ind <- unique(pub[pub$level == "indicator", c("grouping", "key", "component")])
if (nrow(ind)) {
  spec <- data.frame(component = unique(ind$component), stringsAsFactors = FALSE)
  spec$question <- sub("=[^=]*$", "", spec$component)
  spec$option <- sub("^.*=", "", spec$component)
  spec$y <- paste0("hl_y", seq_len(nrow(spec)))
  for (i in seq_len(nrow(spec))) {
    multi <- cb$variable[cb$question == spec$question[i] & cb$type == "multiple" & cb$option == spec$option[i]]
    one <- cb$variable[cb$question == spec$question[i] & cb$type != "multiple"]
    spec$var[i] <- if (length(multi)) multi[1] else one[1]
    x <- resp[[spec$var[i]]]
    chosen <- if (length(multi)) 1 else as.numeric(spec$option[i])
    des$variables[[spec$y[i]]] <- as.numeric(!is.na(x) & x == chosen)
  }
}
shares <- function(grouping, key, hl_m) {
  hl_m[is.na(hl_m)] <- FALSE
  got <- list()
  for (q in unique(spec$question)) {
    sq <- spec[spec$question == q, ]
    hl_in <- hl_m & !is.na(resp[[sq$var[1]]])
    n <- sum(hl_in & w > 0)
    est <- se <- rep(NA_real_, nrow(sq))
    df <- 0
    if (n > 0) {
      sub_ <- subset(des, hl_in)
      df <- degf(sub_)
      m_ <- svymean(reformulate(sq$y), sub_)
      est <- unname(coef(m_))
      se <- unname(sqrt(pmax(diag(as.matrix(vcov(m_))), 0)))
    }
    ci <- matrix(t(mapply(interval, est, se, MoreArgs = list(df = df, n = n))), ncol = 2)
    got[[q]] <- data.frame(grouping = grouping, key = key, level = "indicator", component = sq$component,
                           value = 100 * est, se = 100 * se, ci_low = 100 * ci[, 1], ci_high = 100 * ci[, 2],
                           df = df, n = n, stringsAsFactors = FALSE)
  }
  do.call(rbind, got)
}
domains_of <- list(overall = function(k) rep(TRUE, nrow(resp)), agency = function(k) resp$agency == k,
                   sector = function(k) resp$sector == k)
for (g in unique(ind$grouping)) {
  for (k in unique(ind$key[ind$grouping == g])) out[[length(out) + 1]] <- shares(g, k, domains_of[[g]](k))
}

res <- do.call(rbind, out)
write.csv(res, "r_results.csv", row.names = FALSE, na = "")

num <- c("value", "se", "ci_low", "ci_high", "df", "n")
both <- merge(pub, res, by = c("grouping", "key", "level", "component"), all.x = TRUE, suffixes = c("", ".r"))
diffs <- sapply(num, function(v) {
  a <- both[[v]]; b <- both[[paste0(v, ".r")]]
  ifelse(is.na(a) & is.na(b), 0, ifelse(is.na(a) | is.na(b), Inf, abs(a - b)))
})
diffs <- matrix(diffs, ncol = length(num), dimnames = list(NULL, num))
agree <- sum(diffs <= TOL); total <- length(diffs)
worst <- which(diffs == max(diffs), arr.ind = TRUE)[1, ]
write.csv(cbind(both[, c("grouping", "key", "level", "component")], diffs), "r_comparison.csv", row.names = FALSE)
cat(sprintf("numbers: %%d; agree within %%g: %%d; worst difference: %%.3g (%%s, %%s %%s %%s %%s)\n", total, TOL, agree,
            max(diffs), num[worst[2]], both$grouping[worst[1]], both$key[worst[1]], both$level[worst[1]],
            both$component[worst[1]]))
quit(status = if (agree == total) 0 else 1)
"""


def render(data: PackData) -> str:
    """The R script of this pack (its header states the wave, version and method options)."""
    s = data.settings
    return TEMPLATE % {
        "wave": data.meta.get("wave"),
        "version": data.meta.get("version"),
        "collapsed": data.meta.get("collapsed_strata", 0),
        "lonely": s.get("lonely_psu", "adjust"),
        "method": s.get("method", "logit"),
        "level": repr(float(s.get("level", 0.95))),
        "tol": repr(TOLERANCE),
    }
