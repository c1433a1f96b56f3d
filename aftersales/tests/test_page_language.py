"""Every page, as every demo role, in both languages, on the demo data: no raw code, no text in the other language.

The pages are enumerated from the URLconf (as the scope matrix does); their parameters are filled with demo
rows. A page's visible text (text nodes, plus the attributes people read: title, placeholder, aria-label,
button values) is checked for:

- raw codes: a snake_case token of a code list the product stores (statuses, actions, event kinds, roles,
  metrics, work-log, attachment and charge kinds) or a single-word code shown in parentheses;
- in English: Chinese text that is not a data value (names, addresses, descriptions people typed);
- in Chinese: an English sentence of the interface (a msgid of the catalogue whose translation differs).

Data values are allowed by comparing against the text the database holds, except for the fields the product
itself labels (severity and metric names, notification texts), which must be rendered in the viewer's language.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.urls import reverse

from aftersales.embedded import BASE_DIR
from aftersales.labels import CODE_LISTS
from aftersales.models import User
from aftersales.tests.test_scope_matrix import PAGE_NOUNS, PAGE_SLUGS, page_routes

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]+")
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
SKIP_TAGS = {"script", "style", "noscript", "textarea", "code", "pre"}
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
# Rows the product renders in the viewer's language itself: their stored text is no allowance.
LABELLED_FIELDS = {
    ("tickets", "severity", "name"),
    ("tickets", "severity", "definition"),
    ("tickets", "slametric", "name"),
    ("tickets", "notification", "title"),
    ("tickets", "notification", "body"),
}
# Pages that are not HTML meant for reading (downloads, images, printable exports).
NOT_PAGES = {"tickets:signature", "claims:attachment", "dashboards:export", "claims:statement-export"}
# Words the interface shows in both languages on purpose (the product's name, units, language names).
BOTH_LANGUAGES = {"中文", "简体中文", "English", "aftersales", "三包", "VIN", "SLA", "CSV", "XLSX", "ID", "km", "h"}


class Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_TAGS:
            self.skip += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.parts.append(" ".join(data.split()))


def visible_text(html: str) -> list[str]:
    parser = Text()
    parser.feed(html)
    return parser.parts


def data_text() -> str:
    """Every string the database holds, apart from the fields the product labels itself."""
    chunks = []
    for model in apps.get_models():
        fields = [
            field.name
            for field in model._meta.concrete_fields
            if isinstance(field, (models.CharField, models.TextField))
            and (model._meta.app_label, model._meta.model_name, field.name) not in LABELLED_FIELDS
        ]
        if not fields or model._meta.app_label in {"sessions", "admin", "contenttypes", "axes"}:
            continue
        for row in model._default_manager.values_list(*fields):
            chunks.extend(str(value) for value in row if value)
        for field in model._meta.concrete_fields:
            if isinstance(field, models.JSONField):
                for value in model._default_manager.values_list(field.name, flat=True):
                    chunks.append(str(value))
    chunks.extend(user.get_full_name() for user in User.objects.all())
    return "\n".join(chunks)


def catalogue() -> dict[str, str]:
    text = (BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = re.findall(r'\nmsgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', text)

    def joined(quoted):
        return "".join(re.findall(r'"(.*)"', quoted)).replace('\\"', '"')

    return {joined(msgid): joined(msgstr) for msgid, msgstr in entries if joined(msgid)}


def raw_codes() -> set[str]:
    return {code for codes in CODE_LISTS.values() for code in codes}


def problems_in(parts: list[str], language: str, *, data: str, english: set[str], codes: set[str]) -> list[str]:
    found = []
    single_words = {code for code in codes if "_" not in code}
    for part in parts:
        stripped = part
        for token in SNAKE.findall(stripped):
            if token in codes:
                found.append(f"raw code {token!r} in {part!r}")
        # One-word codes read like English words: only a Chinese page can tell them apart.
        for word in re.findall(r"\(([a-z]+)\)|\b([a-z]+) →|→ ([a-z]+)\b", stripped):
            word = "".join(word)
            if word in single_words and language != "en":
                found.append(f"raw code {word!r} in {part!r}")
        if language != "en" and stripped in single_words:
            found.append(f"raw code {stripped!r}")
        if language == "en":
            for run in CJK.findall(stripped):
                if run in BOTH_LANGUAGES or all(not ("\u3400" <= ch <= "\u9fff") for ch in run):
                    continue
                if run not in data:
                    found.append(f"Chinese {run!r} in {part!r}")
        elif stripped in english and stripped not in data and stripped not in BOTH_LANGUAGES:
            found.append(f"English {stripped!r}")
    return found


@pytest.fixture
def demo(settings):
    settings.DEBUG = True  # seed_demo refuses otherwise
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.DEBUG = False


def demo_row(name: str, route: str, kwarg: str):
    """A demo row for a page's parameter: the noun before it in the path names the model (scope matrix)."""
    before = re.split(rf"<(?:\w+:)?{kwarg}>", route)[0]
    noun = [part for part in re.sub(r"<[^>]+>", "", before).split("/") if part][-1]
    if kwarg.endswith("_pk"):
        noun = kwarg[: -len("_pk")] + "s"
    model = PAGE_NOUNS.get(noun)
    assert model is not None, f"page {name} ({route}): no model for <{kwarg}>"
    row = model._default_manager.order_by("-pk").first()
    if row is None:
        return None
    return row.serial if kwarg == "serial" else row.pk


