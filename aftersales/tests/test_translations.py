import re

from django.utils import translation

from aftersales.embedded import BASE_DIR

PO = BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_chinese_catalog_translates_every_message():
    text = PO.read_text(encoding="utf-8")
    assert "#, fuzzy\nmsgid" not in text, "fuzzy entries are not used by gettext"
    # msgid and msgstr may each run over continuation lines ("" then one quoted line per part)
    entries = re.findall(r'\nmsgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', text)
    assert entries

    def joined(quoted):
        return "".join(re.findall(r'"(.*)"', quoted))

    untranslated = [joined(msgid) for msgid, msgstr in entries if joined(msgid) and not joined(msgstr)]
    assert untranslated == []


def test_compiled_catalog_loads():
    with translation.override("zh-hans"):
        assert translation.gettext("Log in") == "登录"
    with translation.override("en"):
        assert translation.gettext("Log in") == "Log in"
