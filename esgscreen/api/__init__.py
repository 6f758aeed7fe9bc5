"""The HTTP API: flask-smorest blueprints over the service functions, one module per resource.

``problems`` answers every error as problem+json (one registered handler per error type),
``access`` checks keys and limits, ``schemas`` and ``openapi`` describe the contract, and
``yente`` speaks the OpenSanctions matching API.
"""
