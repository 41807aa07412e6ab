"""The JSON API, a thin layer over the same operations the pages use (`views`), and its
OpenAPI document (`openapi`)."""
