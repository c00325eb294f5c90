"""``quantpro backtest`` (docs/design.md §13): did the signals work?"""
