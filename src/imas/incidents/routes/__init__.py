"""The incident domain's routers, included by the app factory."""

from fastapi import APIRouter

from imas.incidents.routes import actions, discussion, incidents, sla

routers: list[APIRouter] = [incidents.router, actions.router, discussion.router, sla.router]
