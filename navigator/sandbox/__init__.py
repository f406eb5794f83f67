"""The sandbox: a glass-box language model small enough to open and read."""
