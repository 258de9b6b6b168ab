"""Entry point: `flask --app app run`, `flask --app app demo`, …"""
from hub import create_app

app = create_app()
