"""Domestic abuse performance measures: the registry, their computation and the statistics behind them."""
