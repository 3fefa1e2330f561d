"""Helpers the test modules import: what each suite builds or drives, one module per kind.

``conftest.py`` files hold only fixtures and hooks; they import from here too.
"""
