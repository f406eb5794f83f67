"""Tests of the glass-box sandbox model."""
