"""Forms of the wave admin pages (Flask-WTF, CSRF on every one)."""
from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from survey.models import Questionnaire, QuestionnaireVersion
from survey.services.common.formats import named
from survey.services.sampling import rules as sampling
from survey.services.sampling import waves
from survey.services.sampling.slips import FORMATS


def _quarter_bounds(day: date) -> tuple[date, date]:
    start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    end = date(start.year + (start.month == 10), (start.month + 2) % 12 + 1, 1) - timedelta(days=1)
    return start, end


REQUIRED = _l("Bắt buộc nhập.")
NOT_A_NUMBER = _l("Hãy nhập một số (dùng dấu chấm cho phần thập phân).")
NOT_A_DATE = _l("Ngày không hợp lệ (năm-tháng-ngày).")
NUMBER = widgets.NumberInput(step="any")


def _between(lo, hi):
    return NumberRange(min=lo, max=hi, message=_l("Giá trị phải từ %(min)s đến %(max)s."))


def _check_supported_day(day: date | None) -> None:
    # create_wave refuses these too, but its error shows under the wave code: here it shows at the date typed.
    if day is not None and not waves.FIRST_DAY <= day <= waves.LAST_DAY:
        raise ValidationError(waves.error_message("period_out_of_range"))


SCHEME_LABELS = {"agency_sector": _l("Cơ quan × lĩnh vực (khuyến nghị)"), "agency": _l("Chỉ theo cơ quan"),
                 "sector": _l("Chỉ theo lĩnh vực"),
                 # Health and education waves: a hospital or school × the event type (inpatient, primary…).
                 "unit_type": _l("Đơn vị × loại (bệnh viện, trường học)")}


