"""The shell's network clients: the SSRF-safe page fetcher and the optional LLM summarizer.

They live beside the services, not in the domain (`bot/articles/`), because they open connections; the domain
only receives what they fetched.
"""
