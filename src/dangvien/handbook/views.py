"""The handbook's pages: the member's own (home, rights and duties), activation, display modes, and
the cell secretary's. Views parse input, call a selector or a service and show its errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dangvien.accounts.backends import BACKEND
from dangvien.core.errors import NotFound
from dangvien.core.forms import put_errors
from dangvien.core.offline import OFFLINE_COPY_HEADER, allow_offline_copy
from dangvien.handbook import selectors, services
from dangvien.handbook.display import COOKIE, COOKIE_MAX_AGE, SESSION_KEY, Display, display_of
from dangvien.handbook.forms import ActivationForm, EvaluationForm, FeeForm, VersionForm
from dangvien.handbook.templatetags.handbook_ui import vnd
from dangvien.members.models import Member
from dangvien.members.services import evaluation_record, fee_payment_record
from dangvien.notifications.selectors import UNREAD_IN_CONTEXT

# --- the member's own pages ------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The member's home: their record, history, evaluations, fees, card and notices."""
    page = selectors.handbook_home(request.user)
    member = page.member
    response = render(request, "handbook/home.html", {
        "page": page, "member": member, "profile": _profile(member),
        UNREAD_IN_CONTEXT: page.unread,  # the header's number, read with the notices
    })
    return allow_offline_copy(response, request.user.pk)


def _profile(member: Member) -> list[tuple[str, Any]]:
    """The profile as QĐ 339 lists it, then the training facts; what is not recorded is left out."""
    def day(value: Any) -> str:
        return value.strftime("%d/%m/%Y") if value else ""

    facts = [
        (_("Full name"), member.full_name),
        (_("Date of birth"), day(member.date_of_birth) or str(member.birth_year)),
        (_("Sex"), member.get_sex_display()),
        (_("Cell"), member.unit.name),
        (_("Status"), member.get_status_display()),
        (_("Admission decision date"), day(member.admission_date)),
        (_("Official date"), day(member.official_date)),
        (_("Party card number"), member.card_number or ""),
        (_("Citizen ID"), member.citizen_id or ""),
        (_("Phone"), member.phone),
        (_("Political theory level"), member.political_theory),
        (_("Professional qualification"), member.professional_qualification),
        (_("General education"), member.education),
    ]
    return [(label, value) for label, value in facts if value]


@login_required
def rights(request: HttpRequest) -> HttpResponse:
    text = selectors.rights_text_current()
    paragraphs = [p.strip() for p in text.body.split("\n\n") if p.strip()] if text else []
    response = render(request, "handbook/rights.html", {"text": text, "paragraphs": paragraphs})
    # Kept for the members, whose handbook links to it (officers read it online).
    return allow_offline_copy(response, request.user.pk) if getattr(request.user, "member_id", None) else response


# --- the installable app: its manifest and its service worker ---------------------------------------

