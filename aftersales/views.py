from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales import services
from aftersales.errors import ApplicationError
from aftersales.forms import PreferencesForm
from aftersales.models import User
from aftersales.roles import MANAGER_ROLES, Role
from tickets.workbench import bench


@login_required
def home(request):
    # The managers land on their dashboard's headline figures (the dashboards app, by its URL name).
    if request.user.has_role(*MANAGER_ROLES) and not request.user.is_superuser:
        return redirect("dashboards:home")
    roles = [Role(code).label for code in request.user.roles]
    now = timezone.now()
    context = {"role_labels": roles, "now": now, "bench": bench(user=request.user, now=now)}
    context["poll_seconds"] = settings.HOME_POLL_SECONDS
    return render(request, "aftersales/home.html", context)


@login_required
def account(request):
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            services.user_update_preferences(user=request.user, actor=request.user, **form.cleaned_data)
            translation.activate(request.user.language)
            messages.success(request, _("Your preferences were saved."))
            return redirect("account")
    else:
        form = PreferencesForm(initial={"language": request.user.language, "time_zone": request.user.time_zone})
    events = request.user.events.select_related("actor").order_by("-at", "-id")[:20]
    return render(request, "aftersales/account.html", {"form": form, "events": events})


@require_POST
def set_language(request):
    """The header's language switch: stored on the user when signed in, in a cookie otherwise."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or request.headers.get("referer") or reverse("home")
    safe = url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if not safe:
        next_url = reverse("home")
    response = HttpResponseRedirect(next_url)
    if language not in User.Language.values:
        messages.error(request, _("Unknown language."))
        return response
    if request.user.is_authenticated:
        try:
            services.user_update_preferences(user=request.user, actor=request.user, language=language)
        except ApplicationError as error:
            messages.error(request, error.message)
            return response
    response.set_cookie(
        "django_language",
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=request.is_secure(),
        httponly=True,
    )
    return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("account")

    def form_valid(self, form):
        services.user_change_password(
            user=self.request.user, new_password=form.cleaned_data["new_password1"], request=self.request
        )
        messages.success(self.request, _("Your password was changed."))
        return HttpResponseRedirect(self.get_success_url())
