"""English for the citizen side: answering by link, the kiosk, device administration, the officer hand-off."""
EN = {
    # answer validation
    "Câu hỏi không có trong bảng hỏi này.": "This question is not in this questionnaire.",
    "Vui lòng trả lời câu hỏi này.": "Please answer this question.",
    "Câu trả lời không đúng dạng.": "This answer is not in the expected form.",
    "Mức đánh giá không có trong thang đo.": "This rating is not on the scale.",
    "Lựa chọn không có trong danh sách.": "This choice is not in the list.",
    "Nội dung quá dài (tối đa %(n)s ký tự).": "The text is too long (at most %(n)s characters).",
    "Vui lòng nhập một số nguyên.": "Please enter a whole number.",
    "Số phải lớn hơn hoặc bằng %(n)s.": "The number must be at least %(n)s.",
    "Số phải nhỏ hơn hoặc bằng %(n)s.": "The number must be at most %(n)s.",
    "Câu hỏi này không có ô ghi ý kiến khác.": "This question has no box for other answers.",
    "Lựa chọn này không thể chọn cùng các lựa chọn khác.": "This choice cannot be combined with other choices.",
    "Mã định danh câu trả lời (uuid) không hợp lệ.": "The response identifier (uuid) is not valid.",
    "Câu trả lời không đúng phiên bản bảng hỏi của lời mời.":
        "These answers are not for the questionnaire version of this invitation.",
    "Một số câu trả lời chưa hợp lệ.": "Some answers are not valid.",
    "Không có câu trả lời nào để lưu.": "There are no answers to save.",
    "Lời mời này đã được trả lời.": "This invitation has already been answered.",
    "Mã định danh câu trả lời đã được dùng.": "This response identifier has already been used.",
    # kiosk API
    "Máy chưa được đăng ký hoặc đã bị thu hồi.": "This device is not enrolled or has been revoked.",
    "Quá nhiều yêu cầu, vui lòng thử lại sau.": "Too many requests, please try again later.",
    "Dữ liệu gửi lên phải là một đối tượng JSON.": "The request body must be a JSON object.",
    "Không có phiên bản bảng hỏi này.": "There is no such questionnaire version.",
    "Nội dung bảng hỏi không khớp với phiên bản trên máy chủ.":
        "The questionnaire content does not match the version on the server.",
    "Lượt đánh giá được chuyển từ quầy không hợp lệ.": "The hand-off from the counter is not valid.",
    "Số đánh giá đang chờ phải là số nguyên.": "The number of waiting answers must be a whole number.",
    # kiosk screens
    "Xin mời Ông/Bà đánh giá sự phục vụ": "Please rate the service you received",
    "Chỉ mất một phút. Không cần ghi tên.": "It takes a minute. No name needed.",
    "Bắt đầu đánh giá": "Start rating",
    "Ngôn ngữ": "Language",
    "Tiếp tục": "Continue",
    "Quay lại": "Back",
    "Gửi đánh giá": "Send rating",
    "Bỏ qua": "Skip",
    "Phần %(step)s / %(total)s": "Part %(step)s of %(total)s",
    "Vui lòng chọn một câu trả lời.": "Please choose an answer.",
    "Ý kiến khác (ghi rõ)": "Other (please specify)",
    "Cảm ơn Ông/Bà!": "Thank you!",
    "Đánh giá của Ông/Bà đã được ghi nhận.": "Your rating has been recorded.",
    "Về màn hình chính": "Back to the start screen",
    "Màn hình sẽ tự trở về sau %(n)s giây.": "The screen returns to the start in %(n)s seconds.",
    "Ông/Bà vẫn đang đánh giá chứ?": "Are you still there?",
    "Nếu không có thao tác, câu trả lời sẽ được xoá sau %(n)s giây.":
        "If nothing is touched, the answers will be cleared in %(n)s seconds.",
    "Nếu không có thao tác, màn hình sẽ trở về sau %(n)s giây.":
        "If nothing is touched, the screen returns to the start in %(n)s seconds.",
    "Tôi vẫn đang đánh giá": "I am still here",
    "%(n)s đánh giá đang chờ gửi": "%(n)s ratings waiting to be sent",
    "Mất kết nối mạng — đánh giá vẫn được lưu trên máy và sẽ tự gửi khi có mạng.":
        "No network connection — ratings are kept on this device and sent when the network is back.",
    "Máy chưa có bảng hỏi. Vui lòng báo cán bộ.": "No questionnaire on this device yet. Please tell a staff member.",
    "Máy này chưa được đăng ký hoặc đã bị thu hồi. Vui lòng báo cán bộ.":
        "This device is not enrolled or has been revoked. Please tell a staff member.",
    "Mời Ông/Bà đánh giá việc giải quyết hồ sơ vừa nhận": "Please rate how the dossier you just received was handled",
    "Đang chuẩn bị…": "Getting ready…",
    "Nhập số": "Enter a number",
    "Chạm vào một gương mặt để trả lời.": "Tap a face to answer.",
    "Có thể chọn nhiều ý.": "You may choose several.",
    # enrolment
    "Quá nhiều lần thử. Vui lòng chờ %(n)s giây rồi thử lại.": "Too many attempts. Please wait %(n)s seconds and try again.",
    "Mã đăng ký đã hết hạn. Vui lòng xin mã mới từ quản trị viên.":
        "This enrolment code has expired. Please ask an administrator for a new one.",
    "Mã đăng ký không đúng hoặc đã được dùng. Vui lòng kiểm tra lại.":
        "This enrolment code is wrong or has already been used. Please check it.",
    "Vui lòng nhập mã đăng ký.": "Please enter the enrolment code.",
    "Đánh giá sự hài lòng": "Satisfaction rating",
    "Đăng ký máy khảo sát": "Enrol a survey kiosk",
    "Nhập mã đăng ký dùng một lần do quản trị viên cấp cho máy này.":
        "Enter the one-time enrolment code an administrator issued for this device.",
    "Đăng ký máy": "Enrol this device",
    "Đã đăng ký máy": "Device enrolled",
    "Máy “%(label)s” thuộc %(point)s.": "Device “%(label)s” belongs to %(point)s.",
    "Đang mở màn hình khảo sát…": "Opening the survey screen…",
    "Mở màn hình khảo sát": "Open the survey screen",
    "Máy chưa được đăng ký": "Device not enrolled",
    "Máy này chưa được đăng ký làm máy khảo sát hoặc đã bị thu hồi. Vui lòng báo cán bộ.":
        "This device is not enrolled as a survey kiosk or has been revoked. Please tell a staff member.",
    "Đăng ký máy (dành cho cán bộ)": "Enrol the device (staff only)",
    # device administration
    "Điểm phục vụ đặt máy": "Service point where the device stands",
    "Tên máy": "Device name",
    "ví dụ: Kiosk quầy 3": "e.g. Kiosk at counter 3",
    "Đã thu hồi máy “%(label)s”.": "Device “%(label)s” revoked.",
    "Đăng ký máy mới": "Register a new device",
    "Hệ thống cấp một mã đăng ký dùng một lần (kèm mã QR), có hiệu lực 24 giờ. Trên máy tính bảng, mở trang đăng ký kiosk và nhập mã; máy giữ một khoá riêng, máy chủ chỉ lưu bản băm.":
        "You get a one-time enrolment code (with a QR code), valid for 24 hours. On the tablet, open the kiosk "
        "enrolment page and enter the code; the tablet keeps its own key and the server stores only its hash.",
    "Đăng ký và lấy mã": "Register and get a code",
    "Danh sách máy": "Devices",
    "Lần cuối liên lạc": "Last seen",
    "Đang chờ gửi": "Waiting to send",
    "Mất liên lạc > 3 phút": "Not seen for > 3 minutes",
    "Mất liên lạc > 1 giờ": "Not seen for > 1 hour",
    "Chờ đăng ký": "Waiting for enrolment",
    "Chưa có mã": "No code issued",
    "Đã thu hồi": "Revoked",
    "Cấp mã mới": "Issue a new code",
    "Thu hồi máy này? Máy sẽ ngừng nhận khảo sát ngay.": "Revoke this device? It stops taking answers at once.",
    "Thu hồi": "Revoke",
    "Chưa có máy nào. Đăng ký máy đầu tiên ở trên.": "No devices yet. Register the first one above.",
    "Mã đăng ký máy": "Device enrolment code",
    "Mã đăng ký cho máy “%(label)s”": "Enrolment code for “%(label)s”",
    "Điểm phục vụ:": "Service point:",
    "Trên máy tính bảng, quét mã QR hoặc mở địa chỉ dưới đây và nhập mã. Mã chỉ dùng được một lần, hết hạn lúc %(t)s, và chỉ hiện một lần trên trang này.":
        "On the tablet, scan the QR code or open the address below and enter the code. The code works once, "
        "expires at %(t)s, and is shown only once on this page.",
    "Mã đăng ký": "Enrolment code",
    "Mã đăng ký chỉ hiện một lần ngay sau khi cấp. Nếu chưa kịp ghi lại, hãy cấp mã mới (mã cũ sẽ hết hiệu lực).":
        "The enrolment code is shown only once, right after it is issued. If you missed it, issue a new code "
        "(the old one stops working).",
    # officer hand-off
    "Không thể chuyển: lời mời này không còn hiệu lực (%(state)s).": "Cannot hand off: this invitation is no longer valid (%(state)s).",
    "Đã chuyển hồ sơ %(d)s sang kiosk: người dân bấm “Bắt đầu đánh giá” trong %(m)s phút tới sẽ đánh giá hồ sơ này.":
        "Dossier %(d)s handed to the kiosk: the next person to press “Start rating” within %(m)s minutes rates this dossier.",
    "Đã huỷ lượt chuyển.": "Hand-off cancelled.",
    "Chuyển lượt đánh giá sang kiosk": "Hand a rating over to the kiosk",
    "Sau khi trả kết quả cho người dân, chọn hồ sơ của họ: người tiếp theo bấm “Bắt đầu đánh giá” trên kiosk của quầy trong %(m)s phút sẽ đánh giá đúng hồ sơ này (mẫu xác suất). Nếu không chuyển, kiosk nhận đánh giá tự do.":
        "After returning a result, choose that citizen's dossier: the next person to press “Start rating” on this "
        "counter's kiosk within %(m)s minutes rates exactly this dossier (probability sample). Without a hand-off "
        "the kiosk takes walk-up ratings.",
    "Quầy / điểm phục vụ": "Counter / service point",
    "— Chọn —": "— Choose —",
    "Chọn": "Choose",
    "Quầy:": "Counter:",
    "Tài khoản của bạn chưa được gán cho quầy nào. Vui lòng liên hệ quản trị viên.":
        "Your account is not assigned to a counter. Please contact an administrator.",
    "Chọn một quầy để xem các hồ sơ.": "Choose a counter to see its dossiers.",
    "Đang chờ người dân bắt đầu trên kiosk": "Waiting for the citizen to start on the kiosk",
    "chuyển lúc %(t)s": "handed over at %(t)s",
    "Đang chờ trên kiosk": "Waiting on the kiosk",
    "Hiển thị %(n)s hồ sơ mới nhất; tìm theo mã hồ sơ để thấy các hồ sơ khác.":
        "Showing the %(n)s newest dossiers; search by dossier number to find others.",
    "Hồ sơ được chọn khảo sát tại quầy này": "Dossiers of this counter selected for the survey",
    "Tìm theo mã hồ sơ": "Search by dossier number",
    "Tìm": "Search",
    "Mã hồ sơ": "Dossier number",
    "Thủ tục": "Procedure",
    "Hạn trả lời": "Answer by",
    "Mời đánh giá trên kiosk": "Invite to rate on the kiosk",
    "Không có hồ sơ nào khớp với “%(q)s”.": "No dossier matches “%(q)s”.",
    "Chưa có hồ sơ nào của quầy này được chọn khảo sát.": "No dossier of this counter has been selected for the survey yet.",
    # link survey
    "Khảo sát sự hài lòng": "Satisfaction survey",
    "bắt buộc": "required",
    "Tối đa %(n)s ký tự.": "At most %(n)s characters.",
    "Cảm ơn bạn": "Thank you",
    "Cảm ơn bạn đã trả lời khảo sát!": "Thank you for answering the survey!",
    "Câu trả lời của bạn đã được ghi nhận. Ý kiến của bạn giúp cơ quan nhà nước phục vụ người dân tốt hơn.":
        "Your answers have been recorded. Your opinion helps public agencies serve people better.",
    "Bạn có thể đóng trang này.": "You may close this page.",
    "Vui lòng kiểm tra lại câu hỏi được đánh dấu.": "Please check the marked questions.",
    "Gửi câu trả lời": "Send my answers",
    "Không tìm thấy lời mời khảo sát": "Survey invitation not found",
    "Lời mời này đã được trả lời": "This invitation has already been answered",
    "Lời mời khảo sát đã hết hạn": "This survey invitation has expired",
    "Đợt khảo sát đã kết thúc": "This survey round has ended",
    "Bạn thao tác hơi nhanh": "That was a little fast",
    "Phiên làm việc đã hết hạn": "Your session has expired",
    "Đường liên kết có thể bị gõ thiếu hoặc sai. Vui lòng kiểm tra lại đường liên kết hoặc quét lại mã QR trên phiếu hẹn trả kết quả.":
        "The link may be incomplete or mistyped. Please check the link or scan the QR code on your result slip again.",
    "Mỗi lời mời chỉ được trả lời một lần và câu trả lời đã được ghi nhận. Cảm ơn bạn đã tham gia!":
        "Each invitation can be answered once, and the answers have been recorded. Thank you for taking part!",
    "Thời hạn trả lời của lời mời này đã qua. Cảm ơn bạn đã quan tâm.":
        "The time to answer this invitation has passed. Thank you for your interest.",
    "Đợt khảo sát này đã kết thúc nên không nhận thêm câu trả lời. Cảm ơn bạn đã quan tâm.":
        "This survey round has ended and takes no more answers. Thank you for your interest.",
    "Vui lòng chờ một chút rồi thử lại.": "Please wait a moment and try again.",
    "Vui lòng quay lại trang trước và thử lại; các câu trả lời đã lưu vẫn được giữ.":
        "Please go back to the previous page and try again; the answers already saved are kept.",
    "Chỉ mất vài giây.": "It takes a few seconds.",
    "Chỉ mất khoảng %(n)s phút.": "It takes about %(n)s minutes.",
    "Câu trả lời được giữ ẩn danh: kết quả chỉ được tổng hợp, không ai biết bạn đã trả lời thế nào.":
        "Your answers are anonymous: results are only reported in aggregate, nobody learns how you answered.",
    "Bạn có thể quay lại sửa câu trả lời trước khi gửi.": "You can go back and change your answers before sending.",
    "Bắt đầu": "Start",
}
