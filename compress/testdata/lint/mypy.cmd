mypy shop
