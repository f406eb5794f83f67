"""A bare Flask app: the baseline the lesson page's throughput is compared with."""

from flask import Flask

app = Flask(__name__)
BODY = "<!doctype html><title>bare</title>" + "<p>baseline</p>" * 600


@app.get("/")
def index():
    return BODY
