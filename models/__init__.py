"""The jikoflow domain: tables, Article 24 rules, subcontract chains and clocks.

Nothing here imports Prefect, slack_sdk or APScheduler.
"""
