"""Registry CSV snippets shared by the tests."""
from __future__ import annotations

import textwrap

HEADER = "kind,code,name_vi,name_en,level,parent_code,sector_code,agency_code,point_type,agencies_served,address\n"

# A small but complete registry: 2 sectors, 4 agencies, 2 procedures, 2 service points (lines 2..11).
GOOD = HEADER + textwrap.dedent("""\
    sector,land,Đất đai,Land,,,,,,,
    sector,construction,Xây dựng,Construction,,,,,,,
    agency,T,Ủy ban nhân dân tỉnh Thử,Test Provincial People's Committee,province,,,,,,
    agency,T-STNMT,Sở Tài nguyên và Môi trường,Department of Natural Resources and Environment,department,T,,,,,
    agency,T-H1,Ủy ban nhân dân huyện Một,District One People's Committee,district,T,,,,,
    agency,T-H1-X1,Ủy ban nhân dân xã Một,,commune,T-H1,,,,,
    procedure,1.900001,Đăng ký biến động quyền sử dụng đất,Land use right change,,,land,,,,
    procedure,1.900002,Cấp giấy phép xây dựng nhà ở riêng lẻ,,,,construction,,,,
    service_point,C-H1,Trung tâm HCC huyện Một,,,,,T-H1,district_centre,T-H1;T-STNMT,"thị trấn Một, huyện Một"
    service_point,MC-X1,Bộ phận Tiếp nhận và Trả kết quả xã Một,,,,,T-H1-X1,commune_desk,,
    """)
