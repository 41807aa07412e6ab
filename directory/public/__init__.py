"""The pages anyone can read: home, the guide and privacy (`views`), the landing pages
(`landing`), sitemaps and robots.txt (`seo`, `sitemaps`) and schema.org data (`structured`)."""
