"""Number words for the report (decimal comma in Vietnamese, a real minus sign) and the QĐ 766 headline."""
from __future__ import annotations

import math


def num(value, digits: int = 1, lang: str = "vi") -> str:
    """A number with a decimal comma in Vietnamese and a point in English; — when undefined."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    text = "%.*f" % (digits, abs(value))
    text = text.replace(".", ",") if lang == "vi" else text
    return ("\u2212" + text) if value < 0 and float(text.replace(",", ".")) != 0 else text


def integer(value, lang: str = "vi") -> str:
    """An integer with thousands separators (12.345 in Vietnamese, 12,345 in English)."""
    text = f"{int(value):,}"
    return text.replace(",", ".") if lang == "vi" else text


def qd766_headline(cmp, lang: str) -> str:
    """One sentence: the domain's 766 score, the sampled index with its CI, the gap and how many agencies
    have a 766 score above their index's CI."""
    from flask_babel import gettext as _

    o = cmp.overall
    ci = "—" if o.est is None or not o.est.has_interval else "%s – %s" % (num(o.est.ci_low, lang=lang),
                                                                           num(o.est.ci_high, lang=lang))
    text = _("Điểm QĐ 766 là %(score)s %% (%(n)s hồ sơ), chỉ số khảo sát %(index)s %% (KTC 95 %%: %(ci)s): "
             "khoảng cách %(gap)s điểm phần trăm.", score=num(o.score.value, lang=lang),
             n=integer(o.score.dossiers, lang), index=num(o.index, lang=lang), ci=ci, gap=signed(o.gap, lang))
    if cmp.rows:
        text += " " + _("%(above)d trên %(n)d cơ quan có điểm QĐ 766 cao hơn khoảng tin cậy của chỉ số khảo sát.",
                        above=cmp.above, n=len(cmp.rows))
    return text


def signed(value, lang: str = "vi") -> str:
    """A difference with its sign (+14,6 / −2,0); — when undefined."""
    return "—" if value is None else ("+" if value > 0 and num(value, lang=lang) != num(0.0, lang=lang) else "") + \
        num(value, lang=lang)
