"""Pages of a listing: the page sizes, the largest page number, one page of a query by
Flask-SQLAlchemy's db.paginate, and where each page of a long id-ordered list starts (keyset)."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from directory.db import db

#: Rows on a page when a listing names no size of its own.
PER_PAGE = 20
#: The most rows a page may hold, whatever a caller asks for (the search API allows fewer).
MAX_PER_PAGE = 100
#: The largest ?page= a listing takes; anything above, or not a number, is a 404.
MAX_PAGE = 100_000


@dataclass(frozen=True)
class Page:
    """One page of a listing: its rows, its number (from 1), how many pages (at least 1) and
    how many rows in all."""

    items: list[Any]
    number: int
    pages: int
    total: int


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` rows fill, `per_page` a page: at least 1 (page 1 always exists)."""
    return max(1, -(-total // per_page))


def counted(items: list[Any], number: int, total: int, per_page: int) -> Page:
    """Page `number` of a listing whose rows were found and counted elsewhere (the search
    engine's results), `per_page` a page."""
    return Page(list(items), number, page_count(total, per_page), total)


def page_of(query, number: int, per_page: int = PER_PAGE, *, total: int | None = None):
    """Page `number` of `query` (a select of rows, in its order), else None when the page is
    past the last: page 1 always exists, even empty. `total`, when the caller counted the rows
    already, spares a second count."""
    found = db.paginate(
        query,
        page=number,
        per_page=per_page,
        max_per_page=MAX_PER_PAGE,
        error_out=False,
        count=total is None,
    )
    total = found.total if total is None else total
    pages = page_count(total, found.per_page)
    if found.page != number or number > pages:
        return None
    return Page(list(found.items), number, pages, total)


def keyset_starts(ids: Select, size: int) -> list[int]:
    """The id after which each page of `size` rows of `ids` (a select of one id column, in
    id order) starts: 0, then the last id of each full page that has a row after it (one pass
    over the ids, in the database). Page n is then read by keyset (`id > starts[n - 1]`),
    never by an OFFSET that walks every row before it."""
    column = ids.selected_columns[0]
    numbered = (
        ids.order_by(None)
        .add_columns(
            func.row_number().over(order_by=column).label("n"),
            func.count().over().label("total"),
        )
        .subquery()
    )
    ends = db.session.execute(
        select(numbered.c[0])
        .where(numbered.c.n % size == 0, numbered.c.n < numbered.c.total)
        .order_by(numbered.c.n)
    )
    return [0, *ends.scalars()]
