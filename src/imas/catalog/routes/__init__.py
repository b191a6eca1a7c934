"""The catalog's routers, included by the app factory."""

from fastapi import APIRouter

routers: list[APIRouter] = []
