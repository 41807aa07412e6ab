"""What a reader sees of a page: its words, tags dropped and whitespace folded."""

import html
import re


def text(response) -> str:
    """The page's words as a reader sees them (tags dropped)."""
    words = re.sub(r"<[^>]+>", "", response.get_data(as_text=True))
    return html.unescape(" ".join(words.split()))
