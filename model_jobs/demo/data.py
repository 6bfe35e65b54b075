"""Deterministic demo data: the same rows on every machine, different per environment."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

COUNTRIES = ["de", "fr", "nl", "es", "it", "at", "ch", "se"]
PRODUCTS = {
    "Notebook": 4.50,
    "Fountain pen": 38.00,
    "Ink bottle": 9.90,
    "Desk lamp": 54.00,
    "Sticky notes": 2.20,
    "Backpack": 69.00,
    "Mug": 12.50,
}
STATUSES = ["DELIVERED", "DELIVERED", "DELIVERED", "SHIPPED", "CANCELLED"]
DOMAINS = ["example.com", "mail.example", "shop.example"]
START = datetime(2026, 1, 1, 8, 0, 0)

# A row of a demo table, columns as in seed.COLUMNS: each column has its own type (ids, names,
# timestamps, prices), which one tuple type for every table cannot spell out.
Row = tuple[Any, ...]


def generate(seed: int, customers: int, orders: int) -> dict[str, list[Row]]:
    """Rows for CUSTOMERS, ORDERS and ORDER_ITEMS (column order as in demo_tables)."""
    rng = random.Random(seed)
    customer_rows: list[Row] = []
    for customer_id in range(1, customers + 1):
        signed_up = START + timedelta(days=rng.randrange(0, 300), minutes=rng.randrange(0, 1440))
        name = f"Customer {customer_id:04d}"
        email = f"customer{customer_id}@{rng.choice(DOMAINS)}"
        customer_rows.append((customer_id, name, email, rng.choice(COUNTRIES), signed_up))
    order_rows: list[Row] = []
    item_rows: list[Row] = []
    for order_id in range(1, orders + 1):
        ordered_at = START + timedelta(days=rng.randrange(0, 320), minutes=rng.randrange(0, 1440))
        updated_at = ordered_at + timedelta(hours=rng.randrange(0, 72))
        order_rows.append((order_id, rng.randrange(1, customers + 1), ordered_at, rng.choice(STATUSES), updated_at))
        for line in range(1, rng.randrange(1, 5) + 1):
            product = rng.choice(list(PRODUCTS))
            item_rows.append((order_id, line, product, rng.randrange(1, 4), PRODUCTS[product]))
    return {"CUSTOMERS": customer_rows, "ORDERS": order_rows, "ORDER_ITEMS": item_rows}
