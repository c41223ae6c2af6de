"""The spiders: `media` (feeds, sitemaps, listings -> articles) and `reports` (PDF/HTML reports)."""
