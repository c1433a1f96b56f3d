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


def test_admin_javascript_catalogue_is_chinese(client, django_user_model):
    """The many-to-many filter widget's strings come from the admin's jsi18n view (domain djangojs); Django's
    own zh_Hans catalogue lacks some, the product's locale/zh_Hans/LC_MESSAGES/djangojs.po adds them."""
    import json

    user = django_user_model.objects.create_superuser("jsadmin", password="x", language="zh-hans")
    client.force_login(user)
    body = client.get("/admin/jsi18n/").content.decode()
    catalog = json.loads(re.search(r"const newcatalog = (\{.*?\});", body, re.S).group(1))
    for msgid in ("Choose all %s", "Remove selected %s", "Choose selected %s", "Remove all %s"):
        assert msgid in catalog, msgid
    assert catalog["Choose all %s"] == "选择全部%s"
    assert "选中要添加的" in catalog['Choose %s by selecting them and then select the "Choose" arrow button.']
