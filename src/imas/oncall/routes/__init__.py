"""The on-call routers, included by the app factory."""

from fastapi import APIRouter

from imas.oncall.routes import contacts, policies, schedules

routers: list[APIRouter] = [schedules.router, policies.router, contacts.router]
