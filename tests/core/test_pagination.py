"""The one pagination bar every list page includes (templates/includes/pagination.html)."""

from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.utils import translation


def _bar(page_number: int, **context) -> str:
    page = Paginator(range(30), 10).get_page(page_number)
    with translation.override("en"):
        return render_to_string("includes/pagination.html", {"page": page, **context})


def test_links_keep_the_other_query_parameters():
    html = _bar(2, query="show=open&q=%E7%8E%8B")
    assert 'href="?show=open&amp;q=%E7%8E%8B&amp;page=1"' in html
    assert 'href="?show=open&amp;q=%E7%8E%8B&amp;page=3"' in html
    assert "Page 2 of 3" in html


def test_without_other_parameters_and_at_the_ends():
    first = _bar(1)
    assert 'href="?page=2"' in first and "Previous" not in first
    assert "Next" not in _bar(3)
    assert _bar(1, query="").count("<nav") == 1
    one_page = Paginator(range(3), 10).get_page(1)
    assert "<nav" not in render_to_string("includes/pagination.html", {"page": one_page})
