"""English for the sampling feature's Vietnamese UI strings (intake API, waves, invitations, slips)."""
EN = {
    # intake: per-record reasons and warnings
    "Trường %(field)s phải là chuỗi ký tự.": "Field %(field)s must be a string.",
    "Trường %(field)s chứa ký tự không hợp lệ (NUL hoặc mã Unicode lẻ).":
        "Field %(field)s contains a character that cannot be stored (NUL or a lone Unicode surrogate).",
    "Trường %(field)s dài quá %(n)d ký tự.": "Field %(field)s is longer than %(n)d characters.",
    "Ngày giờ ở trường %(field)s không đúng định dạng ISO 8601 (ví dụ 2025-03-14T09:30:00+07:00): %(value)s":
        "The date-time in %(field)s is not ISO 8601 (e.g. 2025-03-14T09:30:00+07:00): %(value)s",
    "Ngày ở trường %(field)s quá xa trong quá khứ: %(value)s": "The date in %(field)s is implausibly old: %(value)s",
    "Bản ghi phải là một đối tượng JSON.": "A record must be a JSON object.",
    "Thiếu trường bắt buộc: %(field)s.": "Missing required field: %(field)s.",
    "Cần mã thủ tục (procedure) hoặc mã lĩnh vực (sector).": "A procedure code or a sector code is required.",
    "Mã cơ quan không có trong danh mục: %(code)s.": "Unknown agency code: %(code)s.",
    "Mã thủ tục không có trong danh mục: %(code)s.": "Unknown procedure code: %(code)s.",
    "Mã lĩnh vực không có trong danh mục: %(code)s.": "Unknown sector code: %(code)s.",
    "Thủ tục %(procedure)s thuộc lĩnh vực %(expected)s, không phải %(given)s.":
        "Procedure %(procedure)s belongs to sector %(expected)s, not %(given)s.",
    "Mã điểm phục vụ không có trong danh mục: %(code)s.": "Unknown service point code: %(code)s.",
    "Kênh không hợp lệ: %(value)s (chấp nhận: %(allowed)s).": "Invalid channel: %(value)s (allowed: %(allowed)s).",
    "Kết quả không hợp lệ: %(value)s (chấp nhận: %(allowed)s).": "Invalid outcome: %(value)s (allowed: %(allowed)s).",
    "Ngày hoàn thành sớm hơn ngày tiếp nhận.": "The completion date is before the reception date.",
    "Ngày hẹn trả sớm hơn ngày tiếp nhận.": "The due date is before the reception date.",
    "Ngày ở trường %(field)s nằm ở tương lai.": "The date in %(field)s is in the future.",
    "Số điện thoại không hợp lệ nên đã bỏ qua (hồ sơ vẫn được nhận).":
        "Invalid phone number ignored (the dossier was still accepted).",
    "Mã hồ sơ %(id)s đã được nhận với nội dung khác; bản ghi mới bị từ chối, bản đã lưu giữ nguyên.":
        "Dossier %(id)s was already received with different content; this record is rejected and the stored one kept.",
    "Không chuyển sang kiosk được: hồ sơ không có điểm phục vụ.":
        "Cannot hand over to a kiosk: the dossier has no service point.",
    "Không chuyển được sang kiosk; hãy dùng phiếu in hoặc đường liên kết.":
        "The kiosk hand-over failed; use the printed slip or the link.",
    # intake API
    "Thiếu khoá API.": "Missing API key.",
    "Khoá API không đúng hoặc đã bị thu hồi.": "Wrong or revoked API key.",
    'Nội dung phải là JSON dạng {"dossiers": [ ... ]}.': 'The body must be JSON of the form {"dossiers": [ ... ]}.',
    "Mỗi lần gửi tối đa %(limit)d hồ sơ (đã gửi %(n)d); hãy chia nhỏ lô.":
        "At most %(limit)d dossiers per request (%(n)d sent); split the batch.",
    'Nội dung phải là JSON dạng {"external_id": "..."}.': 'The body must be JSON of the form {"external_id": "..."}.',
    "Hồ sơ này không có thư mời nào đang chờ (chưa mở) để cấp lại.":
        "This dossier has no pending (unopened) invitation to reissue.",
    "Không tìm thấy thư mời.": "Invitation not found.",
    "Thư mời này đã được trả lời.": "This invitation has already been answered.",
    "Thư mời này đã hết hạn.": "This invitation has expired.",
    "Khổ giấy không hợp lệ: %(fmt)s (a5, a6, 80mm).": "Invalid paper size: %(fmt)s (a5, a6, 80mm).",
    # wave errors
    "Ngày kết thúc phải sau hoặc bằng ngày bắt đầu.": "The end date must be on or after the start date.",
    "Ngày phải nằm trong khoảng %(first)s – %(last)s.": "The date must be between %(first)s and %(last)s.",
    "Cách phân tầng không hợp lệ (agency_sector, agency, sector).": "Invalid stratification (agency_sector, agency, sector).",
    "Mã đợt khảo sát này đã có.": "A wave with this code already exists.",
    "Xác suất chọn π phải nằm trong khoảng (0; 1].": "The inclusion probability π must be in (0, 1].",
    "Thiết kế không hợp lệ: tỷ lệ phản hồi trong (0; 1], sai số e trong (0; 1), cỡ tối thiểu ≥ 0.":
        "Invalid design: response rate in (0, 1], margin e in (0, 1), minimum size ≥ 0.",
    "Số phiếu mục tiêu phải ≥ 0.": "The target number of responses must be ≥ 0.",
    "Chỉ sửa được thiết kế khi đợt còn ở trạng thái nháp.": "The design can only be changed while the wave is a draft.",
    "Đợt khảo sát đã đóng.": "The wave is closed.",
    "Đợt khảo sát chưa được khởi động.": "The wave has not been launched.",
    "Chỉ ẩn danh hoá được sau khi đợt khảo sát đã đóng.": "A wave can only be anonymised after it is closed.",
    "Không có tầng này trong đợt khảo sát.": "The wave has no such stratum.",
    # SMS
    "[%(province)s] Mời Ông/Bà đánh giá sự phục vụ khi giải quyết hồ sơ tại %(agency)s: %(url)s "
    "(hạn %(date)s, không ghi tên). Xin cảm ơn!":
        "[%(province)s] Please rate the service you received for your application at %(agency)s: %(url)s "
        "(until %(date)s, anonymous). Thank you!",
    # admin: flashes
    "Đã tạo đợt nháp %(code)s. Hãy xem lại mẫu dự kiến trước khi khởi động.":
        "Draft wave %(code)s created. Review the planned sample before launching.",
    "Đã cập nhật tầng %(key)s.": "Stratum %(key)s updated.",
    "Yêu cầu không hợp lệ.": "Invalid request.",
    "Đợt đang chạy: %(invitations)d thư mời mới. Tải gói phiếu in và SMS để phát.":
        "The wave is running: %(invitations)d new invitations. Download the slips and SMS bundle to deliver them.",
    "Đã đóng đợt; %(expired)d thư mời chưa trả lời đã hết hiệu lực.":
        "Wave closed; %(expired)d unanswered invitations expired.",
    "Đã xoá %(deleted)d số điện thoại.": "%(deleted)d phone numbers deleted.",
    "Đã cắt liên kết của %(unlinked)d thư mời với hồ sơ.": "%(unlinked)d invitations unlinked from their dossiers.",
    "Chỉ phát thư mời được khi đợt đang chạy.": "Invitations can only be delivered while the wave is running.",
    "Không còn thư mời nào chưa phát.": "No undelivered invitations left.",
    # admin: forms
    "Bắt buộc nhập.": "Required.",
    "Hãy nhập một số (dùng dấu chấm cho phần thập phân).": "Enter a number (use a point for decimals).",
    "Ngày không hợp lệ (năm-tháng-ngày).": "Invalid date (year-month-day).",
    "Giá trị phải từ %(min)s đến %(max)s.": "The value must be between %(min)s and %(max)s.",
    "Cơ quan × lĩnh vực (khuyến nghị)": "Agency × sector (recommended)",
    "Chỉ theo cơ quan": "Agency only",
    "Chỉ theo lĩnh vực": "Sector only",
    "Mã đợt": "Wave code",
    "Chỉ dùng chữ không dấu, số, - _ .": "Use only unaccented letters, digits, - _ .",
    "Tên đợt": "Wave name",
    "Từ ngày (ngày hoàn thành hồ sơ)": "From (dossier completion date)",
    "Đến ngày": "To",
    "Bảng hỏi (phiên bản)": "Questionnaire (version)",
    "Hãy chọn một bảng hỏi đã nạp.": "Choose a loaded questionnaire.",
    "Phân tầng": "Stratification",
    "Cách tính cỡ mẫu": "Sample sizing",
    "Theo công thức SIPAS n = N/(1+N·e²) từ số hồ sơ kỳ trước":
        "SIPAS formula n = N/(1+N·e²) from the previous period's dossiers",
    "Tỷ lệ chọn cố định cho mọi tầng": "A fixed selection rate for every stratum",
    "Tỷ lệ chọn cố định (%)": "Fixed selection rate (%)",
    "Sai số e (%)": "Margin of error e (%)",
    "Tỷ lệ phản hồi dự kiến (%)": "Expected response rate (%)",
    "Số phiếu tối thiểu mỗi tầng": "Minimum responses per stratum",
    "Tỷ lệ chọn cho tầng chưa có hồ sơ kỳ trước (%)": "Selection rate for strata without previous dossiers (%)",
    "Hãy nhập tỷ lệ chọn cố định.": "Enter the fixed selection rate.",
    "Quy tắc": "Rule",
    "Theo quy tắc chung": "Wave-wide rule",
    "π cố định (%)": "Fixed π (%)",
    "Số phiếu mục tiêu": "Target responses",
    "Giá trị": "Value",
    "Hãy nhập giá trị.": "Enter a value.",
    "π phải từ 0 đến 100 %.": "π must be between 0 and 100 %.",
    "Tôi đã xem lại mẫu dự kiến; khởi động đợt (không sửa được thiết kế sau đó)":
        "I have reviewed the planned sample; launch the wave (the design cannot be changed afterwards)",
    "Hãy đánh dấu xác nhận trước khi khởi động.": "Tick the confirmation before launching.",
    "Khổ phiếu": "Slip size",
    "Cấp lại mã cho cả thư mời đã phát nhưng chưa mở (mã cũ mất hiệu lực)":
        "Also reissue delivered but unopened invitations (their old codes stop working)",
    # admin: pages
    "Quản trị": "Administration",
    "Thao tác": "Actions",
    "Chi tiết": "Details",
    "Trạng thái": "Status",
    "Đợt khảo sát": "Survey waves",
    "Nháp": "Draft",
    "Đang chạy": "Running",
    "Đã đóng": "Closed",
    "Kiểm tra lại mẫu": "Audit the sample",
    "Mẫu được tính lại từ hạt giống của đợt cho mọi hồ sơ trong kỳ, rồi so với các thư mời đã lưu.":
        "The sample is re-derived from the wave's seed for every dossier of the period and compared with the "
        "stored invitations.",
    "Hồ sơ trong kỳ": "Dossiers in the period",
    "Được chọn theo hạt giống": "Selected by the seed",
    "Thư mời đã lưu": "Stored invitations",
    "Đợt đã ẩn danh hoá: so sánh theo số lượng từng tầng, không theo từng hồ sơ.":
        "The wave is anonymised: compared by counts per stratum, not dossier by dossier.",
    "Khớp hoàn toàn: mẫu đã phát hành đúng bằng mẫu tính lại.":
        "Exact match: the issued sample equals the re-derived one.",
    "Có %(n)d sai lệch.": "%(n)d discrepancies.",
    "Loại": "Kind",
    "Hồ sơ / thư mời": "Dossier / invitation",
    "Thư mời còn thiếu (hồ sơ đến đúng lúc khởi động) được bổ sung bằng: hailong wave launch %(code)s":
        "Missing invitations (dossiers that arrived during the launch) are added by: hailong wave launch %(code)s",
    "Tạo đợt khảo sát": "Create a wave",
    "Mã": "Code",
    "Tên": "Name",
    "Kỳ (ngày hoàn thành hồ sơ)": "Period (dossier completion)",
    "Thư mời": "Invitations",
    "Trả lời": "Responses",
    "Tỷ lệ": "Rate",
    "Chưa có đợt khảo sát nào. Hãy tạo đợt đầu tiên.": "No waves yet. Create the first one.",
    "Chưa nạp bảng hỏi nào. Hãy chạy: hailong questionnaires load questionnaires/":
        "No questionnaire loaded. Run: hailong questionnaires load questionnaires/",
    "Mã ngắn, không dấu, ví dụ 2025-Q2.": "A short code without accents, e.g. 2025-Q2.",
    "Hồ sơ hoàn thành trong kỳ này (theo giờ địa phương) thuộc đợt.":
        "Dossiers completed in this period (local time) belong to the wave.",
    "SIPAS dùng e = 5 %%. Cỡ mẫu n = N/(1+N·e²), N là số hồ sơ của tầng trong kỳ trước cùng độ dài.":
        "SIPAS uses e = 5 %%. Sample size n = N/(1+N·e²), N being the stratum's dossiers in the previous period "
        "of the same length.",
    "Số thư mời = n ÷ tỷ lệ phản hồi; π = thư mời ÷ N, tối đa 100 %%.":
        "Invitations = n ÷ response rate; π = invitations ÷ N, at most 100 %%.",
    "Chỉ dùng khi chọn tỷ lệ cố định.": "Only used with a fixed rate.",
    "Tầng xuất hiện mà kỳ trước không có hồ sơ: không có cơ sở để tính cỡ mẫu.":
        "A stratum with no dossiers in the previous period: there is nothing to size it from.",
    "Mọi hồ sơ đều được chọn mẫu như nhau, kể cả hồ sơ bị từ chối, rút hoặc trễ hạn. Mẫu dự kiến theo tầng được "
    "tính ngay và hiển thị để xem lại trước khi khởi động.":
        "Every dossier is sampled alike, including rejected, withdrawn or late ones. The planned sample per "
        "stratum is computed at once and shown for review before launch.",
    "Tạo đợt nháp và tính mẫu dự kiến": "Create the draft and plan the sample",
    "Huỷ": "Cancel",
    "Tỷ lệ phản hồi": "Response rates",
    "Trả lời: số phiếu đã nộp qua thư mời. Tỷ lệ = trả lời ÷ thư mời. Đã mở: người dân đã mở đường liên kết.":
        "Responses: questionnaires submitted through an invitation. Rate = responses ÷ invitations. Opened: the "
        "citizen opened the link.",
    "Theo tầng": "By stratum",
    "Theo điểm phục vụ": "By service point",
    "Theo kết quả giải quyết": "By outcome",
    "Giải quyết (chấp thuận)": "Approved",
    "Từ chối": "Rejected",
    "Rút hồ sơ": "Withdrawn",
    "Các bảng": "Tables",
    "Nhóm": "Group",
    "Đã mở": "Opened",
    "Hết hạn": "Expired",
    "Tổng": "Total",
    "(không có điểm phục vụ)": "(no service point)",
    "Chưa có thư mời nào.": "No invitations yet.",
    "Thiết kế": "Design",
    "Kỳ khảo sát": "Period",
    "Kỳ trước (để tính N)": "Previous period (for N)",
    "Bảng hỏi": "Questionnaire",
    "Cơ quan × lĩnh vực": "Agency × sector",
    "Cơ quan": "Agency",
    "Lĩnh vực": "Sector",
    "Cỡ mẫu": "Sample size",
    "Tỷ lệ chọn cố định %(p)s": "Fixed selection rate %(p)s",
    "n = N/(1+N·e²), e = %(e)s, tối thiểu %(m)d phiếu/tầng, tỷ lệ phản hồi dự kiến %(r)s":
        "n = N/(1+N·e²), e = %(e)s, at least %(m)d responses per stratum, expected response rate %(r)s",
    "Tầng mới": "New strata",
    "π = %(p)s": "π = %(p)s",
    "Hạt giống": "Seed",
    "(đã xoá)": "(erased)",
    "Chọn mẫu": "Selection",
    "Khởi động": "Launched",
    "Đóng": "Closed",
    "Đã xoá số điện thoại": "Phone numbers deleted",
    "Đã ẩn danh hoá": "Anonymised",
    "Xem lại mẫu dự kiến bên dưới; có thể đặt riêng π hoặc số phiếu cho từng tầng. Khi khởi động, các hồ sơ đã có "
    "trong kỳ được chọn một lượt; hồ sơ đến sau được chọn ngay khi nhận.":
        "Review the planned sample below; π or a target can be set per stratum. At launch the period's existing "
        "dossiers are selected in one pass; later dossiers are selected on arrival.",
    "Khởi động đợt khảo sát": "Launch the wave",
    "%(n)d thư mời chưa phát. Tải gói gồm phiếu in (mỗi điểm phục vụ một tệp), tệp SMS/Zalo và danh sách đường "
    "liên kết; mã mời được cấp ngay lúc tải và chỉ có trong gói này.":
        "%(n)d undelivered invitations. Download a bundle with printable slips (one file per service point), the "
        "SMS/Zalo file and the link list; the codes are issued at download and exist only in this bundle.",
    "Tải gói thư mời (.zip)": "Download the invitation bundle (.zip)",
    "Đóng đợt? Thư mời chưa trả lời sẽ hết hiệu lực.": "Close the wave? Unanswered invitations will expire.",
    "Đóng đợt": "Close the wave",
    "Xoá vĩnh viễn số điện thoại của hồ sơ thuộc đợt này?": "Permanently delete the phone numbers of this wave's dossiers?",
    "Xoá số điện thoại": "Delete phone numbers",
    "Cắt liên kết thư mời – hồ sơ? Không hoàn tác được.": "Cut the invitation–dossier link? This cannot be undone.",
    "Ẩn danh hoá": "Anonymise",
    "Mẫu dự kiến theo tầng": "Planned sample by stratum",
    "N kỳ trước: số hồ sơ hoàn thành trong kỳ trước cùng độ dài; thư mời dự kiến = π × N kỳ trước; phiếu dự kiến = "
    "thư mời × tỷ lệ phản hồi.":
        "Previous N: dossiers completed in the previous period of the same length; planned invitations = "
        "π × previous N; expected responses = invitations × response rate.",
    "Tầng": "Stratum",
    "N kỳ trước": "Previous N",
    "N kỳ này": "Current N",
    "Phiếu mục tiêu": "Target responses",
    "Thư mời dự kiến": "Planned invitations",
    "Phiếu dự kiến": "Expected responses",
    "Thư mời đã phát hành": "Invitations issued",
    "Dù chọn toàn bộ, tầng này cũng khó đủ số phiếu mục tiêu": "Even a census of this stratum is unlikely to reach the target",
    "Đặt riêng": "Own rule",
    "Quy tắc của tầng %(key)s": "Rule of stratum %(key)s",
    "Quy tắc chung": "Wave-wide rule",
    "π (%%)": "π (%%)",
    "Số phiếu": "Responses",
    "Lưu": "Save",
    "Tổng (%(n)d tầng)": "Total (%(n)d strata)",
    "Chưa có tầng nào: không có hồ sơ trong kỳ trước và kỳ này. Các tầng sẽ được tạo khi hồ sơ đến (π của tầng mới).":
        "No strata yet: no dossiers in the previous or current period. Strata are created as dossiers arrive "
        "(with the new-stratum π).",
    # slips
    "Phiếu mời khảo sát sự hài lòng": "Satisfaction survey invitation",
    "Khổ giấy": "Paper size",
    "In phiếu": "Print",
    "Phiếu mời khảo sát": "Survey invitation",
    "UBND tỉnh %(province)s": "People's Committee of %(province)s",
    "Mời Ông/Bà đánh giá sự hài lòng": "Please tell us how satisfied you are",
    "về sự phục vụ của cơ quan hành chính nhà nước": "with the service of the state administrative agency",
    "Hồ sơ của Ông/Bà tại %(agency)s đã được giải quyết. Ông/Bà được chọn ngẫu nhiên để cho biết ý kiến về sự phục vụ.":
        "Your application at %(agency)s has been handled. You were chosen at random to give your opinion of "
        "the service.",
    "Mã QR dẫn tới phiếu khảo sát": "QR code leading to the questionnaire",
    "Quét mã QR bằng camera điện thoại, hoặc mở địa chỉ:": "Scan the QR code with your phone's camera, or open:",
    "Khoảng 5 phút, không ghi tên, không hỏi số điện thoại.": "About 5 minutes, anonymous, no phone number asked.",
    "Phiếu chỉ trả lời được một lần, đến hết ngày %(date)s.": "It can be answered once, until the end of %(date)s.",
    "Cán bộ không được xem hay gợi ý câu trả lời của Ông/Bà.": "Staff may not see or suggest your answers.",
    "Xin trân trọng cảm ơn!": "Thank you!",
    "Không có phiếu nào để in.": "No slips to print.",
}
EN["mời khi u < π, với u = HMAC-SHA256(hạt giống, \"nguồn:mã hồ sơ\") / 2⁶⁴"] = \
    "invited when u < π, with u = HMAC-SHA256(seed, \"source:dossier id\") / 2⁶⁴"