class WaveForm(FlaskForm):
    """A new wave: period, questionnaire version, strata and the sizing rule."""

    code = StringField(_l("Mã đợt"),
                       validators=[DataRequired(REQUIRED), Length(max=64),
                                   Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Chỉ dùng chữ không dấu, số, - _ ."))],
                       render_kw={"placeholder": "2025-Q2", "autocapitalize": "characters"})
    name = StringField(_l("Tên đợt"), validators=[DataRequired(REQUIRED), Length(max=255)],
                       render_kw={"placeholder": "Khảo sát hài lòng quý II/2025"})
    name_en = StringField(_l("Tên đợt bằng tiếng Anh (không bắt buộc)"), validators=[Optional(), Length(max=255)],
                          render_kw={"placeholder": "Satisfaction survey, Q2 2025", "lang": "en"})
    period_start = DateField(_l("Từ ngày (ngày hoàn thành hồ sơ)"), validators=[InputRequired(REQUIRED)],
                             invalid_value_message=NOT_A_DATE)
    period_end = DateField(_l("Đến ngày"), validators=[InputRequired(REQUIRED)], invalid_value_message=NOT_A_DATE)
    version_id = SelectField(_l("Bảng hỏi (phiên bản)"), coerce=int, validators=[InputRequired(REQUIRED)],
                             invalid_choice_message=_l("Hãy chọn một bảng hỏi đã nạp."))
    scheme = SelectField(_l("Phân tầng"), choices=[SelectChoice(k, v) for k, v in SCHEME_LABELS.items()],
                         default="agency_sector")
    rule = RadioField(_l("Cách tính cỡ mẫu"), default="target", choices=[
        SelectChoice("target", _l("Theo công thức SIPAS n = N/(1+N·e²) từ số hồ sơ kỳ trước")),
        SelectChoice("fixed", _l("Tỷ lệ chọn cố định cho mọi tầng"))])
    fixed_pct = FloatField(_l("Tỷ lệ chọn cố định (%)"), validators=[Optional(), _between(0.01, 100)], widget=NUMBER,
                           invalid_value_message=NOT_A_NUMBER)
    margin_pct = FloatField(_l("Sai số e (%)"), default=100 * sampling.DEFAULT_MARGIN, widget=NUMBER,
                            validators=[InputRequired(REQUIRED), _between(0.5, 50)], invalid_value_message=NOT_A_NUMBER)
    response_pct = FloatField(_l("Tỷ lệ phản hồi dự kiến (%)"), default=100 * sampling.DEFAULT_RESPONSE_RATE,
                              validators=[InputRequired(REQUIRED), _between(1, 100)], widget=NUMBER,
                              invalid_value_message=NOT_A_NUMBER)
    min_responses = IntegerField(_l("Số phiếu tối thiểu mỗi tầng"), default=sampling.DEFAULT_MIN_RESPONSES,
                                 validators=[InputRequired(REQUIRED), _between(0, 100000)],
                                 invalid_value_message=NOT_A_NUMBER)
    new_stratum_pct = FloatField(_l("Tỷ lệ chọn cho tầng chưa có hồ sơ kỳ trước (%)"), default=100, widget=NUMBER,
                                 validators=[InputRequired(REQUIRED), _between(0, 100)],
                                 invalid_value_message=NOT_A_NUMBER)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_submitted():
            self.period_start.data, self.period_end.data = _quarter_bounds(date.today())

    def validate_period_start(self, field) -> None:
        """The period starts inside the days a wave may cover."""
        _check_supported_day(field.data)

    def validate_period_end(self, field) -> None:
        """The period ends on or after its start, inside the days a wave may cover."""
        _check_supported_day(field.data)
        if self.period_start.data and field.data and field.data < self.period_start.data:
            raise ValidationError(_l("Ngày kết thúc phải sau hoặc bằng ngày bắt đầu."))

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then: a fixed rate is needed when the fixed rule is chosen."""
        ok = super().validate(extra_validators)
        if self.rule.data == "fixed" and self.fixed_pct.data is None and not self.fixed_pct.errors:
            self.fixed_pct.errors = [*self.fixed_pct.errors, _l("Hãy nhập tỷ lệ chọn cố định.")]
            ok = False
        return ok

    def design_kwargs(self, session) -> dict:
        """Arguments for survey.services.sampling.waves.create_wave."""
        return dict(code=self.code.data.strip(), **self._common(session))

    def _common(self, session) -> dict:
        return dict(name=self.name.data.strip(), name_en=(self.name_en.data or "").strip(),
                    period_start=self.period_start.data,
                    period_end=self.period_end.data, version=session.get(QuestionnaireVersion, self.version_id.data),
                    scheme=self.scheme.data, fixed_pi=self.fixed_pct.data / 100 if self.rule.data == "fixed" else None,
                    margin=self.margin_pct.data / 100, response_rate=self.response_pct.data / 100,
                    min_responses=self.min_responses.data, new_stratum_pi=self.new_stratum_pct.data / 100)


def _percent(share: float) -> float:
    return round(100 * share, 6)  # 100 × 0.05 is 5.000000000000001 in binary floating point


class WaveEditForm(WaveForm):
    """A draft wave's name, period, questionnaire version and design (its code never changes)."""

    code = None  # WTForms: no such field on this form

    def __init__(self, *args, wave=None, **kwargs):
        super().__init__(*args, **kwargs)
        if wave is not None and not self.is_submitted():
            self._fill(wave)

    def _fill(self, wave) -> None:
        d = wave.design
        self.name.data, self.name_en.data = wave.name, d.get("name_en", "")
        self.period_start.data, self.period_end.data = wave.period_start, wave.period_end
        self.version_id.data, self.scheme.data = wave.questionnaire_version_id, d["scheme"]
        self.rule.data = d["rule"]
        self.fixed_pct.data = _percent(d["fixed_pi"]) if d.get("fixed_pi") is not None else None
        self.margin_pct.data, self.response_pct.data = _percent(d["margin"]), _percent(d["response_rate"])
        self.min_responses.data, self.new_stratum_pct.data = d["min_responses"], _percent(d["new_stratum_pi"])

    def design_kwargs(self, session) -> dict:
        """Arguments for survey.services.sampling.waves.update_wave."""
        return self._common(session)


class DeleteWaveForm(FlaskForm):
    """Deleting a draft wave: the administrator types its code, so a slip of the mouse deletes nothing."""

    confirm_code = StringField(_l("Nhập mã đợt để xác nhận xoá"), validators=[DataRequired(REQUIRED)],
                               render_kw={"autocomplete": "off", "autocapitalize": "none"})

    def confirms(self, wave) -> bool:
        """Whether the typed code is the wave's (an error on the field when not)."""
        if (self.confirm_code.data or "").strip() == wave.code:
            return True
        self.confirm_code.errors = [*self.confirm_code.errors, _l("Mã đợt không khớp: chưa xoá gì.")]
        return False


def fill_versions(form: WaveForm, session) -> None:
    """Questionnaire versions to choose from, the latest service-point questionnaire first."""
    rows = session.execute(select(QuestionnaireVersion, Questionnaire).join(Questionnaire)
                           .order_by(Questionnaire.instrument != "sipas2023-service", Questionnaire.instrument,
                                     QuestionnaireVersion.id.desc())).all()
    form.version_id.choices = [SelectChoice(v.id, version_label(q, v)) for v, q in rows]


def version_label(questionnaire, version) -> str:
    """A questionnaire version as the admin pages name it, in the reader's language."""
    return f"{named(questionnaire)} — {questionnaire.instrument} v{version.version}"


class StratumForm(FlaskForm):
    """One stratum's own rule: the wave-wide rule, a fixed π (%) or a target number of responses."""

    key = HiddenField(validators=[DataRequired(REQUIRED)])
    mode = SelectField(_l("Quy tắc"), choices=[SelectChoice("rule", _l("Theo quy tắc chung")),
                                                SelectChoice("pi", _l("π cố định (%)")),
                                                SelectChoice("target", _l("Số phiếu mục tiêu"))])
    value = FloatField(_l("Giá trị"), validators=[Optional(), _between(0, 10**7)], invalid_value_message=NOT_A_NUMBER)

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then: a value is needed for π and target; π is a percentage."""
        ok = super().validate(extra_validators)
        value = self.value.data
        if self.mode.data != "rule" and value is None and not self.value.errors:
            self.value.errors = [_l("Hãy nhập giá trị.")]
            ok = False
        elif self.mode.data == "pi" and value is not None and value > 100:
            self.value.errors = [_l("π phải từ 0 đến 100 %.")]
            ok = False
        return ok

    def values(self) -> tuple[float | None, int | None]:
        """(π, target n) for survey.services.sampling.waves.set_override."""
        if self.mode.data == "pi":
            return self.value.data / 100, None
        if self.mode.data == "target":
            return None, int(round(self.value.data))
        return None, None


class LaunchForm(FlaskForm):
    """Launching needs an explicit confirmation that the plan was reviewed."""

    confirm = BooleanField(_l("Tôi đã xem lại mẫu dự kiến; khởi động đợt (không sửa được thiết kế sau đó)"),
                           validators=[DataRequired(message=_l("Hãy đánh dấu xác nhận trước khi khởi động."))])


class ActionForm(FlaskForm):
    """An action button: only the CSRF token."""


class BundleForm(FlaskForm):
    """Download slips and the SMS file for invitations nobody has received yet."""

    format = SelectField(_l("Khổ phiếu"), choices=[SelectChoice(k, v["label"]) for k, v in FORMATS.items()],
                         default="a6")
    reissue = BooleanField(_l("Cấp lại mã cho cả thư mời đã phát nhưng chưa mở (mã cũ mất hiệu lực)"))
