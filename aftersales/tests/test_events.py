import pytest
from django.db import connection, transaction
from django.db.utils import IntegrityError
from django.utils import timezone

from aftersales.errors import AppendOnlyError
from aftersales.models import UserEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(desk_user):
    return UserEvent.objects.create(
        user=desk_user, actor=desk_user, kind=UserEvent.Kind.PASSWORD_CHANGED, at=timezone.now()
    )


def test_event_save_of_existing_row_is_refused(event):
    event.kind = UserEvent.Kind.TOKEN_ISSUED
    with pytest.raises(AppendOnlyError):
        event.save()


def test_event_queryset_update_and_delete_are_refused(event):
    with pytest.raises(AppendOnlyError):
        UserEvent.objects.filter(pk=event.pk).update(kind="x")
    with pytest.raises(AppendOnlyError):
        UserEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_event_table_refuses_raw_update_and_delete(event):
    for statement in ("UPDATE aftersales_userevent SET kind = 'x'", "DELETE FROM aftersales_userevent"):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert UserEvent.objects.get(pk=event.pk).kind == UserEvent.Kind.PASSWORD_CHANGED
