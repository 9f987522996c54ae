"""The oversight report as one self-contained HTML page (`render`), charts as inline SVG."""

from .page import render

__all__ = ["render"]
