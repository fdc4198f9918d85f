"""The Job controller, split as pkg/controller/job is: controller.py (informers and syncJob's ladder), pods.py
(its pod writes), status.py (the arithmetic, pure)."""
from .controller import JobController

__all__ = ["JobController"]
