from django.urls import path

from claims import views

app_name = "claims"

urlpatterns = [
    path("", views.claim_list, name="list"),
    path("new/", views.claim_new, name="new"),
    path("review/", views.queue, name="queue"),
    path("returns/", views.returns, name="returns"),
    path("returns/<int:pk>/", views.return_detail, name="return"),
    path("statements/", views.statements, name="statements"),
    path("statements/<int:pk>/", views.statement_detail, name="statement"),
    path("statements/<int:pk>/csv/", views.statement_csv, name="statement-csv"),
    path("statements/<int:pk>/xlsx/", views.statement_xlsx, name="statement-xlsx"),
    path("accounts/<int:pk>/", views.account, name="account"),
    path("<int:pk>/", views.claim_detail, name="detail"),
    path("<int:pk>/edit/", views.claim_edit, name="edit"),
    path("<int:pk>/submit/", views.claim_submit, name="submit"),
    path("<int:pk>/withdraw/", views.claim_withdraw, name="withdraw"),
    path("<int:pk>/decide/", views.claim_decide, name="decide"),
    path("<int:pk>/return/", views.claim_return, name="return-info"),
    path("<int:pk>/appeal/", views.claim_appeal, name="appeal"),
    path("<int:pk>/attachments/", views.claim_attach, name="attach"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.claim_attachment, name="attachment"),
]
