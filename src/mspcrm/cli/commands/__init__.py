"""Command modules: each defines ``register(cli)``; main.py loads them all."""
