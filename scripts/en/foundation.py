"""English translations of the Vietnamese UI strings (msgid → msgstr)."""
EN = {
    "Hài Lòng": "Hài Lòng",
    "Yêu cầu không hợp lệ": "Bad request",
    "Bạn không có quyền xem trang này": "You are not allowed to see this page",
    "Không tìm thấy trang": "Page not found",
    "Phương thức không được phép": "Method not allowed",
    "Dữ liệu gửi lên quá lớn": "The data sent is too large",
    "Dữ liệu gửi lên chứa ký tự NUL, không thể xử lý.": "The data sent contains a NUL character and cannot be processed.",
    "Quá nhiều yêu cầu, vui lòng thử lại sau ít phút": "Too many requests, please try again in a few minutes",
    "Đã có lỗi xảy ra": "Something went wrong",
    "Dịch vụ tạm thời không sẵn sàng": "The service is temporarily unavailable",
    "Bỏ qua, đến nội dung chính": "Skip to main content",
    "Điều hướng": "Navigation",
    "Khảo sát sự hài lòng về sự phục vụ hành chính": "Survey of satisfaction with public administrative services",
    "Về trang chủ": "Back to the home page",
    "Trang chủ": "Home",
    "Khảo sát sự hài lòng của người dân, tổ chức": "Citizen and organisation satisfaction survey",
    "Nếu bạn nhận được đường liên kết hoặc mã QR mời khảo sát, hãy mở đường liên kết đó để trả lời.":
        "If you received a survey link or QR code, open that link to answer.",
    "Máy khảo sát tại quầy (kiosk)": "Survey kiosk at the counter",
    "Cán bộ phân tích: đăng nhập": "Analysts: sign in",
    "Quản trị": "Administration",
}
