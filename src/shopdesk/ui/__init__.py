"""The Qt (PySide6) user interface of shopdesk; the only package that imports Qt.

Screens gather input, call the `Shop` facade through `taskman.TaskManager`
(writes on one worker thread, reads on a small pool) and show the results.
"""
