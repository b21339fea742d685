"""The application style sheet: light, calm, readable at the counter."""

from __future__ import annotations

from pathlib import Path

_ARROW = (Path(__file__).with_name("arrow-down.svg")).as_posix()

STYLE = """
QMainWindow, QDialog { background:#f5f6f8; }
QWidget { font-size:13px; color:#1d2330; }
QFrame#card { background:#ffffff; border:1px solid #e1e4ea; border-radius:8px; }
QLineEdit, QComboBox, QPlainTextEdit {
    background:#ffffff; border:1px solid #c9ced8; border-radius:5px; padding:5px 7px;
}
QLineEdit:focus, QComboBox:focus, QPlainTextEdit:focus { border:1px solid #2f6fde; }
QLineEdit[error="true"], QComboBox[error="true"], QPlainTextEdit[error="true"] {
    border:1px solid #b3261e; background:#fff7f6;
}
QLineEdit#searchBox { font-size:16px; padding:8px 10px; border-radius:6px; }
QPushButton {
    background:#ffffff; border:1px solid #c3c9d4; border-radius:5px; padding:6px 14px;
}
QPushButton:hover { background:#eef2f8; }
QPushButton:disabled { color:#9aa1ad; background:#f1f2f4; }
QPushButton[primary="true"] {
    background:#2f6fde; color:#ffffff; border:1px solid #2a63c7; font-weight:600;
}
QPushButton[primary="true"]:hover { background:#2a63c7; }
QPushButton[primary="true"]:disabled { background:#a9c1ea; border:1px solid #a9c1ea; }
QPushButton[danger="true"] { color:#a3281c; border:1px solid #e2a59e; }
QTableView, QListWidget, QTreeWidget {
    background:#ffffff; border:1px solid #e1e4ea; border-radius:6px;
    selection-background-color:#dbe7fb; selection-color:#1d2330;
    alternate-background-color:#fafbfc;
}
QHeaderView::section {
    background:#f0f2f5; border:none; border-bottom:1px solid #e1e4ea; padding:6px 8px;
    font-weight:600; color:#4a5162;
}
QToolButton#sectionToggle {
    border:none; font-weight:600; color:#2b3242; padding:6px 2px; text-align:left;
}
QTabWidget::pane { border:1px solid #e1e4ea; border-radius:6px; background:#ffffff; top:-1px; }
QTabBar::tab {
    padding:7px 16px; border:1px solid transparent; border-bottom:none; color:#4a5162;
}
QTabBar::tab:selected {
    background:#ffffff; border:1px solid #e1e4ea; border-bottom:none; color:#1d2330;
    font-weight:600;
}
QComboBox::drop-down {
    subcontrol-origin:padding; subcontrol-position:center right; width:22px; border:none;
}
QComboBox::down-arrow { image:url(@ARROW@); width:10px; height:6px; }
QComboBox QAbstractItemView { background:#ffffff; selection-background-color:#dbe7fb; }
QScrollBar:vertical { background:transparent; width:11px; margin:2px; }
QScrollBar:horizontal { background:transparent; height:11px; margin:2px; }
QScrollBar::handle:vertical { background:#c5cad3; border-radius:3px; min-height:30px; }
QScrollBar::handle:horizontal { background:#c5cad3; border-radius:3px; min-width:30px; }
QScrollBar::handle:hover { background:#aab1bd; }
QScrollBar::add-line, QScrollBar::sub-line { width:0; height:0; }
QScrollBar::add-page, QScrollBar::sub-page { background:none; }
QTreeWidget::item { padding:4px 2px; }
QStatusBar { background:#eceef2; color:#3b4252; }
QScrollArea { border:none; background:transparent; }
QScrollArea > QWidget > QWidget { background:transparent; }
""".replace("@ARROW@", _ARROW)
