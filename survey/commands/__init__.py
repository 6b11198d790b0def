"""CLI command groups shared by several features (each feature attaches its own commands)."""
from flask.cli import AppGroup

import_cli = AppGroup("import", help="Nhập dữ liệu từ tệp CSV (registry, dossiers).")
seed_cli = AppGroup("seed", help="Tạo dữ liệu mẫu (tỉnh demo).")
