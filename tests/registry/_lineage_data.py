"""A small province before and after a reorganisation, as registry and lineage CSV text, for the lineage tests.

N1..N3 are new units of 1 July 2025 (their start in the registry); M1..M3 and S2 have no start: units
that existed before (M1 absorbs others later; S2 is a new name, which the rename dates).
"""
from __future__ import annotations

import textwrap

REGISTRY = textwrap.dedent("""\
    kind,code,name_vi,level,parent_code,official_code,valid_from,valid_to
    agency,P,Ủy ban nhân dân tỉnh Thử,province,,42,,
    agency,H1,Ủy ban nhân dân huyện Một,district,P,,,
    agency,X1,Ủy ban nhân dân xã Một,commune,H1,,,
    agency,X2,Ủy ban nhân dân xã Hai,commune,H1,,,
    agency,X3,Ủy ban nhân dân xã Ba,commune,H1,,,
    agency,N1,Ủy ban nhân dân xã Mới Một,commune,P,18001,2025-07-01,
    agency,N2,Ủy ban nhân dân xã Mới Hai,commune,P,18002,2025-07-01,
    agency,N3,Ủy ban nhân dân phường Ba,ward,P,18003,2025-07-01,
    agency,S1,Sở Cũ,department,P,,,
    agency,S2,Sở Mới,department,P,,,
    agency,M1,Ủy ban nhân dân xã Sau Cùng,commune,P,,,
    agency,M2,Ủy ban nhân dân xã Bốn,commune,P,,,
    agency,M3,Ủy ban nhân dân xã Năm,commune,P,,,
    """)

HEADER = "kind,predecessor_code,successor_code,effective_on,share,note\n"
MERGE = HEADER + textwrap.dedent("""\
    merge,X1,N1,2025-07-01,,NQ 1665/NQ-UBTVQH15
    merge,X2,N1,2025-07-01,,
    """)
SPLIT = HEADER + textwrap.dedent("""\
    split,X3,N2,2025-07-01,0.6,
    split,X3,N3,2025-07-01,0.4,
    """)
SPLIT_NO_SHARES = HEADER + textwrap.dedent("""\
    split,X3,N2,2025-07-01,,
    split,X3,N3,2025-07-01,,
    """)
RENAME = HEADER + "rename,S1,S2,2025-03-01,,Đổi tên theo quyết định\n"
