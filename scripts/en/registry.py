"""English for the registry's Vietnamese UI strings (import report, targets)."""
EN = {
    "dòng %(line)d": "line %(line)d",
    "cột %(column)s": "column %(column)s",
    "Tệp không phải mã UTF-8 (hãy lưu lại tệp dưới dạng CSV UTF-8)":
        "The file is not UTF-8 encoded (save it again as CSV UTF-8)",
    "Tệp rỗng: không có dòng tiêu đề": "The file is empty: there is no header line",
    "Dòng có %(n)d cột nhưng tiêu đề chỉ có %(m)d cột": "The line has %(n)d columns but the header only %(m)d",
    "Cột không xác định; các cột hợp lệ: %(cols)s": "Unknown column; valid columns: %(cols)s",
    "Thiếu cột bắt buộc": "Required column missing",
    "Cột bị lặp lại trong tiêu đề": "Column repeated in the header",
    "Loại dòng không hợp lệ \"%(value)s\"; phải là một trong: %(allowed)s":
        "Invalid row kind \"%(value)s\"; must be one of: %(allowed)s",
    "Thiếu giá trị bắt buộc": "Required value missing",
    "Mã \"%(code)s\" chỉ được gồm chữ không dấu, chữ số và . _ -":
        "Code \"%(code)s\" may only contain unaccented letters, digits and . _ -",
    "Quá dài (tối đa %(max)d ký tự)": "Too long (at most %(max)d characters)",
    "Cấp không hợp lệ \"%(value)s\"; phải là một trong: %(allowed)s":
        "Invalid level \"%(value)s\"; must be one of: %(allowed)s",
    "Loại điểm phục vụ không hợp lệ \"%(value)s\"; phải là một trong: %(allowed)s":
        "Invalid service point type \"%(value)s\"; must be one of: %(allowed)s",
    "Mã \"%(code)s\" bị trùng với dòng %(line)d": "Code \"%(code)s\" duplicates line %(line)d",
    "Mã \"%(code)s\" xuất hiện nhiều lần trong tệp": "Code \"%(code)s\" appears more than once in the file",
    "Không tìm thấy cơ quan cha \"%(code)s\" (không có trong tệp lẫn trong danh mục)":
        "Parent agency \"%(code)s\" not found (neither in the file nor in the registry)",
    "Không tìm thấy lĩnh vực \"%(code)s\" (không có trong tệp lẫn trong danh mục)":
        "Sector \"%(code)s\" not found (neither in the file nor in the registry)",
    "Không tìm thấy cơ quan \"%(code)s\" (không có trong tệp lẫn trong danh mục)":
        "Agency \"%(code)s\" not found (neither in the file nor in the registry)",
    "Cơ quan cha \"%(code)s\" bị từ chối ở dòng %(line)d": "Parent agency \"%(code)s\" was rejected on line %(line)d",
    "Lĩnh vực \"%(code)s\" bị từ chối ở dòng %(line)d": "Sector \"%(code)s\" was rejected on line %(line)d",
    "Cơ quan \"%(code)s\" bị từ chối ở dòng %(line)d": "Agency \"%(code)s\" was rejected on line %(line)d",
    "Vòng lặp cơ quan cha: %(path)s": "Parent agencies form a loop: %(path)s",
    "Phạm vi không hợp lệ \"%(value)s\"; phải là một trong: %(allowed)s":
        "Invalid scope \"%(value)s\"; must be one of: %(allowed)s",
    "Năm không hợp lệ: %(year)d": "Invalid year: %(year)d",
    "Chỉ tiêu là tỷ lệ phần trăm, phải lớn hơn 0 và không quá 100":
        "A target is a percentage: greater than 0 and at most 100",
    "Phạm vi \"%(scope)s\" không gắn với lĩnh vực; bỏ --sector":
        "Scope \"%(scope)s\" has no sector; leave out --sector",
    "Phạm vi \"%(scope)s\" cần mã lĩnh vực (--sector)": "Scope \"%(scope)s\" needs a sector code (--sector)",
    "Không tìm thấy lĩnh vực \"%(code)s\"": "Sector \"%(code)s\" not found",
}
