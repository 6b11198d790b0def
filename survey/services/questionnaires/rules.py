"""Cross-reference rules of the questionnaire format that JSON Schema cannot express.

Written defensively: they run even when the schema check failed, so one pass lists every problem.
Each finding is (path, Vietnamese message, English message).
"""
from __future__ import annotations

from typing import Any

CODED = ("scale", "single", "multiple")
Finding = tuple[str, str, str]


def _d(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list:
    return value if isinstance(value, list) else []


def _hashable(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _codes(entries: Any) -> list:
    return [e.get("code") for e in _l(entries) if isinstance(e, dict)]


def _question_codes(data: dict, question: dict) -> list:
    """The answer codes a coded question can take (scale codes or option codes)."""
    if question.get("type") == "scale":
        scale = question.get("scale")
        return _codes(_d(_d(data.get("scales")).get(scale)).get("codes")) if isinstance(scale, str) else []
    return _codes(question.get("options"))


def _check_scales(data: dict, out: list[Finding]) -> None:
    for name, scale in _d(data.get("scales")).items():
        codes = _codes(_d(scale).get("codes"))
        for i, code in enumerate(codes):
            if code in codes[:i]:
                out.append((f"scales.{name}.codes[{i}].code", f"mã {code!r} bị lặp lại trong thang đo",
                            "duplicate code in scale"))
        for j, code in enumerate(_l(_d(scale).get("satisfied"))):
            if code not in codes:
                out.append((f"scales.{name}.satisfied[{j}]",
                            f"mã 'hài lòng' {code!r} không có trong thang đo {name} (các mã: {codes})",
                            "satisfied code not in the scale"))


def _check_question(data: dict, q: dict, path: str, earlier: dict, all_codes: set, out: list[Finding]) -> None:
    kind, scales = q.get("type"), _d(data.get("scales"))
    if kind == "scale" and isinstance(q.get("scale"), str) and q["scale"] not in scales:
        out.append((f"{path}.scale", f"thang đo {q['scale']!r} chưa được khai báo trong scales "
                    f"(đã có: {', '.join(scales) or 'không có'})", "unknown scale"))
    misplaced = {"scale": ("scale",), "options": ("single", "multiple"), "other_text": ("single", "multiple"),
                 "max_length": ("text", "single", "multiple"), "min": ("number",), "max": ("number",)}
    for key, kinds in misplaced.items():
        if key in q and kind in CODED + ("text", "number") and kind not in kinds:
            out.append((f"{path}.{key}", f"trường này chỉ dùng cho câu hỏi loại {'/'.join(kinds)}, "
                        f"không dùng cho loại {kind}", f"only for type {'/'.join(kinds)}"))
    options = _codes(q.get("options"))
    for i, code in enumerate(options):
        if code in options[:i]:
            out.append((f"{path}.options[{i}].code", f"mã lựa chọn {code!r} bị lặp lại", "duplicate option code"))
    for i, option in enumerate(_l(q.get("options"))):
        if _d(option).get("exclusive") and kind != "multiple":
            out.append((f"{path}.options[{i}].exclusive", "exclusive chỉ dùng cho câu hỏi nhiều lựa chọn (multiple)",
                        "exclusive only applies to multiple choice"))
    if kind in ("single", "multiple") and "other_text" in q and q["other_text"] not in options:
        out.append((f"{path}.other_text", f"other_text phải là mã của một lựa chọn trong câu hỏi này "
                    f"(các mã: {options})", "other_text must be one of the option codes"))
    if isinstance(q.get("min"), (int, float)) and isinstance(q.get("max"), (int, float)) and q["min"] > q["max"]:
        out.append((f"{path}.max", "max phải lớn hơn hoặc bằng min", "max must be >= min"))
    show_if = _d(q.get("show_if"))
    target_code = show_if.get("item")
    if isinstance(target_code, str):
        target = earlier.get(target_code)
        if target is None:
            if target_code in all_codes:
                out.append((f"{path}.show_if.item", f"câu hỏi {target_code} nằm sau (hoặc chính là) câu hỏi này; "
                            "show_if chỉ được dựa vào câu hỏi đứng trước", "show_if must refer to an earlier question"))
            else:
                out.append((f"{path}.show_if.item", f"không có câu hỏi nào mã {target_code}",
                            "show_if refers to an unknown item"))
        elif target.get("type") not in CODED:
            out.append((f"{path}.show_if.item", f"câu hỏi {target_code} thuộc loại {target.get('type')}; show_if "
                        "chỉ dựa vào câu hỏi có mã trả lời (scale/single/multiple)", "show_if needs a coded question"))
        else:
            allowed = _question_codes(data, target)
            for k, code in enumerate(_l(show_if.get("in"))):
                if code not in allowed:
                    out.append((f"{path}.show_if.in[{k}]", f"mã {code!r} không phải câu trả lời có thể của "
                                f"{target_code} (các mã: {allowed})", "code not among the target's answer codes"))


def _check_sections(data: dict, out: list[Finding]) -> dict[str, dict]:
    """Check every question; returns {code: question} in questionnaire order (first occurrence)."""
    all_codes = {q.get("code") for s in _l(data.get("sections")) for q in _l(_d(s).get("questions"))
                 if isinstance(q, dict) and _hashable(q.get("code"))}
    earlier: dict[str, dict] = {}
    where: dict[str, str] = {}
    section_ids: list = []
    for si, section in enumerate(_l(data.get("sections"))):
        sid = _d(section).get("id")
        if sid is not None and sid in section_ids:
            out.append((f"sections[{si}].id", f"mã phần {sid!r} bị lặp lại", "duplicate section id"))
        section_ids.append(sid)
        for qi, q in enumerate(_l(_d(section).get("questions"))):
            if not isinstance(q, dict):
                continue
            path = f"sections[{si}].questions[{qi}]"
            _check_question(data, q, path, earlier, all_codes, out)
            code = q.get("code")
            if _hashable(code) and code in where:
                out.append((f"{path}.code", f"mã câu hỏi {code} bị lặp lại (đã dùng ở {where[code]})",
                            "duplicate item code"))
            elif isinstance(code, str):
                earlier[code], where[code] = q, path
    return earlier


def _check_index_item(data: dict, questions: dict, code: Any, path: str, what: str, out: list[Finding]) -> None:
    q = questions.get(code) if _hashable(code) else None
    if q is None:
        out.append((path, f"không có câu hỏi nào mã {code}", f"{what}: unknown item"))
    elif q.get("type") != "scale":
        out.append((path, f"{code} phải là câu hỏi loại scale (đang là {q.get('type')})", f"{what}: not a scale item"))
    elif (isinstance(q.get("scale"), str) and q["scale"] in _d(data.get("scales"))
          and not _d(data["scales"][q["scale"]]).get("satisfied")):
        # (an undefined scale is reported once, at the question)
        out.append((path, f"thang đo {q.get('scale')!r} của {code} không khai báo satisfied (mã 'hài lòng')",
                    f"{what}: the item's scale has no satisfied codes"))


def _check_index(data: dict, questions: dict, out: list[Finding]) -> None:
    index = _d(data.get("index"))
    elements, parts = _d(index.get("elements")), _d(index.get("parts"))
    used_items: dict = {}
    for name, element in elements.items():
        for k, code in enumerate(_l(_d(element).get("items"))):
            path = f"index.elements.{name}.items[{k}]"
            _check_index_item(data, questions, code, path, "index", out)
            if not _hashable(code):
                continue
            if code in used_items and used_items[code] != name:
                out.append((path, f"{code} đã thuộc yếu tố {used_items[code]}; mỗi câu chỉ thuộc một yếu tố",
                            "item already in another element"))
            used_items.setdefault(code, name)
    owner: dict = {}
    for name, part in parts.items():
        for k, element in enumerate(_l(_d(part).get("elements"))):
            path = f"index.parts.{name}.elements[{k}]"
            if not _hashable(element) or element not in elements:
                out.append((path, f"yếu tố {element!r} chưa được khai báo trong index.elements", "unknown element"))
            elif element in owner and owner[element] != name:
                out.append((path, f"yếu tố {element} đã thuộc phần {owner[element]}", "element in two parts"))
            else:
                owner[element] = name
    if parts:
        for name in elements:
            if name not in owner:
                out.append((f"index.elements.{name}", "yếu tố này không thuộc phần nào trong index.parts",
                            "element not used by any part"))
    if "overall_item" in data:
        _check_index_item(data, questions, data["overall_item"], "overall_item", "overall_item", out)


def _check_maps_and_scoring(data: dict, questions: dict, out: list[Finding]) -> None:
    maps_to = _d(data.get("maps_to"))
    if maps_to and maps_to.get("instrument") == data.get("instrument"):
        out.append(("maps_to.instrument", "maps_to phải trỏ tới một bộ câu hỏi khác",
                    "maps_to must name another instrument"))
    for code in _d(maps_to.get("items")):
        if code not in questions:
            out.append((f"maps_to.items.{code}", f"không có câu hỏi nào mã {code} trong tệp này", "unknown item"))
    scoring = _d(data.get("scoring"))
    low = high = 0
    for k, code in enumerate(_l(scoring.get("items"))):
        q = questions.get(code) if _hashable(code) else None
        if q is None or q.get("type") not in ("single", "scale"):
            out.append((f"scoring.items[{k}]", f"{code} phải là câu hỏi một lựa chọn (single/scale) có trong tệp",
                        "scored items must be existing single/scale questions"))
            continue
        codes = [c for c in _question_codes(data, q) if isinstance(c, int)]
        if codes:
            low, high = low + min(codes), high + max(codes)
    mins = [_d(b).get("min") for b in _l(scoring.get("bands"))]
    if scoring and mins and all(isinstance(m, int) for m in mins):
        if any(a <= b for a, b in zip(mins, mins[1:])):
            out.append(("scoring.bands", "các mức phải xếp theo min giảm dần, không trùng nhau",
                        "bands must be in strictly decreasing order of min"))
        elif mins[-1] > low:
            out.append((f"scoring.bands[{len(mins) - 1}].min", f"tổng điểm thấp nhất là {low} nhưng mức thấp nhất "
                        f"bắt đầu từ {mins[-1]}: có điểm không thuộc mức nào", "some scores fall in no band"))
        elif mins[0] > high:
            out.append(("scoring.bands[0].min", f"tổng điểm cao nhất chỉ là {high}, không thể đạt {mins[0]}",
                        "band unreachable"))


def check_rules(data: dict) -> list[Finding]:
    """Every cross-reference problem in one questionnaire's content."""
    out: list[Finding] = []
    _check_scales(data, out)
    questions = _check_sections(data, out)
    _check_index(data, questions, out)
    _check_maps_and_scoring(data, questions, out)
    return out
