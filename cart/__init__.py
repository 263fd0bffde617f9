"""The cart app: carts, checkout, orders and SumUp payments."""
