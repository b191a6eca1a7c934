"""The automation API: runs, remediation and its callback, executors, policies, Ansible."""

from imas.automation.routes.ansible import router as ansible_router
from imas.automation.routes.config import router as config_router
from imas.automation.routes.remediation import callback_router, remediate_router
from imas.automation.routes.runs import router as runs_router

routers = [remediate_router, callback_router, runs_router, config_router, ansible_router]

__all__ = ["routers"]
