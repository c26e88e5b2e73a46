"""Configs, runners and benchmarks that put streams and strategies together."""
