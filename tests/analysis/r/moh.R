# The R goldens of tests/analysis/test_moh.py (analysis.moh): Rscript tests/analysis/r/moh.R
suppressMessages(library(survey))
df <- data.frame(
  h = c(1,1,1,1,1,1,2,2,2,2,2,2),
  w = c(10,10,12,12,8,8,20,20,25,25,30,30),
  g = c("a","a","a","b","b","b","a","a","b","b","b","a"),
  x1 = c(5,4,3,2,NA,5,4,4,1,5,3,4),
  x2 = c(4,NA,2,5,5,4,3,5,2,4,4,5),
  x3 = c(5,5,3,1,4,NA,4,2,3,5,4,4),
  ovr = c(5,4,2,3,4,NA,4,5,1,4,3,5))
items <- df[, c("x1","x2","x3")]
df$sat <- rowSums(items >= 4, na.rm=TRUE)
df$valid <- rowSums(!is.na(items))
df$codes1 <- rowSums(df[, c("x1","x2")], na.rm=TRUE); df$valid1 <- rowSums(!is.na(df[, c("x1","x2")]))
des <- svydesign(ids=~1, strata=~h, weights=~w, data=df)
r <- svyratio(~sat, ~valid, des); print(c(coef(r), SE(r)), digits=15)
print(confint(r, df=degf(des)), digits=15)
p <- svyciprop(~I(ovr >= 4), subset(des, !is.na(ovr)), method="logit"); print(c(coef(p), SE(p)), digits=15); print(confint(p), digits=15)
m <- svyratio(~codes1, ~valid1, des); print(c(coef(m), SE(m)), digits=15)
b <- svyby(~sat, ~g, des, svyratio, denominator=~valid); print(b, digits=15)
print(sum(df$sat)/sum(df$valid), digits=15)
print(degf(des))
s <- subset(des, !is.na(ovr)); print(degf(s))
for (k in c(8,9,10)) print(confint(svyciprop(~I(ovr >= 4), s, method="logit", df=k)), digits=15)
print(confint(svyciprop(~I(ovr >= 4), s, method="logit", df=Inf)), digits=15)
sb <- subset(des, !is.na(ovr) & g == "b"); pb <- svyciprop(~I(ovr >= 4), sb, method="logit"); print(c(coef(pb), SE(pb))); print(confint(pb), digits=15)