def fill(name: str, route: str, kwargs: list[str]) -> str | None:
    values = {}
    for kwarg in kwargs:
        if kwarg in PAGE_SLUGS:
            values[kwarg] = PAGE_SLUGS[kwarg]
            continue
        value = demo_row(name, route, kwarg)
        if value is None:
            return None
        values[kwarg] = value
    return reverse(name, kwargs=values)


def test_every_page_in_both_languages_shows_labels_not_codes(demo, client):
    messages = catalogue()
    # Chinese terms the English interface keeps on purpose (三包凭证, 《三包维修记录》) are in its own msgids.
    data = data_text() + "\n".join(messages)
    english = {msgid for msgid, msgstr in messages.items() if msgstr and msgstr != msgid and " " in msgid}
    codes = raw_codes()
    problems = []
    visited = 0
    routes = [route for route in page_routes() if route[0] not in NOT_PAGES]
    for user in User.objects.filter(username__in=[u for u in DEMO_USERNAMES]).order_by("username"):
        for language in ("zh-hans", "en"):
            User.objects.filter(pk=user.pk).update(language=language)
            user.refresh_from_db()
            client.force_login(user)
            for name, route, kwargs in routes:
                url = fill(name, route, kwargs)
                if url is None:
                    continue
                response = client.get(url)
                if response.status_code in (301, 302, 405) or "text/html" not in response.get("Content-Type", ""):
                    continue
                visited += 1
                html = response.content.decode()
                for problem in problems_in(visible_text(html), language, data=data, english=english, codes=codes):
                    problems.append(f"{user.username} {language} {url} [{response.status_code}]: {problem}")
    assert visited > 100
    report = sorted(set(problems))
    assert not report, f"{len(report)} problems:\n" + "\n".join(report)


DEMO_USERNAMES = ["desk", "engineer", "svcmgr", "deptmgr", "gm", "reviewer", "finance", "dealer", "admin"]


def test_the_checker_finds_raw_codes_and_the_other_language():
    codes = {"worklog_call", "service_manager", "invoice"}
    english = {"Customer contacted"}
    assert problems_in(["worklog_call 王"], "zh-hans", data="", english=english, codes=codes)
    assert problems_in(["everyone in a role service_manager"], "en", data="", english=english, codes=codes)
    assert problems_in(["发票 (invoice)"], "zh-hans", data="", english=english, codes=codes)
    assert problems_in(["已联系客户"], "en", data="", english=english, codes=codes)
    assert problems_in(["Customer contacted"], "zh-hans", data="", english=english, codes=codes)
    assert not problems_in(["王芳 13800000000"], "en", data="王芳", english=english, codes=codes)
    assert not problems_in(["已联系客户"], "zh-hans", data="", english=english, codes=codes)
    codes |= {"new", "assigned", "assign"}
    assert problems_in(["assign", "new → assigned"], "zh-hans", data="", english=english, codes=codes)
    assert not problems_in(["Assign", "new → assigned"][:1], "en", data="", english=english, codes=codes)
