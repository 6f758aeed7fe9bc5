"""The yardstick: a bare Flask app answering a constant JSON object."""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/hello")
def hello():
    return jsonify(hello="world")
