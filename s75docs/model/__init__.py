"""Model: the agreement as typed data, money as Decimal, and the sums worked out from it."""
