"""Long lists a page at a time: the page size, one page of a query, and the page asked for."""

from sqlalchemy import func
from sqlmodel import Session, select

PER_PAGE = 50


def page_of(s: Session, query, page: int, per_page: int = PER_PAGE) -> tuple[list, int]:
    """The rows of one page of an ordered query (pages count from 1), and its rows in all."""
    total = s.exec(select(func.count()).select_from(query.order_by(None).subquery())).one()
    rows = s.exec(query.offset((max(page, 1) - 1) * per_page).limit(per_page)).all()
    return list(rows), total


def requested_page(args) -> int:
    """The page a list's address asks for (`?page=`): 1 when missing or not a positive number."""
    return max(args.get("page", 1, type=int), 1)
