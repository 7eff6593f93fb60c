"""ctdata.report: the annual report (charts, HTML, PDF, tables).

Other layers add sections with ``register_section(name, render_fn)``.
"""

from ctdata.report.model import register_section

__all__ = ["register_section"]
