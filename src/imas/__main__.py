from imas.cli import app

app()
