"""No English in the Chinese UI (issue 13 item 4): every model and app has a Chinese name, every admin
index, changelist and add page and every public page reachable without arguments renders in zh-hans
without untranslated model names, app labels or field labels, and a label takes the full-width colon
"：" with no space before it (the Chinese convention), not Django's ":"."""

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3400-\u9fff\U00020000-\U0002ffff]")
# the UI's own English that must never be left on a Chinese page (admin chrome, our field labels)
ENGLISH_WORDS = re.compile(
    r"\b(Sms messages|Properties|Access attempts|Access logs|Access failures|Tokens|Periodic tasks|"
    r"Select \w+ to change|Add \w+|Save and add another|Save and continue editing|Core|Sandbox|"
    r"Site administration|Recent actions|Filter|Search|green|amber|red)\b"
)
SKIP_URL_PREFIXES = ("/api/", "/admin/", "/i18n/", "/sandbox/exchange/", "/sandbox/idp/")


def _zh(value) -> str:
    with translation.override("zh-hans"):
        return str(value)


def test_every_model_and_app_has_a_chinese_name():
    missing = []
    for config in apps.get_app_configs():
        if not list(config.get_models()):
            continue  # an app without models (DRF, drf-spectacular) is named nowhere in the UI
        if not CJK.search(_zh(config.verbose_name)):
            missing.append(f"app {config.label}: {_zh(config.verbose_name)!r}")
    for model in apps.get_models():
        opts = model._meta
        for what in ("verbose_name", "verbose_name_plural"):
            if not CJK.search(_zh(getattr(opts, what))):
                missing.append(f"{opts.label}.{what}: {_zh(getattr(opts, what))!r}")
    assert not missing, "\n".join(missing)


def _visible(html: str) -> str:
    html = re.sub(r"<(script|style|template|svg)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<!--.*?-->", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def _check_page(url: str, html: str, problems: list[str]) -> None:
    text = _visible(html)
    for word in sorted(set(ENGLISH_WORDS.findall(text))):
        problems.append(f"{url}: English {word!r}")
    for label in re.findall(r"<label\b[^>]*>(.*?)</label>", html, flags=re.S):
        inner = re.sub(r"<[^>]+>", "", label).strip()
        if inner.endswith(":") or inner.endswith(" ："):
            problems.append(f"{url}: label {inner!r} does not end in a full-width colon without a space")


@pytest.fixture
def zh_client(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


def test_the_admin_in_chinese_has_no_english_names_or_labels(zh_client):
    zh_client.force_login(UserFactory(is_staff=True, is_superuser=True, username="root"))
    problems: list[str] = []
    index = zh_client.get("/admin/")
    assert index.status_code == 200
    _check_page("/admin/", index.content.decode(), problems)
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        urls = [reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")]
        urls.append(reverse("admin:app_list", args=[opts.app_label]))
        if model_admin.has_add_permission(index.wsgi_request):
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        for url in urls:
            response = zh_client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            html = response.content.decode()
            _check_page(url, html, problems)
            if url.endswith("/add/") and "<label" in html:
                assert "：</label>" in html, f"{url}: no label with the full-width colon"
    assert not problems, "\n".join(sorted(set(problems)))


def _urls_without_arguments(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or ""
            yield from _urls_without_arguments(
                pattern, prefix + str(pattern.pattern), f"{namespace}{ns}:" if ns else namespace
            )
        elif isinstance(pattern, URLPattern) and pattern.name and not pattern.pattern.regex.groups:
            try:
                yield reverse(f"{namespace}{pattern.name}")
            except Exception:  # noqa: BLE001,S112 — a pattern with a converter or one that needs arguments
                continue


def test_every_public_page_in_chinese_has_no_english_labels(zh_client):
    problems: list[str] = []
    seen = set()
    for url in _urls_without_arguments():
        if url in seen or url.startswith(SKIP_URL_PREFIXES):
            continue
        seen.add(url)
        response = zh_client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        _check_page(url, response.content.decode(), problems)
    assert len(seen) > 10, seen
    assert not problems, "\n".join(sorted(set(problems)))
