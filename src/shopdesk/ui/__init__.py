"""The Qt (PySide6) user interface of shopdesk; the only package that imports Qt.

Screens gather input, call the `Shop` facade through `common.taskman.TaskManager`
(writes on one worker thread, reads on a small pool) and show the results.

One subpackage per area of the app: `customers`, `search`, `repairs`, `support`,
`sync`, `printing`, `staff`, and `common` for what they all share. `app` starts the
application and `main_window` puts the areas together. The areas never import
each other in a cycle (import-linter's "UI areas" contract).
"""
