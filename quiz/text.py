"""The Markdown subset of prompts and explanations, rendered with raw HTML off."""

from functools import lru_cache

from markdown_it import MarkdownIt
from markupsafe import Markup

# Emphasis, code, lists, line breaks, code blocks and tables: no links, images, headings
# or raw HTML. A single line break is a break (imported stems keep their lines).
_md = MarkdownIt("zero", {"html": False, "breaks": True}).enable(
    ["emphasis", "backticks", "list", "escape", "newline", "entity", "fence", "table"]
)


@lru_cache(maxsize=4096)
def markdown(text: str) -> Markup:
    """Block Markdown (paragraphs and lists) as safe HTML."""
    return Markup(_md.render(text))


@lru_cache(maxsize=4096)
def markdown_inline(text: str) -> Markup:
    """One line of Markdown (an option's text) as safe HTML."""
    return Markup(_md.renderInline(text))
