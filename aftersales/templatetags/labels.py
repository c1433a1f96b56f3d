from django import template

from aftersales import labels

register = template.Library()


@register.filter(name="label")
def label(code, kind):
    """``{{ event.kind|label:"event" }}``: the label of a stored code in the viewer's language."""
    return labels.label(kind, code)


@register.filter(name="bilingual")
def bilingual(text):
    """``{{ row.name|bilingual }}``: the viewer's half of a name kept in both languages."""
    return labels.bilingual(str(text or ""))
