"""The market app: stalls, products, categories and market pages."""