# The worker controls the whole site ("/"): a member's pages live under /handbook/ and /library/, and
# it must also see the logout (under /accounts/) to forget the member's saved pages. Every other
# address passes through it untouched.
SERVICE_WORKER_SCOPE = "/"


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest: no personal data, so public (browsers fetch it without cookies)."""
    icons = [{"src": static("handbook/icons/icon.svg"), "sizes": "any", "type": "image/svg+xml"}]
    icons += [{"src": static(f"handbook/icons/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png",
               "purpose": "any maskable"} for size in (192, 512)]
    data = {
        "name": _("Party member handbook"), "short_name": _("Handbook"), "lang": translation.get_language(),
        "description": _("Your party member record, documents and notices, also without internet."),
        "start_url": reverse("handbook:home"), "scope": SERVICE_WORKER_SCOPE, "display": "standalone",
        "background_color": "#ffffff", "theme_color": "#a50e0e", "icons": icons,
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    patch_cache_control(response, public=True, max_age=24 * 3600)
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker's script (handbook/sw.js), allowed to control the whole site; never cached
    by the HTTP cache so that a new version reaches the phones at their next visit."""
    response = render(request, "handbook/sw.js", {
        "offline_header": OFFLINE_COPY_HEADER, "logout_path": reverse("accounts:logout"),
        # The meetings' check-in (a layer above: named by its URLs only).
        "checkin_page": reverse("meetings:checkin"), "checkin_link_prefix": reverse("meetings:checkin_link",
                                                                                   args=["x"])[:-2],
        "static_prefix": settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL,
    }, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = SERVICE_WORKER_SCOPE
    add_never_cache_headers(response)
    return response


# --- activation --------------------------------------------------------------------------------------


def activate(request: HttpRequest) -> HttpResponse:
    """A member opens their handbook account: identity or a secretary's code, then a password."""
    if request.user.is_authenticated:
        return redirect("home")
    form = ActivationForm(request.POST if request.method == "POST" else None,
                          initial={"code": request.GET.get("code", "")})
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.account_activate(
                citizen_id=data["citizen_id"], date_of_birth=data["date_of_birth"], card_number=data["card_number"],
                code=data["code"], password=data["password1"], address=get_client_ip_address(request) or "")
        except services.ActivationLocked as locked:
            return render(request, "handbook/activation_locked.html", {
                "minutes": locked.minutes, "limit": settings.DANGVIEN["ACTIVATION_FAILURE_LIMIT"]}, status=429)
        except ValidationError as error:
            _put_errors(form, error)
        else:
            login(request, user, backend=BACKEND)
            messages.success(request, _("Your handbook account is ready. Your login name is %(name)s: use it with "
                                        "your new password next time.") % {"name": user.username})
            return redirect("handbook:home")
    if form.errors:
        status = 400
    return render(request, "handbook/activate.html", {"form": form}, status=status)


def _put_errors(form: Any, error: ValidationError) -> None:
    stale = _("Someone else changed this record meanwhile, so nothing was saved. Reload the page and "
               "try again.")
    put_errors(form, error, stale=stale)


# --- display modes -----------------------------------------------------------------------------------


@require_POST
def display(request: HttpRequest) -> HttpResponse:
    """Turn large text or high contrast on or off; kept in a cookie, and for a logged-in user on the
    server too (every device they log in on)."""
    current = display_of(request)
    toggle = request.POST.get("toggle")
    chosen = Display(large_text=current.large_text != (toggle == "large"),
                     high_contrast=current.high_contrast != (toggle == "contrast"))
    if request.user.is_authenticated:
        services.display_preference_set(actor=request.user, display=chosen)
        request.session[SESSION_KEY] = chosen.stored()
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = "/"
    response = redirect(target)
    response.set_cookie(COOKIE, chosen.stored(), max_age=COOKIE_MAX_AGE, samesite="Lax",
                        secure=settings.SESSION_COOKIE_SECURE, httponly=True)
    return response


# --- the cell secretary's pages ----------------------------------------------------------------------


@login_required
def cell_index(request: HttpRequest) -> HttpResponse:
    """A secretary's own cell; an officer picks a cell from the unit tree."""
    cells = selectors.cells_for_handbook(request.user)
    if not cells:
        raise NotFound(_("You are not a cell secretary; open a cell from the unit tree."))
    return redirect("handbook:cell", pk=cells[0].pk)


@login_required
def cell(request: HttpRequest, pk: int) -> HttpResponse:
    unit = selectors.cell_for_handbook(request.user, pk)
    roster = selectors.cell_roster(request.user, unit)
    return render(request, "handbook/cell.html", {
        "unit": unit, "roster": roster,
        "users_percent": roster.percent(roster.users), "target_percent": roster.percent(roster.target)})


def _slip(request: HttpRequest, issued: services.IssuedCode) -> HttpResponse:
    # Shown in the answer to the POST itself, never stored: the code exists only on this slip.
    return render(request, "handbook/code_slip.html", {"issued": issued, "member": issued.member})


@login_required
@require_POST
def member_code(request: HttpRequest, pk: int) -> HttpResponse:
    return _issue_slip(request, pk, services.activation_code_issue)


@login_required
@require_POST
def member_register(request: HttpRequest, pk: int) -> HttpResponse:
    return _issue_slip(request, pk, services.account_register_assisted)


def _issue_slip(request: HttpRequest, pk: int, issue: Callable[..., services.IssuedCode]) -> HttpResponse:
    """A code for the member (activation, or an account registered on their behalf), on its slip."""
    member = selectors.member_for_handbook(request.user, pk)
    try:
        issued = issue(actor=request.user, member=member)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("handbook:cell", pk=member.unit_id)
    return _slip(request, issued)


@login_required
@require_POST
def member_no_smartphone(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.member_for_handbook(request.user, pk)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Reload the page and try again."))
    else:
        try:
            services.member_mark_no_smartphone(actor=request.user, member=member,
                                               expected_version=form.cleaned_data["version"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(name)s is marked as having no smartphone.") % {"name": member.full_name})
    return redirect("handbook:cell", pk=member.unit_id)


@login_required
def member_evaluation(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.member_for_handbook(request.user, pk)
    form = EvaluationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = evaluation_record(actor=request.user, member=member, year=form.cleaned_data["year"],
                                      score=form.cleaned_data["score"], note=form.cleaned_data["note"])
        except ValidationError as error:
            _put_errors(form, error)
        else:
            messages.success(request, _("%(name)s, %(year)s: %(classification)s.") % {
                "name": member.full_name, "year": saved.year, "classification": saved.get_classification_display()})
            return redirect("handbook:cell", pk=member.unit_id)
    return render(request, "handbook/record_form.html", {
        "member": member, "form": form, "title": _("Year-end evaluation"),
        "records": [(str(e.year), f"{e.score}", e.get_classification_display())
                    for e in member.evaluations.all()],
    }, status=400 if form.errors else 200)


@login_required
def member_fees(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.member_for_handbook(request.user, pk)
    form = FeeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = fee_payment_record(actor=request.user, member=member, month=form.cleaned_data["month"],
                                       amount=form.cleaned_data["amount"], note=form.cleaned_data["note"])
        except ValidationError as error:
            _put_errors(form, error)
        else:
            messages.success(request, _("%(name)s paid %(amount)s VND for %(month)s.") % {
                "name": member.full_name, "amount": vnd(saved.amount), "month": saved.month.strftime("%m/%Y")})
            return redirect("handbook:cell", pk=member.unit_id)
    return render(request, "handbook/record_form.html", {
        "member": member, "form": form, "title": _("Party fees"),
        "records": [(p.month.strftime("%m/%Y"), vnd(p.amount), p.note) for p in member.fee_payments.all()[:24]],
    }, status=400 if form.errors else 200)

