"""The package's version, as the service sees it in User-Agent."""
VERSION = "0.1.0"
USER_AGENT = f"seller-state-python/{VERSION}"
