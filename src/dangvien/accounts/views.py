"""Where a user lands, and the login pages (logout is Django's own view)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from dangvien.accounts.permissions import is_officer
from dangvien.accounts.services import user_password_set


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Officers land on their units; a member with no other role on their handbook (an officer who
    is a member reaches it from the header)."""
    user: Any = request.user  # logged in (login_required)
    if user.member_id and not is_officer(user):
        return redirect("handbook:home")
    return redirect("units:tree")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form: Any) -> HttpResponse:
        # Saved through the service (checked, audited), not by the form itself.
        user = user_password_set(actor=self.request.user, user=self.request.user,  # type: ignore[arg-type]
                                 password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, user)  # this session stays logged in
        messages.success(self.request, _("Your password was changed."))
        return super(auth_views.PasswordChangeView, self).form_valid(form)  # redirect, without form.save()


class PasswordResetView(auth_views.PasswordResetView):
    """A reset link by email (Django's: the page says the same whether the address is known or
    not). Members without email get a code from their cell secretary instead."""

    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        # Saved through the service (audited), not by the form; the link's token is spent.
        user_password_set(actor=form.user, user=form.user, password=form.cleaned_data["new_password1"])
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return redirect(self.success_url)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["expired"] = self.request.GET.get("expired") == "1"
        return context


def locked_out(request: HttpRequest, credentials: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    """What a locked-out login gets (django-axes calls it): 429, and for how long."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "accounts/locked.html", {"failure_limit": settings.AXES_FAILURE_LIMIT,
                                                    "minutes": minutes}, status=429)
